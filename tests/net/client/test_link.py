"""The link: addresses, waking a wait from another thread, first contact and accepting a key."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE
from fake_clock import FakeClock

from net.client.core.connection_state import RETRY_LATER, Input
from net.client.core.engine_error import EngineError
from net.client.core.events import ConnectionChanged, ConnectionState, Event, ServerKeyUnknown
from net.client.link import Link, join_address, split_address
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    opened = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Ada", PASSPHRASE)
    yield opened
    opened.close()


def test_addresses_round_trip_for_names_and_ipv6() -> None:
    for host, port in (("127.0.0.1", 5000), ("example.org", 1), ("::1", 65535)):
        assert split_address(join_address(host, port)) == (host, port)
    assert join_address("::1", 5000) == "[::1]:5000"


def test_a_wakeup_from_another_thread_ends_a_wait_at_once() -> None:
    link = Link(lambda _e: None, lambda _p: None)
    try:
        assert link.wait(0.01) is False
        woken = threading.Event()

        def wake() -> None:
            woken.wait(5)
            link.wakeup()

        thread = threading.Thread(target=wake)
        thread.start()
        started = time.monotonic()
        woken.set()
        assert link.wait(30.0) is True
        assert time.monotonic() - started < 10
        thread.join(5)
        assert link.wait(0.0) is False  # the wake-up was consumed
    finally:
        link.shutdown()


def test_first_contact_reports_the_key_and_only_that_key_can_be_accepted(server, profile: Profile) -> None:
    events: list[Event] = []
    link = Link(events.append, lambda _p: None)
    address = join_address(*server.address)
    try:
        with pytest.raises(EngineError) as caught:
            link.open(address, profile.server_pins)
        assert caught.value.code == "server_key_unknown"
        offered = [e for e in events if isinstance(e, ServerKeyUnknown)]
        assert [e.address for e in offered] == [address]
        assert profile.server_pins.get(address) is None  # nothing pinned silently
        with pytest.raises(EngineError):
            link.accept_key(address, "ab" * 32, profile.server_pins)
        link.accept_key(address, offered[0].fingerprint, profile.server_pins)
        conn = link.open(address, profile.server_pins)
        assert conn.fingerprint == server.fingerprint
        assert ConnectionChanged(ConnectionState.CONNECTING) in events
        with pytest.raises(EngineError) as offline:
            link.require()  # connected, but not logged in
        assert offline.value.code == "offline"
    finally:
        link.shutdown()


def test_the_same_key_at_a_new_address_is_trusted_without_asking_and_another_key_is_not(
    server_factory, tmp_path: Path, profile: Profile
) -> None:
    first = server_factory(data_dir=tmp_path / "server")
    events: list[Event] = []
    link = Link(events.append, lambda _p: None)
    old = join_address(*first.address)
    try:
        with pytest.raises(EngineError):
            link.open(old, profile.server_pins)
        (offered,) = [e for e in events if isinstance(e, ServerKeyUnknown)]
        link.accept_key(old, offered.fingerprint, profile.server_pins)
        first.stop()
        # the same server (its data folder, so its key) comes back on another port
        moved = server_factory(data_dir=tmp_path / "server")
        new = join_address(*moved.address)
        assert new != old
        events.clear()
        conn = link.open(new, profile.server_pins)
        assert conn.fingerprint == moved.fingerprint
        assert not [e for e in events if isinstance(e, ServerKeyUnknown)]  # not asked again
        assert profile.server_pins.get(new) == profile.server_pins.get(old)
        link.close()
        # a server with another key at an address never seen is still a question
        stranger = server_factory(data_dir=tmp_path / "stranger")
        with pytest.raises(EngineError) as caught:
            link.open(join_address(*stranger.address), profile.server_pins)
        assert caught.value.code == "server_key_unknown"
    finally:
        link.shutdown()


def test_keepalive_pings_often_enough_for_the_servers_idle_timeout(tmp_path, server_factory, phone) -> None:
    from conftest import Limits
    from engine_support import Person
    from fake_clock import FakeClock

    server = server_factory(dev_codes=True, limits=Limits(idle_timeout=2.0))
    clock = FakeClock()
    ada = Person(tmp_path, "ada", monotonic=clock)
    ada.register(server.address, phone())
    try:
        link = ada.engine._link
        assert abs(link.ping_every - 2 / 3) < 1e-9  # three pings per idle timeout
        conn = link.conn
        assert conn is not None
        sent = conn.last_sent
        clock.now = sent + 0.5
        link.keepalive()
        assert conn.last_sent == sent  # not due yet: nothing sent
        assert abs(link.next_ping_in() - (sent + link.ping_every - clock())) < 1e-9
        clock.now = sent + 0.75
        assert link.next_ping_in() == 0.0
        link.keepalive()  # due: a ping, answered by the server
        assert conn.last_sent == clock()
        assert ada.connection_state is ConnectionState.CONNECTED
    finally:
        ada.close()


def _half(n: int) -> bytes:
    """Random bytes that make the jitter exactly half of the ceiling."""
    return b"\x80" + bytes(n - 1)


def test_a_login_refused_for_now_schedules_a_new_attempt_after_a_backoff_with_jitter() -> None:
    events: list[Event] = []
    clock = FakeClock()
    link = Link(events.append, lambda _p: None, random=_half, monotonic=clock)
    try:
        link.send(Input.DIAL)
        link.send(Input.GREETED_TO_REGISTER)
        link.retry_later("The server is busy")
        assert link.want_online and link.conn is None and not link.logged_in
        assert events[-1] == ConnectionChanged(ConnectionState.RECONNECTING, "The server is busy")
        assert link.backoff.failures == 1
        assert link.backoff.next_attempt - clock() == 0.25  # 0.5 s * 0.5
        clock.advance(0.24)
        assert not link.backoff.due()
        clock.advance(0.01)
        assert link.backoff.due()
        link.send(Input.REDIAL)  # the next attempt, refused for now again
        assert events[-1] == ConnectionChanged(ConnectionState.RECONNECTING, "The server is busy")
        link.send(Input.GREETED_TO_LOG_IN)
        link.retry_later("The server is busy")
        assert link.backoff.failures == 2 and link.backoff.ceiling() == 2.0
    finally:
        link.shutdown()
    assert {"rate_limited", "storage_full", "storage_unavailable", "server_error"} == RETRY_LATER
