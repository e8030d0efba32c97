"""The event loop on its own, around a real store and real TLS: failures stay with one connection,
a failed commit sends no reply, pushes from other threads arrive."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import fresh_phone, start_in_process
from store_support import OpenStore
from wire_client import CodeBook, Person, WireClient

from net.protocol.connection import ErrorReply, Reply, Request
from net.server.codes import CodeHasher
from net.server.limits import Limits
from net.server.loop import ServerLoop
from net.server.presence import Session
from net.server.server import ParleyServer
from net.server.service import Outcome, Service
from net.server.tls import ensure_self_signed, fingerprint_of_pem_file, server_context
from storage.server.interface import ServerStore


def fill_the_store(db: sqlite3.Connection) -> None:
    """A write that SQLite refuses with SQLITE_FULL, as on a full disk: its page cap is the current size."""
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    db.execute(
        "INSERT INTO pending_codes VALUES (?, '+442079460998', 'a@b.org', ?, 0, 0)", (b"f" * 32, bytes(65536))
    )


def lift_the_cap(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA max_page_count = 1073741823")


class FaultyService(Service):
    """A real service, with a few ``hello`` variants that misbehave the way bugs do."""

    def handle(self, session: Session, request: Request) -> Outcome:
        kind = request.args.get("client")
        if request.op == "hello" and kind == "break-the-connection":
            session.protocol = None  # type: ignore[attr-defined]  # the loop trips over it next
        elif request.op == "hello" and kind == "failing-push":
            return Outcome({"server": "parley"}, then=lambda: 1 / 0 and None)
        elif request.op == "hello" and kind == "write":
            self.store.put_code(b"t" * 32, "+442079460999", "a@example.org", b"h" * 32, 0, 10**13, 5, 10)
        elif request.op == "hello" and kind == "find-no-room":
            self.store._writer.run(fill_the_store)
        elif request.op == "hello" and kind == "lose-the-transaction":
            self.store._writer.run(lambda db: db.execute("ROLLBACK"))  # as SQLite does on an I/O error
        return super().handle(session, request)


@dataclass
class Harness:
    loop: ServerLoop
    server: ParleyServer
    store: ServerStore
    codes: CodeBook
    path: Path

    def connect(self) -> WireClient:
        return WireClient(self.server.server_address[:2])  # type: ignore[arg-type]


@pytest.fixture
def harness(tmp_path: Path, open_test_store: OpenStore) -> Iterator[Harness]:
    cert, key = ensure_self_signed(tmp_path)
    path = tmp_path / "server.sqlite3"  # the SQLite file, when the store is SQLite's
    store = open_test_store()
    codes = CodeBook()
    limits = Limits()
    service = FaultyService(store, codes, CodeHasher(b"k" * 32), fingerprint_of_pem_file(cert), limits=limits)
    loop = ServerLoop(service, store, server_context(cert, key), limits)
    server = ParleyServer(("127.0.0.1", 0), loop)
    thread = threading.Thread(target=loop.run)
    thread.start()
    yield Harness(loop, server, store, codes, path)
    loop.stop()
    thread.join(10)
    assert not thread.is_alive()
    server.server_close()


def hello(client: WireClient, kind: str = "test") -> dict[str, Any]:
    return client.call("hello", version=1, client=kind)


def test_a_bug_while_serving_one_connection_drops_only_that_one(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    bystander, victim = harness.connect(), harness.connect()
    hello(bystander)
    victim.send_request("hello", version=1, client="break-the-connection")
    assert victim.wait_closed()
    assert hello(bystander)["server"] == "parley"
    assert "dropped after an error: AttributeError" in caplog.text


def test_a_failing_push_after_the_commit_is_logged_and_the_connection_lives_on(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    client = harness.connect()
    assert hello(client, "failing-push")["server"] == "parley"
    assert hello(client)["server"] == "parley"
    assert "a push after a commit failed: ZeroDivisionError" in caplog.text


@pytest.mark.sqlite_only  # the fault is made in SQLite: a rolled back transaction, as on an I/O error
def test_a_failed_commit_answers_none_of_its_requests(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="parley.server")
    bystander, client = harness.connect(), harness.connect()
    first_id, first = client.conn.request("hello", version=1, client="write")
    second_id, second = client.conn.request("hello", version=1, client="lose-the-transaction")
    client.send_raw(first + second)  # one read, one turn, one batch
    assert client.wait_closed()
    assert client.conn.pending == {first_id, second_id}  # neither was answered
    with sqlite3.connect(harness.path) as db:
        assert db.execute("SELECT COUNT(*) FROM pending_codes").fetchone()[0] == 0
    assert "failed to commit" in caplog.text
    assert hello(bystander)["server"] == "parley"


@pytest.mark.sqlite_only  # the fault is made in SQLite: its page cap, as on a full disk
def test_a_commit_that_finds_no_room_answers_storage_full_to_its_writes_only_and_keeps_the_connection(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    bystander, client = harness.connect(), harness.connect()
    hello(bystander)
    ids, frames = zip(
        *(
            client.conn.request("hello", version=1, client="write"),
            client.conn.request("challenge", phone=fresh_phone()),
            client.conn.request("hello", version=1, client="find-no-room"),
            client.conn.request("hello", version=1, client="read-only"),
        ),
        strict=True,
    )
    client.send_raw(b"".join(frames))  # one read, one turn, one batch
    replies = [client.wait_reply(request_id) for request_id in ids]
    assert [getattr(reply, "code", "ok") for reply in replies] == ["storage_full", "ok", "storage_full", "ok"]
    assert not client.closed_by_server and hello(client)["server"] == "parley"
    with sqlite3.connect(harness.path) as db:
        assert db.execute("SELECT COUNT(*) FROM pending_codes").fetchone()[0] == 0  # the write was lost
    assert harness.store.space.full
    # Full: a request that only adds data is refused before it writes; the others are served.
    assert client.refused("register_start", phone=fresh_phone(), email="a@example.org") == "storage_full"
    assert hello(bystander)["server"] == "parley"
    harness.store._writer.run(lift_the_cap)  # room again: the loop notices within about a second
    deadline = time.monotonic() + 30
    phone = fresh_phone()
    while isinstance(client.request("register_start", phone=phone, email="a@example.org"), ErrorReply):
        assert time.monotonic() < deadline, "the store never left its full state"
        time.sleep(0.1)
    assert not harness.store.space.full
    assert "failed to commit" not in caplog.text and "dropped" not in caplog.text


def test_a_push_from_another_thread_reaches_the_client(harness: Harness) -> None:
    alice = Person(fresh_phone())
    client = harness.connect()
    alice.register(client, harness.codes)
    alice.login(client)
    session = harness.loop._service.presence.get(alice.phone)
    assert session is not None
    pushed: list[bool] = []
    other = threading.Thread(target=lambda: pushed.append(session.push("message", {"from": "x"})))
    other.start()
    other.join(10)
    assert pushed == [True]
    assert client.wait_push().body == {"from": "x"}


def test_the_loop_counts_connections_past_their_handshake(harness: Harness) -> None:
    clients = [harness.connect() for _ in range(3)]
    for client in clients:
        hello(client)  # answered, so the loop has them
    assert harness.server.connection_count() == 3


def test_many_requests_sent_at_once_are_all_answered_over_several_turns(harness: Harness) -> None:
    flood, bystander = harness.connect(), harness.connect()
    hello(bystander)
    frames = [flood.conn.request("hello", version=1) for _ in range(3000)]  # far past one turn's budget
    flood.send_raw(b"".join(data for _, data in frames))
    assert hello(bystander)["server"] == "parley"
    replies = [flood.wait_reply(request_id) for request_id, _ in frames]
    assert [reply.re for reply in replies] == [request_id for request_id, _ in frames]


# ------------------------------------------------------------------ sharing a sync (--commit-wait)


class Sleeps:
    """The loop's sleep: sleeps as asked, and notes each wait (the loop's only sleep is the commit wait)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


def two_people(tmp_path: Path, commit_wait: float) -> tuple[Any, WireClient, WireClient, str, str, Sleeps]:
    server = start_in_process(tmp_path / "server", commit_wait=commit_wait)
    sleeps = Sleeps()
    server.running.loop._sleep = sleeps
    clients, phones = [], []
    for _ in range(2):
        person = Person(fresh_phone())
        client = server.connect()
        person.register(client, server.codes)
        person.login(client)
        clients.append(client)
        phones.append(person.phone)
    return server, clients[0], clients[1], phones[0], phones[1], sleeps


def syncs(server: Any) -> int:
    wal_sync = server.running.store.wal_sync
    assert wal_sync is not None
    return int(wal_sync.syncs)


def steady(alice: WireClient, bob: WireClient) -> None:
    """Requests of two connections in turn, a few ms apart: the traffic a commit wait is for."""
    for _ in range(30):
        alice.call("ping")
        bob.call("ping")


def send_two_apart(alice: WireClient, bob: WireClient, alice_phone: str, bob_phone: str) -> float:
    """A send from each, 50 ms apart, on two connections; the seconds until the first was answered."""
    started = time.monotonic()
    first = alice.send_request("send", to=bob_phone, client_id=f"m-{time.time_ns()}", body=b"one")
    time.sleep(0.05)
    second = bob.send_request("send", to=alice_phone, client_id=f"m-{time.time_ns()}", body=b"two")
    assert isinstance(alice.wait_reply(first, timeout=10), Reply)
    answered = time.monotonic() - started
    assert isinstance(bob.wait_reply(second, timeout=10), Reply)
    return answered


def test_under_steady_traffic_sends_close_together_share_one_sync(tmp_path: Path) -> None:
    server, alice, bob, alice_phone, bob_phone, sleeps = two_people(tmp_path, commit_wait=0.3)
    try:
        steady(alice, bob)
        before = syncs(server)
        answered = send_two_apart(alice, bob, alice_phone, bob_phone)
        assert syncs(server) == before + 1  # the first send's turn waited for the second, and synced both
        assert answered >= 0.05  # answered only after the sync that the second send shared
        assert len(sleeps.waits) == 1 and 0 < sleeps.waits[0] <= 0.3  # one wait, within --commit-wait
    finally:
        server.stop()


def test_without_a_commit_wait_every_turn_syncs_on_its_own(tmp_path: Path) -> None:
    server, alice, bob, alice_phone, bob_phone, sleeps = two_people(tmp_path, commit_wait=0.0)
    try:
        steady(alice, bob)
        before = syncs(server)
        send_two_apart(alice, bob, alice_phone, bob_phone)
        assert syncs(server) == before + 2 and sleeps.waits == []
    finally:
        server.stop()


def test_a_client_waiting_for_its_own_replies_never_waits_for_company(tmp_path: Path) -> None:
    server, alice, _, _, bob_phone, sleeps = two_people(tmp_path, commit_wait=0.3)
    try:
        for n in range(20):  # back to back, one connection: nobody else could join its turns
            alice.call("send", to=bob_phone, client_id=f"m-{n}", body=b"again")
        assert sleeps.waits == []
    finally:
        server.stop()


def test_the_first_send_after_a_quiet_while_is_answered_without_waiting(tmp_path: Path) -> None:
    server, alice, bob, _, bob_phone, sleeps = two_people(tmp_path, commit_wait=0.05)
    try:
        steady(alice, bob)
        time.sleep(0.05 * 8 + 0.1)  # longer than LINGER_QUIET waits
        alice.call("send", to=bob_phone, client_id="m-lone", body=b"lone")
        assert sleeps.waits == []
    finally:
        server.stop()


def test_acknowledgements_alone_never_wait_and_never_sync(tmp_path: Path) -> None:
    server, alice, bob, _, bob_phone, sleeps = two_people(tmp_path, commit_wait=0.3)
    try:
        alice.call("send", to=bob_phone, client_id="m-1", body=b"one")
        pushed = bob.wait_push("message", timeout=10)
        steady(alice, bob)
        before, waits = syncs(server), len(sleeps.waits)
        assert bob.call("ack", ids=[pushed.body["id"]])["deleted"] == 1
        assert syncs(server) == before and len(sleeps.waits) == waits  # nothing to sync, no reason to wait
    finally:
        server.stop()


def test_a_peer_that_closes_during_the_wait_costs_one_wait_not_a_spin(tmp_path: Path) -> None:
    server, alice, bob, _, bob_phone, sleeps = two_people(tmp_path, commit_wait=0.3)
    selects: list[float] = []
    loop = server.running.loop
    select = loop._selector.select

    def counted(timeout: float | None = None) -> Any:
        selects.append(time.monotonic())
        return select(timeout)

    try:
        steady(alice, bob)
        loop._selector.select = counted
        sent = alice.send_request("send", to=bob_phone, client_id="m-x", body=b"x")
        time.sleep(0.05)
        bob.close()  # an end of stream the turn cannot use up
        assert isinstance(alice.wait_reply(sent, timeout=10), Reply)
        assert len(sleeps.waits) == 1
        assert len(selects) < 50  # without the single poll it selected some 50,000 times in 0.3 s
    finally:
        loop._selector.select = select
        server.stop()


def test_a_failed_sync_stops_the_server_before_any_reply_claims_it(tmp_path: Path) -> None:
    server, alice, _, _, bob_phone, _ = two_people(tmp_path, commit_wait=0.0)
    wal_sync = server.running.store.wal_sync

    def failing() -> None:
        raise OSError(5, "Input/output error")

    try:
        server.running.store._writer._sync = failing
        sent = alice.send_request("send", to=bob_phone, client_id="m-lost", body=b"x")
        assert alice.wait_closed(timeout=10)  # the connection ends unanswered: nothing claims the send
        assert sent not in alice._replies
        loop = server.running.loop
        assert loop.failure is not None and "did not confirm a sync" in str(loop.failure)
    finally:
        server.running.store._writer._sync = wal_sync
        server.stop()
