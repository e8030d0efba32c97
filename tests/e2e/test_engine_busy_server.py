"""End to end: a busy server ("rate_limited", "storage_full", "storage_unavailable", "server_error") is tried
again, by itself.

The server is a real one over TLS on loopback; for a while it answers one
operation with the refusal under test (its handler is swapped for one that
refuses, then given back), exactly as a server short of space or failing would.
No person presses connect: the engine backs off with jitter, tries again and
drains its outbox once the server accepts. Last, a server on a real PostgreSQL
store whose database is stopped under it, then started again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import start_in_process
from engine_support import NAME, Person, pair, run_until

from net.bench.engines.postgres import PostgresInstance
from net.client.core.engine_error import EngineError
from net.client.core.events import ConnectionState, ErrorReported, LoggedIn, MessageReceived
from net.client.core.outbox_plan import PAUSE_SECONDS
from net.protocol.errors import RequestRefused
from net.server.limits import Limits

BUSY = ["storage_full", "storage_unavailable", "server_error", "rate_limited"]


class Refusing:
    """Makes the running server answer ``op`` with ``code`` while :attr:`on`; counts the refusals."""

    def __init__(self, server: Any, op: str, code: str) -> None:
        handlers = server.running.service._handlers
        original: Callable[[Any, dict[str, Any]], Any] = handlers[op]
        self.on = True
        self.count = 0
        self.calls = 0

        def refuse(session: Any, args: dict[str, Any]) -> Any:
            self.calls += 1
            if self.on:
                self.count += 1
                raise RequestRefused(code, "not now, try again later")
            return original(session, args)

        handlers[op] = refuse


def _queued_offline(alice: Person, bob: Person, count: int) -> list[str]:
    alice.engine.add_contact(bob.phone, "Bob")
    alice.engine.logout()
    return [alice.engine.send_text(bob.phone, f"queued {n}").message_id for n in range(count)]


@pytest.mark.parametrize("code", BUSY)
def test_a_login_refused_as_busy_is_tried_again_and_the_outbox_drains_by_itself(
    tmp_path, server_factory, phone, code
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        sent = _queued_offline(alice, bob, 200)
        refusing = Refusing(server, "login", code)
        with pytest.raises(EngineError) as caught:
            alice.engine.connect()
        assert caught.value.code == code and "tries again by itself" in caught.value.message
        assert alice.connection_state is ConnectionState.RECONNECTING
        run_until(lambda: refusing.count >= 3, [alice, bob])  # again and again, with backoff

        refusing.on = False
        texts = [f"queued {n}" for n in range(200)]
        run_until(lambda: bob.texts_from(alice.phone) == texts, [alice, bob], timeout=60)
        run_until(lambda: all("sent" in alice.statuses(mid) for mid in sent), [alice, bob])
        assert alice.connection_state is ConnectionState.CONNECTED
        assert not any("failed" in alice.statuses(mid) for mid in sent)
    finally:
        alice.close()
        bob.close()


def test_a_refused_login_that_is_not_busy_still_stops_until_a_person_acts(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        _queued_offline(alice, bob, 1)
        refusing = Refusing(server, "login", "login_failed")
        with pytest.raises(EngineError) as caught:
            alice.engine.connect()
        assert caught.value.code == "login_failed"
        deadline = time.monotonic() + 3.0  # longer than the first backoff steps
        while time.monotonic() < deadline:
            alice.engine.poll(0.05)
        assert refusing.count == 1
        assert alice.connection_state is ConnectionState.OFFLINE
    finally:
        alice.close()
        bob.close()


@pytest.mark.parametrize("code", BUSY)
def test_sends_refused_as_busy_stay_queued_and_go_out_once_the_server_accepts(
    tmp_path, server_factory, phone, code
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        refusing = Refusing(server, "send", code)
        sent = [alice.engine.send_text(bob.phone, f"busy {n}").message_id for n in range(20)]
        run_until(lambda: refusing.count >= 3 * 20, [alice, bob])  # tried at least three times each
        assert all(alice.statuses(mid) == ["queued"] for mid in sent)
        logins = len(alice.of(LoggedIn))

        refusing.on = False
        run_until(
            lambda: bob.texts_from(alice.phone) == [f"busy {n}" for n in range(20)], [alice, bob], timeout=60
        )
        assert all(alice.statuses(mid)[:2] == ["queued", "sent"] for mid in sent)
        assert len(alice.of(LoggedIn)) == logins  # without a new login
    finally:
        alice.close()
        bob.close()


@pytest.mark.parametrize("code", ["storage_full", "storage_unavailable", "server_error"])
def test_a_fetch_refused_as_busy_after_login_is_made_again_without_a_new_login(
    tmp_path, server_factory, phone, code
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        bob.engine.logout()
        for n in range(5):
            alice.engine.send_text(bob.phone, f"waiting {n}")
        run_until(lambda: server.running.store.queued_count(bob.phone) == 5 + NAME, [alice])
        refusing = Refusing(server, "fetch", code)
        bob.engine.connect()
        assert bob.connection_state is ConnectionState.CONNECTED
        run_until(lambda: refusing.count >= 2, [bob])
        assert not bob.of(MessageReceived)
        logins = len(bob.of(LoggedIn))

        refusing.on = False
        run_until(lambda: bob.texts_from(alice.phone) == [f"waiting {n}" for n in range(5)], [alice, bob])
        run_until(lambda: server.running.store.queued_count(bob.phone) == 0, [alice, bob])
        assert len(bob.of(LoggedIn)) == logins
    finally:
        alice.close()
        bob.close()


def test_a_real_rate_limit_on_sends_is_waited_out_by_itself(tmp_path, server_factory, phone) -> None:
    # A correct login is never rate limited, so the real limit here is the server's limit on
    # unknown-number lookups: past it, every send and bundle of the account is refused for a while.
    server = server_factory(dev_codes=True, limits=Limits(unknown_per_account=1))
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        lookups = server.running.service._guards._unknown
        lookups.window = 3.0  # the server's own limiter, with a short window
        with pytest.raises(EngineError) as caught:
            alice.engine.add_contact(phone(), "Nobody")  # nobody has this number: the one lookup allowed
        assert caught.value.code == "unknown_account" and lookups.exceeded(alice.phone)
        started = time.monotonic()
        sent = [alice.engine.send_text(bob.phone, f"limited {n}").message_id for n in range(20)]
        run_until(lambda: time.monotonic() - started > 1.0, [alice, bob])
        if lookups.exceeded(alice.phone):  # still inside the window: nothing may have gone
            assert all(alice.statuses(mid) == ["queued"] for mid in sent)
        run_until(
            lambda: bob.texts_from(alice.phone) == [f"limited {n}" for n in range(20)],
            [alice, bob],
            timeout=90,
        )
        assert all("sent" in alice.statuses(mid) for mid in sent)
    finally:
        alice.close()
        bob.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_prekey_check_refused_as_busy_is_not_an_error_and_comes_again_soon(tmp_path, server_factory, phone):
    server = server_factory(dev_codes=True)
    clock = Clock()
    alice = Person(tmp_path, "alice", clock=clock)
    try:
        alice.register(server.address, phone())
        alice.engine.logout()
        refusing = Refusing(server, "prekey_count", "server_error")
        alice.engine.connect()  # the login works; the prekey check after it is refused for now
        assert alice.connection_state is ConnectionState.CONNECTED and refusing.count == 1
        refusing.on = False
        clock.now += 30
        for _ in range(5):
            alice.engine.poll(0.02)
        assert refusing.calls == 1  # not at once, not in a loop
        clock.now += 31
        run_until(lambda: refusing.calls == 2, [alice])  # a minute later, not an hour
        assert not [e for e in alice.of(ErrorReported) if e.code == "server_error"]
    finally:
        alice.close()


def test_a_database_stopped_under_the_server_holds_the_outbox_and_it_drains_once_back(
    tmp_path, phone
) -> None:
    database = PostgresInstance.start(tmp_path / "pg")
    server = start_in_process(tmp_path / "server", store=database.create_database("outage"), dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        bob.engine.send_text(alice.phone, "hello first")  # sessions both ways before the outage
        run_until(lambda: alice.texts_from(bob.phone) == ["hello first"], [alice, bob])
        database.stop()
        sent = [alice.engine.send_text(bob.phone, f"during {n}").message_id for n in range(5)]
        started = time.monotonic()
        run_until(lambda: time.monotonic() - started > 2.0, [alice, bob])  # several backoff steps
        assert all(alice.statuses(mid) == ["queued"] for mid in sent)  # kept, not failed
        assert bob.texts_from(alice.phone) == []
        assert alice.connection_state is ConnectionState.CONNECTED  # the connection was never dropped
        database.start_again()
        texts = [f"during {n}" for n in range(5)]
        # "Not now": the next backoff step, not the pause of a full queue (PAUSE_SECONDS, 30 s). That step
        # grows with each refusal (full jitter up to 0.5 s doubled per try), and a machine slow to start
        # the database makes more of them: wait for the step the outbox has drawn, and a little more.
        busy = alice.engine._duties.outbox._busy
        step = max(0.0, busy.next_attempt - time.monotonic())
        assert step < busy.cap
        arrived = lambda: bob.texts_from(alice.phone) == texts  # noqa: E731
        run_until(arrived, [alice, bob], timeout=step + PAUSE_SECONDS - 10)
        run_until(lambda: all("sent" in alice.statuses(mid) for mid in sent), [alice, bob])
        assert not any("failed" in alice.statuses(mid) for mid in sent)
    finally:
        alice.close()
        bob.close()
        server.stop()
        database.remove()
