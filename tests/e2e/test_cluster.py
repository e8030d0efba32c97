"""Three nodes behind HAProxy on PostgreSQL and Redis serve people as one server does, and survive losses.

One cluster for the module (net/bench/cluster.py: real PostgreSQL, Redis, HAProxy
and three ``python main.py server`` processes sharing one TLS key); each test makes
its own people with real client engines (or the wire client where the test is about
one request). :meth:`Cluster.route_to` puts HAProxy's other nodes in maintenance
while a person connects, so that people are on the nodes the test names; their
connections stay where they are after routing opens to every node again. Every wait
is bounded; a test that kills something starts it again before it ends.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from conftest import fresh_phone
from engine_support import Person, run_until
from transfer_support import arrived, known_file
from wire_client import Person as WirePerson
from wire_client import WireClient

from net.bench.cluster import Cluster
from net.client.core.device_events import LinkCodeShown, LinkComparison, LinkFinished
from net.client.core.events import MessageReceived, TransferState, UndecryptableMessage
from net.protocol.connection import ErrorReply, Reply

#: All the test's clients come from 127.0.0.1: its per-address limits are for strangers, not for a test.
NODE_FLAGS = (
    "--codes-per-address",
    "100000",
    "--logins-per-minute",
    "1000",
    "--address-logins-per-minute",
    "1000",
    "--bundles-per-hour",
    "1000",
    "--prekeys-per-address",
    "100000",
    "--link-opens-per-address",
    "1000",
    "--link-joins-per-address",
    "1000",
)
SENT_OR_BEYOND = {"sent", "delivered", "read"}
INTERVAL = 0.1  # seconds between one person's texts in the traffic tests
#: How long a node may take to find PostgreSQL again after it came back (its reader pool's retries).
RECOVERY_SECONDS = 90.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    started = time.monotonic()
    running = Cluster.start(tmp_path_factory.mktemp("cluster"), 3, extra=NODE_FLAGS)
    try:
        yield running
    finally:
        running.stop()
        print(f"\nthe cluster module took {time.monotonic() - started:.1f} s")


@pytest.fixture
def people(cluster: Cluster) -> Iterator[list[Person]]:
    made: list[Person] = []
    yield made
    cluster.route_to(None)
    for person in made:
        person.close()


def _connections(cluster: Cluster) -> list[int]:
    assert cluster.haproxy is not None
    by_name = {s.name: s.current for s in cluster.haproxy.servers()}
    return [by_name[f"node{i}"] for i in range(len(cluster.nodes))]


def _person_on(cluster: Cluster, root: Path, name: str, node: int, made: list[Person]) -> Person:
    """A registered person whose engine's connection is on ``node``."""
    cluster.route_to(node)
    before = _connections(cluster)[node]
    person = Person(root, name)
    made.append(person)
    person.register(cluster.address, fresh_phone())
    assert _connections(cluster)[node] == before + 1, "the person is not on the node named"
    return person


def _people_on(cluster: Cluster, root: Path, made: list[Person], **nodes: int) -> list[Person]:
    """People by name on the nodes given, each with the others in their contacts; routing open again."""
    found = [_person_on(cluster, root, name, node, made) for name, node in nodes.items()]
    for person in found:
        person.knows(*(other.phone for other in found if other is not person))
    cluster.route_to(None)
    return found


def _texts_from(person: Person, sender: Person) -> list[str]:
    return [m.text for m in person.engine.history(sender.phone, limit=5000) if not m.outgoing]


def test_two_people_on_different_nodes_chat(cluster: Cluster, tmp_path: Path, people: list[Person]) -> None:
    ann, ben = _people_on(cluster, tmp_path, people, ann=0, ben=1)
    sent = ann.engine.send_text(ben.phone, "hello from node 0")
    run_until(lambda: ben.texts_from(ann.phone) == ["hello from node 0"], people)
    run_until(lambda: "delivered" in ann.statuses(sent.message_id), people)  # the receipt came back too
    ben.engine.send_text(ann.phone, "hello from node 1")
    run_until(lambda: ann.texts_from(ben.phone) == ["hello from node 1"], people)


def test_a_group_fans_out_across_the_three_nodes(
    cluster: Cluster, tmp_path: Path, people: list[Person]
) -> None:
    ann, ben, cat = _people_on(cluster, tmp_path, people, ann=0, ben=1, cat=2)
    gid = ann.engine.create_group("Across", [ben.phone, cat.phone]).group_id
    run_until(lambda: all(gid in {g.group_id for g in p.engine.groups()} for p in people), people)
    ann.engine.send_group_text(gid, "to everyone")
    cat.engine.send_group_text(gid, "back from node 2")

    def texts(person: Person) -> list[str]:
        got = [e.message for e in person.of(MessageReceived) if e.message.group_id == gid]
        return sorted(m.text for m in got if not m.notice)

    run_until(lambda: texts(ben) == ["back from node 2", "to everyone"], people)
    run_until(lambda: texts(ann) == ["back from node 2"] and texts(cat) == ["to everyone"], people)


def test_a_device_is_displaced_across_nodes(cluster: Cluster, people: list[Person]) -> None:
    ann = WirePerson(fresh_phone())
    cluster.route_to(0)
    first = WireClient(cluster.address)
    try:
        ann.register(first, cluster.codes)
        ann.login(first)
        cluster.route_to(1)
        second = WireClient(cluster.address)
        try:
            assert second.fingerprint == cluster.fingerprint == first.fingerprint  # one key on every node
            ann.login(second)
            assert first.wait_push("session_ended", timeout=10).body == {"reason": "logged_in_elsewhere"}
            assert first.wait_closed(timeout=10)
            assert "devices" in second.call("get_bundle", phone=ann.phone)  # the new session serves
        finally:
            second.close()
    finally:
        first.close()


def _fetch(
    client: WireClient, phone: str, barrier: threading.Barrier, replies: list[Reply | ErrorReply]
) -> None:
    """Ask for ``phone``'s bundle the moment the other fetcher does."""
    barrier.wait(timeout=10)
    replies.append(client.request("get_bundle", phone=phone))


def test_two_nodes_racing_for_one_prekey_hand_it_to_one(cluster: Cluster, people: list[Person]) -> None:
    fetchers: list[WireClient] = []
    try:
        for node in (1, 2):
            cluster.route_to(node)
            client = WireClient(cluster.address, timeout=20)
            fetchers.append(client)
            fetcher = WirePerson(fresh_phone())
            fetcher.register(client, cluster.codes)
            fetcher.login(client)
        cluster.route_to(0)
        for _ in range(8):
            target = WirePerson(fresh_phone(), one_time_count=1)
            owner = WireClient(cluster.address)
            try:
                target.register(owner, cluster.codes)
            finally:
                owner.close()
            barrier = threading.Barrier(2)
            replies: list[Reply | ErrorReply] = []
            threads = [
                threading.Thread(target=_fetch, args=(client, target.phone, barrier, replies))
                for client in fetchers
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert len(replies) == 2 and all(isinstance(r, Reply) for r in replies), replies
            one_time = [r.body["bundle"].get("one_time_prekey") for r in replies if isinstance(r, Reply)]
            assert sum(key is not None for key in one_time) == 1, one_time  # never both, never neither
    finally:
        for client in fetchers:
            client.close()


class Traffic:
    """Each person sends a numbered text to the next one in turn while the test polls every engine."""

    def __init__(self, people: list[Person]) -> None:
        self.people = people
        self.count = 0
        self._next = time.monotonic()

    def run(self, seconds: float, *, sending: bool = True) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if sending and time.monotonic() >= self._next:
                for index, person in enumerate(self.people):
                    partner = self.people[(index + 1) % len(self.people)]
                    person.engine.send_text(partner.phone, f"{person.name} #{self.count}")
                self.count += 1
                self._next += INTERVAL
            for person in self.people:
                person.engine.poll(0.01)

    def _out(self, person: Person) -> list[tuple[str, str]]:
        partner = self.people[(self.people.index(person) + 1) % len(self.people)]
        history = person.engine.history(partner.phone, limit=5000)
        return [(m.text, m.status.value) for m in history if m.outgoing]

    def settled(self) -> bool:
        for index, person in enumerate(self.people):
            partner = self.people[(index + 1) % len(self.people)]
            out = self._out(person)
            if any(status not in SENT_OR_BEYOND for _, status in out):
                return False
            if {text for text, _ in out} - set(_texts_from(partner, person)):
                return False
        return True

    def check(self) -> None:
        """Everything sent arrived exactly once, decrypted, and nothing arrived that nobody sent."""
        for index, person in enumerate(self.people):
            partner = self.people[(index + 1) % len(self.people)]
            sent = [text for text, _ in self._out(person)]
            assert len(sent) == self.count
            arrived_here = Counter(_texts_from(partner, person))
            assert set(arrived_here) == set(sent), f"{person.name} → {partner.name}"
            assert [t for t, n in arrived_here.items() if n != 1] == [], f"{person.name}: repeats"
            assert partner.of(UndecryptableMessage) == []

    def settle(self, timeout: float = 60.0) -> None:
        run_until(self.settled, self.people, timeout=timeout)
        self.check()


def test_a_node_killed_mid_traffic_loses_nothing_acknowledged(
    cluster: Cluster, tmp_path: Path, people: list[Person]
) -> None:
    ann, ben, cat = _people_on(cluster, tmp_path, people, ann=0, ben=1, cat=2)
    traffic = Traffic([ann, ben, cat])
    try:
        traffic.run(2.0)
        cluster.kill_node(0, wait_down=False)  # ann's node, in the middle of a turn or not
        traffic.run(3.0)  # ann's engine reconnects through HAProxy, to node 1 or 2
        assert not cluster.nodes[0].running
        assert _connections(cluster)[0] == 0
        traffic.settle()
        assert traffic.count >= 10  # they really chatted through the kill (fewer rounds on a busy machine)
    finally:
        cluster.start_node(0)


def test_a_redis_restart_mid_traffic_loses_nothing(
    cluster: Cluster, tmp_path: Path, people: list[Person]
) -> None:
    ann, ben, cat = _people_on(cluster, tmp_path, people, ann=0, ben=1, cat=2)
    traffic = Traffic([ann, ben, cat])
    traffic.run(1.5)
    cluster.restart_redis(kill=True)  # every hint in flight is lost; the nodes catch up from the store
    traffic.run(2.0)
    traffic.settle()
    assert all(node.running for node in cluster.nodes)


def test_a_postgres_restart_is_refused_in_words_and_the_nodes_recover_by_themselves(
    cluster: Cluster, tmp_path: Path, people: list[Person]
) -> None:
    ann, ben = _people_on(cluster, tmp_path, people, ann=0, ben=1)
    probe_person = WirePerson(fresh_phone())
    cluster.route_to(2)
    probe = WireClient(cluster.address, timeout=60)
    cluster.route_to(None)
    try:
        probe_person.register(probe, cluster.codes)
        probe_person.login(probe)
        ann.engine.send_text(ben.phone, "before")
        run_until(lambda: ben.texts_from(ann.phone) == ["before"], people)
        cluster.stop_postgres()
        try:
            during = ann.engine.send_text(ben.phone, "while the database is away")
            answer = probe.request("get_bundle", phone=ann.phone)
            # Refused in words, or answered once the store is back: never another error, never a drop.
            assert isinstance(answer, ErrorReply) and answer.code == "storage_unavailable", answer
            assert "database" in answer.message
            Traffic(people).run(1.0, sending=False)
        finally:
            cluster.start_postgres()
        back = time.monotonic()
        while isinstance(reply := probe.request("get_bundle", phone=ann.phone), ErrorReply):
            assert reply.code == "storage_unavailable", reply
            assert time.monotonic() < back + RECOVERY_SECONDS, "the node did not find PostgreSQL again"
            time.sleep(0.2)
        print(f"\nnode 2 answered again {time.monotonic() - back:.1f} s after PostgreSQL was back")
        run_until(
            lambda: ben.texts_from(ann.phone) == ["before", "while the database is away"],
            people,
            timeout=RECOVERY_SECONDS,
        )
        run_until(lambda: "delivered" in ann.statuses(during.message_id), people, timeout=RECOVERY_SECONDS)
        ben.engine.send_text(ann.phone, "after")
        run_until(lambda: ann.texts_from(ben.phone) == ["after"], people)
        assert all(node.running for node in cluster.nodes) and not probe.closed_by_server
    finally:
        probe.close()


def test_a_file_uploaded_through_one_node_comes_down_through_another(
    cluster: Cluster, tmp_path: Path, people: list[Person]
) -> None:
    ann, ben = _people_on(cluster, tmp_path, people, ann=0, ben=1)
    document = known_file(tmp_path, "notes.bin", 300_000)
    cluster.route_to(0)  # the upload's connections go to node 0
    sent = ann.engine.send_file(document, contact=ben.phone)

    def uploaded() -> bool:
        shown = next(m for m in ann.engine.history(ben.phone) if m.message_id == sent.message_id)
        return shown.attachment is not None and shown.attachment.state is TransferState.DONE

    run_until(uploaded, [ann], timeout=60)
    cluster.route_to(1)  # and the download's to node 1
    done: Callable[[], bool] = lambda: any(  # noqa: E731
        m.attachment and m.attachment.state is TransferState.DONE for m in arrived(ben, ann.phone)
    )
    run_until(done, people, timeout=60)
    (shown,) = [m for m in arrived(ben, ann.phone) if m.attachment]
    assert ben.engine.file_bytes(shown.message_id, 1_000_000) == document.read_bytes()


def _link_channels(cluster: Cluster) -> int:
    """Links open on some node just now: the channels their nodes subscribed to in Redis."""
    assert cluster.redis is not None
    with redis.Redis.from_url(cluster.redis.url, socket_timeout=5) as client:
        return len(client.pubsub_channels("parley:link:*"))


def test_a_device_links_across_nodes_and_both_get_each_message(
    cluster: Cluster, tmp_path: Path, people: list[Person]
) -> None:
    ann, ben = _people_on(cluster, tmp_path, people, ann=0, ben=2)
    cluster.route_to(1)  # the new computer, and its link code, on node 1; ann's first on node 0
    laptop = Person(tmp_path, "ann-laptop")
    people.append(laptop)
    laptop.create(cluster.address)
    laptop.first_connect()
    before = _link_channels(cluster)
    laptop.engine.link_start()
    run_until(lambda: bool(laptop.of(LinkCodeShown)), people)
    # A person reads the code off one screen and types it on the other: by then node 1 listens for
    # joins from other nodes (a join in the same instant is refused link_not_found, as a wrong code).
    run_until(lambda: _link_channels(cluster) > before, people, timeout=10)
    ann.engine.link_join(laptop.of(LinkCodeShown)[-1].code)
    run_until(lambda: bool(laptop.of(LinkComparison)) and bool(ann.of(LinkComparison)), people)
    assert laptop.of(LinkComparison)[-1].number == ann.of(LinkComparison)[-1].number
    laptop.engine.link_confirm(True)
    ann.engine.link_confirm(True)
    run_until(lambda: bool(laptop.of(LinkFinished)) and bool(ann.of(LinkFinished)), people, timeout=60)
    laptop.phone = ann.phone
    cluster.route_to(None)
    assert [d.device for d in laptop.engine.devices()] == [1, 2]
    ben.engine.send_text(ann.phone, "to both of ann's computers")
    run_until(lambda: ann.texts_from(ben.phone) == ["to both of ann's computers"], people, timeout=30)
    run_until(lambda: laptop.texts_from(ben.phone) == ["to both of ann's computers"], people, timeout=30)
