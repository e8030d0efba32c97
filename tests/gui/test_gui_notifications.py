"""Desktop notifications against real D-Bus session buses: a receiver, none, or no bus at all.

Each bus is a private ``dbus-daemon`` of the test's own (tests/notification_service.py);
the notifier finds it through DBUS_SESSION_BUS_ADDRESS, as on a desktop. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from notification_service import NotificationReceiver

from gui.notifications import NO_BUS, NO_SERVICE, REFUSED, DesktopNotices, reason_of

WAIT_SECONDS = 20.0


def _wait(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NotificationReceiver]:
    """A private session bus with no notification service on it (yet)."""
    found = NotificationReceiver(tmp_path / "dbus")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", found.start(serve=False))
    yield found
    found.stop()


def test_a_bus_without_a_receiver_is_said_in_words_and_a_receiver_that_comes_clears_it(
    bus: NotificationReceiver,
) -> None:
    notices = DesktopNotices()
    try:
        assert notices.unavailable is None  # nothing tried yet: nothing to say
        notices.check()
        _wait(lambda: notices.unavailable is not None, "the check's answer")
        assert notices.unavailable == NO_SERVICE
        notices.show("+442079460101", "Bob", "Dinner at 8?")  # returns at once, raises nothing
        notices._submit(asyncio.sleep(0)).result(WAIT_SECONDS)  # one thread, in order: the show is done
        assert notices.dispatched == 0 and notices.unavailable == NO_SERVICE
        # The desktop's service comes up: the next notification goes through, and the reason goes.
        bus.serve()
        notices.show("+442079460101", "Bob", "Or 9")
        _wait(lambda: notices.dispatched == 1, "the notification taken")
        assert notices.unavailable is None
        assert [(s.summary, s.body) for s in bus.shown] == [("Bob", "Or 9")]
    finally:
        notices.close()


def test_no_session_bus_at_all_is_said_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus-here'}")
    notices = DesktopNotices()
    try:
        notices.check()
        _wait(lambda: notices.unavailable is not None, "the check's answer")
        assert notices.unavailable == NO_BUS
    finally:
        notices.close()


class _BusError(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.type = kind


def test_each_failure_has_its_reason() -> None:
    assert reason_of(_BusError("org.freedesktop.DBus.Error.ServiceUnknown")) == NO_SERVICE
    assert reason_of(_BusError("org.freedesktop.DBus.Error.NameHasNoOwner")) == NO_SERVICE
    assert reason_of(FileNotFoundError(2, "No such file or directory")) == NO_BUS
    assert reason_of(ConnectionRefusedError(111, "Connection refused")) == NO_BUS
    assert reason_of(_BusError("org.freedesktop.DBus.Error.AccessDenied")) == REFUSED
    assert reason_of(RuntimeError("anything else")) == REFUSED
