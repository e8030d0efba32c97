"""The limits against lock-out, draining, flooding and enumeration, end to end: a real server on loopback
over real TLS with a real SQLite file, clients on other loopback addresses (127.0.0.x) where an attacker
has to be somewhere else, and a real server process killed with SIGKILL to show the counts survive."""

from __future__ import annotations

import itertools
import statistics
import time
from pathlib import Path
from typing import Any

from conftest import InProcessServer, fresh_phone
from server_process import ServerProcess
from wire_client import Person, WireClient

from crypto_core.keys import PreKeyBundle
from net.protocol.connection import ErrorReply
from net.server.limits import Limits

_unknown = (f"+442079465{n:03d}" for n in itertools.count())  # nobody in these tests holds these


def unknown_phone() -> str:
    return next(_unknown)


def failed_login(client: WireClient, phone: str) -> str:
    """A login with a challenge and a wrong signature; the error code it gets."""
    client.call("challenge", phone=phone)
    return client.refused("login", phone=phone, signature=b"\x00" * 64)


def registered(server: InProcessServer, person: Person, source: str = "127.0.0.1") -> WireClient:
    client = server.connect(source=source)
    person.register(client, server.codes)
    person.login(client)
    return client


# ------------------------------------------------------------------------------------------ login


def test_failed_logins_from_elsewhere_never_keep_the_owner_out(server: InProcessServer) -> None:
    victim = Person(fresh_phone())
    victim.register(server.connect(), server.codes)
    attacker = server.connect(source="127.0.0.2")
    codes = [failed_login(attacker, victim.phone) for _ in range(11)]
    assert codes == ["login_failed"] * 10 + ["rate_limited"]
    own = server.connect()  # the victim, from home
    assert victim.login(own) == {"phone": victim.phone, "queued": 0, "device": 1, "devices": [1]}


def test_failed_logins_are_limited_per_address_across_numbers(server: InProcessServer) -> None:
    attacker = server.connect(source="127.0.0.3")
    codes = [failed_login(attacker, unknown_phone()) for _ in range(31)]
    assert codes == ["login_failed"] * 30 + ["rate_limited"]
    assert failed_login(server.connect(), unknown_phone()) == "login_failed"  # someone elsewhere


def _login_seconds(client: WireClient, phone: str) -> float:
    client.call("challenge", phone=phone)
    started = time.perf_counter()
    reply = client.request("login", phone=phone, signature=b"\x00" * 64)
    elapsed = time.perf_counter() - started
    assert isinstance(reply, ErrorReply)
    return elapsed


def login_timings(server: InProcessServer, attempts: int) -> tuple[float, float]:
    """Median seconds of a failed login for a registered number and for unknown ones, taken in turns."""
    owner = Person(fresh_phone())
    owner.register(server.connect(), server.codes)
    client = server.connect()
    known, unknown = [], []
    for _ in range(attempts):
        known.append(_login_seconds(client, owner.phone))
        unknown.append(_login_seconds(client, unknown_phone()))
    return statistics.median(known), statistics.median(unknown)


def test_a_failed_login_takes_as_long_for_an_unknown_number(server_factory: Any) -> None:
    # Failures per number are not limited here, so every attempt does the whole check on either side.
    server = server_factory(limits=Limits(logins_per_minute=10**6))
    known, unknown = login_timings(server, 300)
    print(f"median failed login: registered {known * 1e3:.3f} ms, unknown {unknown * 1e3:.3f} ms")
    assert 0.75 < known / unknown < 1.33


# ---------------------------------------------------------------------------------------- prekeys


def test_three_accounts_cannot_drain_a_victims_one_time_prekeys(server: InProcessServer) -> None:
    victim = Person(fresh_phone(), one_time_count=60, kem_count=60)
    victim.register(server.connect(), server.codes)
    fetchers = [registered(server, Person(fresh_phone()), f"127.0.0.{n}") for n in (4, 5, 6)]
    bundles = [
        PreKeyBundle.from_json(fetcher.call("get_bundle", phone=victim.phone)["bundle"])
        for fetcher in fetchers
        for _ in range(20)
    ]
    with_one_time = [b for b in bundles if b.one_time_prekey is not None]
    assert len(with_one_time) == 50 and all(not b.kem_prekey.last_resort for b in with_one_time)
    for bare in bundles[50:]:  # past the limit: served, with the last-resort key, nothing consumed
        assert bare.one_time_prekey is None and bare.kem_prekey == victim.last_resort.public()
        bare.verify()
    assert server.running.store.prekey_counts(victim.phone) == (10, 10)


def test_one_address_gets_at_most_a_hundred_one_time_prekeys_an_hour(server: InProcessServer) -> None:
    targets = [Person(fresh_phone(), one_time_count=40, kem_count=40) for _ in range(3)]
    for target in targets:
        target.register(server.connect(), server.codes)
    fetchers = [registered(server, Person(fresh_phone()), "127.0.0.7") for _ in range(2)]
    got = []
    for n in range(101):
        bundle = fetchers[n % 2].call("get_bundle", phone=targets[n % 3].phone)["bundle"]
        got.append("one_time_prekey" in bundle)
    assert got == [True] * 100 + [False]
    elsewhere = registered(server, Person(fresh_phone()), "127.0.0.8")
    assert "one_time_prekey" in elsewhere.call("get_bundle", phone=targets[0].phone)["bundle"]


def test_the_online_owner_is_told_when_a_fetch_leaves_few_prekeys(server: InProcessServer) -> None:
    owner = Person(fresh_phone(), one_time_count=26, kem_count=30)
    own = registered(server, owner)
    fetcher = registered(server, Person(fresh_phone()), "127.0.0.9")
    fetcher.call("get_bundle", phone=owner.phone)  # 25 left: not yet
    assert own.no_push_within(0.3)
    fetcher.call("get_bundle", phone=owner.phone)  # 24 left
    assert own.wait_push("prekeys_low").body == {"one_time": 24, "kem": 28}
    fetcher.call("get_bundle", phone=owner.phone)  # 23 left: told already
    assert own.no_push_within(0.3)


# ----------------------------------------------------------------------------------------- queues


def _send_many(client: WireClient, to: str, count: int, prefix: str, body: bytes = b"x") -> None:
    ids = [client.send_request("send", to=to, client_id=f"{prefix}{n}", body=body) for n in range(count)]
    for request_id in ids:
        reply = client.wait_reply(request_id, timeout=60)
        assert not isinstance(reply, ErrorReply), reply


def test_one_sender_cannot_fill_a_victims_queue(server: InProcessServer) -> None:
    victim = Person(fresh_phone())
    victim.register(server.connect(), server.codes)
    flooder = registered(server, Person(fresh_phone()), "127.0.0.10")
    _send_many(flooder, victim.phone, 1000, "f")
    reply = flooder.request("send", to=victim.phone, client_id="f-over", body=b"x")
    assert isinstance(reply, ErrorReply) and reply.code == "queue_full"
    assert "you have 1000 messages waiting for this recipient" in reply.message
    friend = registered(server, Person(fresh_phone()))
    assert friend.call("send", to=victim.phone, client_id="hello", body=b"hi")["duplicate"] is False
    assert server.running.store.queued_count(victim.phone) == 1001


def test_the_bytes_waiting_for_one_recipient_are_capped(server_factory: Any) -> None:
    server = server_factory(limits=Limits(queue_bytes=300_000))
    victim = Person(fresh_phone())
    victim.register(server.connect(), server.codes)
    senders = [registered(server, Person(fresh_phone()), f"127.0.0.{n}") for n in (11, 12, 13)]
    for n, sender in enumerate(senders):
        sender.call("send", to=victim.phone, client_id=f"big{n}", body=bytes(100_000))
    reply = senders[0].request("send", to=victim.phone, client_id="one-more", body=b"x")
    assert isinstance(reply, ErrorReply) and reply.code == "queue_full"
    assert "bytes waiting" in reply.message
    b = server.connect()
    victim.login(b)
    ids = [m["id"] for m in b.call("fetch", limit=1)["messages"]]
    assert b.call("ack", ids=ids) == {"deleted": 1}
    assert senders[0].call("send", to=victim.phone, client_id="one-more", body=b"x")["duplicate"] is False


# ------------------------------------------------------------------------------------ enumeration


def test_unknown_numbers_are_limited_per_account(server: InProcessServer) -> None:
    friend = Person(fresh_phone())
    friend.register(server.connect(), server.codes)
    prober = registered(server, Person(fresh_phone()), "127.0.0.14")
    probes = [
        prober.refused("get_bundle", phone=unknown_phone()),
        *(prober.refused("send", to=unknown_phone(), client_id=f"p{n}", body=b"x") for n in range(10)),
        *(
            prober.refused("send", to=unknown_phone(), client_id=f"t{n}", body=b"x", transient=True)
            for n in range(9)
        ),
    ]
    assert probes == ["unknown_account"] * 20
    # Now every lookup is refused, a registered number's too: the answer no longer tells who is there.
    assert prober.refused("get_bundle", phone=unknown_phone()) == "rate_limited"
    assert prober.refused("get_bundle", phone=friend.phone) == "rate_limited"
    assert (
        prober.refused("send", to=friend.phone, client_id="f1", body=b"x", transient=True) == "rate_limited"
    )


def test_unknown_numbers_are_limited_per_address(server: InProcessServer) -> None:
    probers = [registered(server, Person(fresh_phone()), "127.0.0.15") for _ in range(6)]
    for prober in probers[:5]:
        for _ in range(20):
            assert prober.refused("get_bundle", phone=unknown_phone()) == "unknown_account"
    assert probers[5].refused("get_bundle", phone=unknown_phone()) == "rate_limited"
    elsewhere = registered(server, Person(fresh_phone()), "127.0.0.16")
    assert elsewhere.refused("get_bundle", phone=unknown_phone()) == "unknown_account"


# --------------------------------------------------------------------------------------- restarts


def dev_register(client: WireClient, person: Person) -> None:
    code = person.took(client.call("register_start", phone=person.phone, email=person.email))["code"]
    client.call("register_finish", **person.finish_args(code))


def test_rate_limit_counts_survive_sigkill(tmp_path: Path) -> None:
    data = tmp_path / "data"
    victim, prober = Person(fresh_phone()), Person(fresh_phone())
    first = ServerProcess(data, "--verification", "file", "--dev-codes")
    try:
        setup = WireClient(first.address)
        dev_register(setup, victim)
        dev_register(setup, prober)
        attacker = WireClient(first.address, source="127.0.0.17")
        assert [failed_login(attacker, victim.phone) for _ in range(10)] == ["login_failed"] * 10
        prober.login(attacker := WireClient(first.address, source="127.0.0.17"))
        assert [attacker.refused("get_bundle", phone=unknown_phone()) for _ in range(20)] == [
            "unknown_account"
        ] * 20
        first.kill()  # no chance to flush or close anything
    finally:
        first.stop()
    second = ServerProcess(data, "--verification", "file", "--dev-codes")
    try:
        attacker = WireClient(second.address, source="127.0.0.17")
        assert failed_login(attacker, victim.phone) == "rate_limited"
        prober.login(attacker)
        assert attacker.refused("get_bundle", phone=unknown_phone()) == "rate_limited"
        assert victim.login(WireClient(second.address))["phone"] == victim.phone  # and never locked out
    finally:
        second.stop()
