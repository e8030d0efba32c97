"""The privacy settings on real engines through a real server: read receipts and typing notices, both ways.

"Nothing went" is proved without waiting for a clock: the side that must stay
silent sends a text after the receipt or notice it was asked for, and the
outbox keeps order, so by the time the text arrives anything sent before it
has arrived too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer
from engine_support import PASSPHRASE, Person, pair, run_until

from net.client.core.engine_error import EngineError
from net.client.core.events import MessageStatus, MessageStatusChanged, TypingChanged
from net.client.core.privacy import NotificationContent, PrivacySettings


@pytest.fixture
def two(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str]
) -> Iterator[tuple[Person, Person]]:
    alice, bob = pair(tmp_path, dev_server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        bob.engine.add_contact(alice.phone, "Alice")
        yield alice, bob
    finally:
        alice.close()
        bob.close()


def _text(sender: Person, to: Person, text: str) -> str:
    sent = sender.engine.send_text(to.phone, text)
    run_until(lambda: text in to.texts_from(sender.phone), [sender, to])
    return sent.message_id


def test_settings_are_kept_in_the_profile_and_survive_a_lock(two: tuple[Person, Person]) -> None:
    alice, _bob = two
    assert alice.engine.privacy() == PrivacySettings()
    chosen = PrivacySettings(False, True, NotificationContent.NAME_ONLY)
    alice.engine.set_privacy(chosen)
    [(profile_id, _name)] = alice.engine.list_profiles()
    alice.engine.lock()
    with pytest.raises(EngineError):
        alice.engine.privacy()
    alice.engine.unlock(profile_id, PASSPHRASE)
    assert alice.engine.privacy() == chosen


def test_with_read_receipts_off_reading_tells_the_contact_nothing(two: tuple[Person, Person]) -> None:
    alice, bob = two
    bob.engine.set_privacy(PrivacySettings(read_receipts=False))
    first = _text(alice, bob, "Are you there?")
    run_until(lambda: "delivered" in alice.statuses(first), [alice, bob])
    bob.engine.mark_read(alice.phone)
    assert MessageStatusChanged(alice.phone, first, MessageStatus.READ) in bob.events  # read on his side
    _text(bob, alice, "after reading")
    assert "read" not in alice.statuses(first)
    assert alice.engine.history(bob.phone)[1].status is MessageStatus.DELIVERED


def test_with_read_receipts_off_a_contacts_read_receipt_shows_as_delivered(
    two: tuple[Person, Person],
) -> None:
    alice, bob = two
    earlier = _text(alice, bob, "read while Alice shows reads")
    bob.engine.mark_read(alice.phone)
    run_until(lambda: "read" in alice.statuses(earlier), [alice, bob])

    alice.engine.set_privacy(PrivacySettings(read_receipts=False))
    later = _text(alice, bob, "read while Alice's receipts are off")
    bob.engine.mark_read(alice.phone)
    _text(bob, alice, "after reading")
    assert "read" not in alice.statuses(later)
    statuses = {m.message_id: m.status for m in alice.engine.history(bob.phone)}
    # No "read" shown from others while hers are off, even on what was read before.
    assert statuses[later] is MessageStatus.DELIVERED and statuses[earlier] is MessageStatus.DELIVERED
    alice.engine.set_privacy(PrivacySettings())
    statuses = {m.message_id: m.status for m in alice.engine.history(bob.phone)}
    assert statuses[earlier] is MessageStatus.READ and statuses[later] is MessageStatus.DELIVERED


def test_reading_up_to_a_message_leaves_the_newer_ones_unread(two: tuple[Person, Person]) -> None:
    alice, bob = two
    ids = [_text(alice, bob, f"number {n}") for n in range(3)]
    bob.engine.mark_read(alice.phone, up_to=ids[1])
    [conversation] = bob.engine.conversations()
    assert conversation.unread == 1
    run_until(lambda: "read" in alice.statuses(ids[1]), [alice, bob])
    _text(bob, alice, "after reading two")
    assert "read" in alice.statuses(ids[0]) and "read" not in alice.statuses(ids[2])
    with pytest.raises(EngineError) as caught:
        bob.engine.mark_read(alice.phone, up_to="m-nothing-like-it")
    assert caught.value.code == "unknown_message"


def test_with_typing_notices_off_none_go_and_none_are_shown(two: tuple[Person, Person]) -> None:
    alice, bob = two
    _text(alice, bob, "hello")  # both sides have a session
    _text(bob, alice, "hello back")
    bob.engine.set_privacy(PrivacySettings(typing_notices=False))
    bob.engine.set_typing(alice.phone, True)
    _text(bob, alice, "typed without a notice")
    assert alice.of(TypingChanged) == []

    alice.engine.set_typing(bob.phone, True)
    _text(alice, bob, "after a notice Bob does not see")
    assert bob.of(TypingChanged) == []
