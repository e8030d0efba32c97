"""Who is online: one session per account."""

from __future__ import annotations

from typing import Any

from net.server.presence import Presence


class Session:
    def __init__(self) -> None:
        self.peer = "test"
        self.phone: str | None = None
        self.device = 1
        self.challenge: tuple[str, bytes] | None = None

    def push(self, kind: str, body: dict[str, Any]) -> bool:
        return True

    def end(self) -> None:
        pass


def test_a_new_session_displaces_the_old_one() -> None:
    presence, first, second = Presence(), Session(), Session()
    assert presence.claim("+1", first) is None
    assert presence.claim("+1", second) is first
    assert presence.get("+1") is second


def test_claiming_again_displaces_nobody() -> None:
    presence, session = Presence(), Session()
    presence.claim("+1", session)
    assert presence.claim("+1", session) is None


def test_an_old_session_ending_does_not_log_out_the_new_one() -> None:
    presence, first, second = Presence(), Session(), Session()
    presence.claim("+1", first)
    presence.claim("+1", second)
    presence.release("+1", first)
    assert presence.get("+1") is second
    presence.release("+1", second)
    assert presence.get("+1") is None and len(presence) == 0


def test_take_all_removes_every_device_of_the_account() -> None:
    presence, session = Presence(), Session()
    presence.claim("+1", session)
    assert presence.take_all("+1") == [session]
    assert presence.take_all("+1") == []


def test_each_device_of_an_account_has_its_own_session() -> None:
    presence, first, second, again = Presence(), Session(), Session(), Session()
    second.device = again.device = 2
    presence.claim("+1", first)
    assert presence.claim("+1", second) is None  # another device: nobody displaced
    assert presence.get("+1", 1) is first and presence.get("+1", 2) is second
    assert presence.all_of("+1") == [first, second] and len(presence) == 2
    assert presence.claim("+1", again) is second  # the same device again: only that one displaced
    assert presence.take("+1", 2) is again and presence.all_of("+1") == [first]
