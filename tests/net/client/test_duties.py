"""What the engine does by itself: another device taking the account over, healing's rate limit, and
topping prekeys up as soon as the server says they run low."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from engine_support import FAST_KDF, PASSPHRASE, Person, pair, run_until
from fake_clock import FakeClock
from wire_client import Person as WirePerson
from wire_client import WireClient

from crypto_core.keys import IdentityKeyPair
from net.client import prekeys
from net.client.context import Context
from net.client.core.duties_plan import HEAL_EVERY, HEAL_LIMIT, HEAL_WINDOW
from net.client.core.envelope import SessionReset, decode_payload
from net.client.core.events import ConnectionState, ErrorReported, UndecryptableMessage
from net.client.duties import Duties
from net.client.inbox import Inbox
from net.client.link import Link
from net.client.outbox import Entry, Outbox
from net.protocol.connection import Push
from net.protocol.errors import RequestRefused
from net.protocol.replies import PrekeysLowPush
from net.protocol.reply_shapes import Shape
from net.server.limits import Limits
from storage.profile.directory import ProfileDirectory

T = TypeVar("T")


class Clock:
    """The engine's clock, moved on by the test instead of waiting."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_login_elsewhere_takes_this_engine_offline_for_good(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    (alice,) = pair(tmp_path, server.address, phone, "alice")
    profile_id = alice.engine.list_profiles()[0][0]
    shutil.copytree(alice.root, tmp_path / "copy" / "alice")
    other = Person(tmp_path / "copy", "alice")
    try:
        other.engine.unlock(profile_id, PASSPHRASE)
        other.engine.connect()
        run_until(lambda: alice.connection_state is ConnectionState.OFFLINE, [alice])
        (ended,) = [e for e in alice.of(ErrorReported) if e.code == "session_ended"]
        assert "another device" in ended.message
        alice.engine.poll(0.1)
        assert alice.connection_state is ConnectionState.OFFLINE  # no tug of war over the account
        assert other.connection_state is ConnectionState.CONNECTED
    finally:
        alice.close()
        other.close()


def test_healing_starts_at_most_one_new_session_per_contact_at_a_time(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone)
        alice.engine.send_text(bob.phone, "one")
        run_until(lambda: bob.texts_from(alice.phone) == ["one"], [alice, bob])
        duties = bob.engine._duties
        assert duties is not None
        before = server.running.store.prekey_counts(alice.phone)
        duties.heal({alice.phone: ["c-1"]})
        duties.heal({alice.phone: ["c-2"]})  # within the interval: no second bundle, no second reset
        assert server.running.store.prekey_counts(alice.phone)[0] == before[0] - 1
        run_until(lambda: len(server.running.store.fetch(alice.phone, 0, 10)[0]) == 0, [alice, bob])
        assert bob.of(UndecryptableMessage) == []
    finally:
        alice.close()
        bob.close()


def test_unreadable_messages_start_at_most_a_few_sessions_a_day_per_contact_even_across_restarts(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    store = server.running.store
    clock = Clock()
    (alice,) = pair(tmp_path, server.address, phone, "alice")
    bob = Person(tmp_path, "bob", clock=clock)
    people = [alice, bob]
    try:
        bob.register(server.address, phone())
        bob.knows(alice.phone)
        alice.engine.add_contact(bob.phone)
        alice.engine.send_text(bob.phone, "one")
        run_until(lambda: bob.texts_from(alice.phone) == ["one"], people)
        left, bob_phone = store.prekey_counts(alice.phone)[0], bob.phone

        def unreadable(times: int) -> None:
            # What a hostile server can cause at will: a message "from Alice" that does not open.
            for n in range(times):
                clock.now += HEAL_EVERY + 1
                duties = bob.engine._duties
                assert duties is not None
                duties.heal({alice.phone: [f"c-{n}"]})

        unreadable(HEAL_LIMIT + 2)
        assert store.prekey_counts(alice.phone)[0] == left - HEAL_LIMIT
        assert bob.engine._ctx is not None
        queued = [
            decode_payload(Entry.from_bytes(i.payload).inner)
            for i in bob.engine._ctx.profile.outbox.pending()
        ]
        # Beyond the limit the notice still goes, on the current session.
        assert [p.failed_client_ids for p in queued if isinstance(p, SessionReset)] == [
            (f"c-{n}",) for n in range(HEAL_LIMIT + 2)
        ]
        profile_id = bob.engine.list_profiles()[0][0]
        bob.close()
        bob = people[1] = Person(tmp_path, "bob", clock=clock)
        bob.engine.unlock(profile_id, PASSPHRASE)
        bob.engine.connect()
        unreadable(2)  # the count is in the profile: a restart does not reset it
        assert store.prekey_counts(alice.phone)[0] == left - HEAL_LIMIT
        clock.now += HEAL_WINDOW
        unreadable(1)
        assert store.prekey_counts(alice.phone)[0] == left - HEAL_LIMIT - 1
        clock.now -= 3600  # the clock set back an hour does not hold healing off for that hour
        unreadable(1)
        assert store.prekey_counts(alice.phone)[0] == left - HEAL_LIMIT - 2
        # Every reset notice, on a new session or beyond the limit on the current one, opened at Alice.
        run_until(lambda: len(store.fetch(alice.phone, 0, 10)[0]) == 0, people)
        assert alice.of(UndecryptableMessage) == []
        bob.engine.send_text(alice.phone, "still talking")
        run_until(lambda: alice.texts_from(bob_phone) == ["still talking"], people)
    finally:
        for person in people:
            person.close()


def test_a_prekeys_low_push_tops_the_prekeys_up_without_waiting_for_the_hourly_check(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True, limits=Limits(prekeys_per_target=1000))
    (alice,) = pair(tmp_path, server.address, phone, "alice")
    fetcher, client = WirePerson(phone()), WireClient(server.address)
    try:
        run_until(lambda: alice.connection_state is ConnectionState.CONNECTED, [alice])
        alice.engine.poll(0.2)  # the check after login is done; the next is an hour away
        code = fetcher.took(client.call("register_start", phone=fetcher.phone, email=fetcher.email))["code"]
        client.call("register_finish", **fetcher.finish_args(code))
        fetcher.login(client)
        drained = prekeys.TARGET - prekeys.LOW + 1
        for _ in range(drained):
            client.call("get_bundle", phone=alice.phone)
        store = server.running.store
        assert store.prekey_counts(alice.phone) == (prekeys.LOW - 1, prekeys.LOW - 1)
        run_until(lambda: store.prekey_counts(alice.phone) == (prekeys.TARGET, prekeys.TARGET), [alice])
    finally:
        client.close()
        alice.close()


# ---------------------------------------------------------------------- the decisions, without a server


class ScriptedConnection:
    """What the duties ask the server, answered from a script: a unit test of decisions, not of the wire."""

    def __init__(self, one_time: int, kem: int) -> None:
        self.counts = {"one_time": one_time, "kem": kem}
        self.calls: list[str] = []
        self.last_sent = 0.0
        #: Requests the server refuses as busy, this many times each.
        self.busy: dict[str, int] = {}

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        self.calls.append(op)
        if self.busy.get(op, 0) > 0:
            self.busy[op] -= 1
            raise RequestRefused("rate_limited", "slow down")
        if op == "fetch":
            return {"messages": [], "more": False}
        if op == "prekey_count":
            return dict(self.counts)
        if op == "upload_prekeys":
            self.counts["one_time"] += len(args["one_time_prekeys"])
            self.counts["kem"] += len(args["kem_prekeys"])
            return dict(self.counts)
        return {}

    def request(self, shape: Shape[T], **args: Any) -> T:
        """The scripted answer, checked into its typed reply as the real connection does."""
        return shape.parse(self.call(shape.op, **args))

    def close(self) -> None:
        self.calls.append("close")

    def take_pushes(self) -> list[Push]:
        return []


def _half(n: int) -> bytes:
    """Random bytes that make every backoff wait exactly half of its ceiling (nothing secret uses them)."""
    return b"\x80" + bytes(n - 1)


@pytest.fixture
def offline_duties(tmp_path: Path) -> Iterator[tuple[Duties, ScriptedConnection, Clock]]:
    clock = Clock()
    profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Bob", PASSPHRASE)
    ctx = Context(
        profile, lambda _e: None, clock, monotonic=FakeClock(), random=lambda n: b"\x80" + bytes(n - 1)
    )
    ctx.identity = IdentityKeyPair.generate()
    with profile.transaction():
        prekeys.for_registration(profile.keys, ctx.identity, clock())
    link = Link(lambda _e: None, lambda _p: None, monotonic=ctx.monotonic)
    conn = ScriptedConnection(prekeys.TARGET, prekeys.TARGET)
    link.conn, link.logged_in = conn, True  # type: ignore[assignment]
    try:
        yield Duties(ctx, link, Inbox(ctx), Outbox(ctx, link)), conn, clock
    finally:
        link.shutdown()
        profile.close()


def test_prekeys_are_counted_hourly_and_topped_up_only_when_low(offline_duties) -> None:
    duties, conn, clock = offline_duties
    duties.service()
    assert conn.calls == ["prekey_count"]  # due at once (after a login); full, so nothing uploaded
    clock.now += prekeys.CHECK_EVERY - 1
    duties.service()
    assert conn.calls == ["prekey_count"]  # not due yet
    conn.counts["one_time"] = prekeys.LOW - 1
    clock.now += 1
    duties.service()
    assert conn.calls == ["prekey_count", "prekey_count", "upload_prekeys"]
    assert conn.counts["one_time"] == prekeys.TARGET


def test_the_signed_prekey_is_rotated_once_a_week_by_the_engines_clock(offline_duties) -> None:
    duties, conn, clock = offline_duties
    clock.now += prekeys.ROTATE_AFTER - 60
    duties.service()
    assert "set_signed_prekey" not in conn.calls
    clock.now += prekeys.CHECK_EVERY
    duties.service()
    assert conn.calls.count("set_signed_prekey") == 1
    clock.now += prekeys.CHECK_EVERY
    duties.service()
    assert conn.calls.count("set_signed_prekey") == 1  # rotated: the next one is a week away


def test_a_prekeys_low_push_makes_the_check_due_at_once(offline_duties) -> None:
    duties, conn, _clock = offline_duties
    duties.service()
    duties.on_push(PrekeysLowPush(one_time=3, kem=1))
    duties.service()
    assert conn.calls == ["prekey_count", "prekey_count"]


def test_a_fetch_refused_as_busy_waits_its_backoff_on_the_monotonic_clock(offline_duties) -> None:
    duties, conn, _clock = offline_duties
    monotonic = duties._ctx.monotonic
    conn.busy["fetch"] = 2
    duties.after_login()
    assert conn.calls.count("fetch") == 1  # refused: half of the first 0.5 s ceiling to wait
    monotonic.advance(0.24)
    duties.service()
    assert conn.calls.count("fetch") == 1
    monotonic.advance(0.01)
    duties.service()
    assert conn.calls.count("fetch") == 2  # refused again: 0.5 s now
    monotonic.advance(0.49)
    duties.service()
    assert conn.calls.count("fetch") == 2
    monotonic.advance(0.01)
    duties.service()
    duties.service()
    assert conn.calls.count("fetch") == 3  # fetched, and not again until the next login or kept batch
