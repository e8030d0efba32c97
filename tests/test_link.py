"""The link: addresses, waking a wait from another thread, first contact and accepting a key."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE

from net.engine_error import EngineError
from net.events import ConnectionChanged, ConnectionState, Event, ServerKeyUnknown
from net.link import RETRY_LATER, Link, join_address, split_address
from storage.profile import Profile
from storage.profile_dir import ProfileDirectory


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


def test_keepalive_pings_often_enough_for_the_servers_idle_timeout(tmp_path, server_factory, phone) -> None:
    from conftest import Limits
    from engine_support import pair

    server = server_factory(dev_codes=True, limits=Limits(idle_timeout=2.0))
    (ada,) = pair(tmp_path, server.address, phone, "ada")
    try:
        assert abs(ada.engine._link.ping_every - 2 / 3) < 1e-9
        deadline = time.monotonic() + 4.0  # well past the idle timeout: only pings keep the link
        while time.monotonic() < deadline:
            ada.engine.poll(0.1)
        states = [e.state for e in ada.events if isinstance(e, ConnectionChanged)]
        assert ConnectionState.RECONNECTING not in states  # never dropped, so never came back
        assert ada.engine.connection_state is ConnectionState.CONNECTED
    finally:
        ada.close()


def test_a_login_refused_for_now_schedules_a_new_attempt_after_a_backoff_with_jitter() -> None:
    events: list[Event] = []
    link = Link(events.append, lambda _p: None, random=lambda n: b"\x80" * n)  # half of the ceiling
    try:
        link.set_state(ConnectionState.CONNECTED)
        before = time.monotonic()
        link.retry_later("The server is busy")
        assert link.want_online and link.conn is None and not link.logged_in
        assert events[-1] == ConnectionChanged(ConnectionState.RECONNECTING, "The server is busy")
        assert link.backoff.failures == 1
        assert 0.2 <= link.backoff.next_attempt - before <= 0.3  # 0.5 s * 0.5
        link.retry_later("The server is busy")
        assert link.backoff.failures == 2 and link.backoff.ceiling() == 2.0
    finally:
        link.shutdown()
    assert {"rate_limited", "storage_full", "server_error"} == RETRY_LATER
