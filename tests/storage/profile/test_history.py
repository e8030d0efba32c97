"""The history's writes: a message stored and read back, duplicates refused, status moving forward
only, marking read (past a damaged row), and notices in the timeline."""

from __future__ import annotations

import pytest
from history_support import ALICE, BOB, damage, profile

from storage.profile.errors import DuplicateEntry
from storage.profile.profile import Profile

__all__ = ["profile"]  # the fixture, imported so pytest finds it here


def test_a_message_reads_back_as_it_was_stored(profile: Profile) -> None:
    stored = profile.history.add(
        ALICE, client_id="c1", outgoing=True, text="Grüße 👋", timestamp=12.345, meta={"reply_to": "c0"}
    )
    (read,) = profile.history.page(ALICE).messages
    assert read == stored
    assert (read.text, read.timestamp, read.status, read.meta) == (
        "Grüße 👋",
        12.345,
        "queued",
        {"reply_to": "c0"},
    )
    assert "Grüße" not in repr(read) and ALICE not in repr(read)
    assert profile.history.get(ALICE, "c1", outgoing=True) == stored
    assert profile.history.get(ALICE, "c1", outgoing=False) is None


def test_a_duplicate_client_id_is_refused_and_nothing_changes(profile: Profile) -> None:
    profile.history.add(ALICE, client_id="c1", outgoing=True, text="first", timestamp=1.0)
    with pytest.raises(DuplicateEntry):
        profile.history.add(ALICE, client_id="c1", outgoing=True, text="second", timestamp=2.0)
    assert [m.text for m in profile.history.page(ALICE).messages] == ["first"]
    # The same id from the other side, or in another conversation, is another message.
    profile.history.add(ALICE, client_id="c1", outgoing=False, text="theirs", timestamp=3.0)
    profile.history.add(BOB, client_id="c1", outgoing=True, text="to bob", timestamp=3.0)
    assert profile.history.count(ALICE) == 2


def test_status_only_moves_forward(profile: Profile) -> None:
    profile.history.add(ALICE, client_id="c1", outgoing=True, text="x", timestamp=1.0)
    assert profile.history.set_status(ALICE, "c1", "sent")
    assert profile.history.set_status(ALICE, "c1", "read")
    assert not profile.history.set_status(ALICE, "c1", "delivered")  # a late receipt
    assert not profile.history.set_status(ALICE, "unknown", "sent")
    assert profile.history.get(ALICE, "c1", outgoing=True).status == "read"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="status"):
        profile.history.set_status(ALICE, "c1", "teleported")
    with pytest.raises(ValueError, match="incoming"):
        profile.history.add(ALICE, client_id="c2", outgoing=False, text="x", timestamp=1.0, status="sent")


def test_a_failed_message_can_be_retried(profile: Profile) -> None:
    profile.history.add(ALICE, client_id="c1", outgoing=True, text="x", timestamp=1.0)
    assert profile.history.set_status(ALICE, "c1", "failed")
    assert profile.history.set_status(ALICE, "c1", "queued")


def test_unread_counts_and_mark_read(profile: Profile) -> None:
    for i in range(5):
        profile.history.add(ALICE, client_id=f"in{i}", outgoing=False, text="x", timestamp=10.0 + i)
    profile.history.add(ALICE, client_id="out", outgoing=True, text="x", timestamp=20.0)
    assert profile.history.unread(ALICE) == 5
    third = profile.history.get(ALICE, "in2", outgoing=False)
    assert third is not None
    assert profile.history.mark_read(ALICE, up_to=third.cursor) == ["in0", "in1", "in2"]
    assert profile.history.unread(ALICE) == 2
    assert profile.history.mark_read(ALICE) == ["in3", "in4"]
    assert profile.history.mark_read(ALICE) == []
    assert profile.history.unread(ALICE) == 0


def test_marking_read_passes_over_a_damaged_message(profile: Profile) -> None:
    for i in range(3):
        profile.history.add(ALICE, client_id=f"in{i}", outgoing=False, text=f"hi {i}", timestamp=10.0 + i)
    damage(profile, "client IS NOT NULL AND id = (SELECT MIN(id) FROM messages)")
    assert profile.history.mark_read(ALICE) == ["in1", "in2"]
    assert profile.history.unread(ALICE) == 0
    assert profile.take_damage() == ["message"]


def test_a_notice_keeps_its_place_in_the_timeline_and_is_no_message(profile: Profile) -> None:
    history = profile.history
    history.add(BOB, client_id="m1", outgoing=False, text="old phone", timestamp=10.0)
    notice = history.add_notice(BOB, client_id="n1", kind="key_changed", timestamp=11.0, meta={"a": 1})
    history.add(BOB, client_id="m2", outgoing=False, text="new phone", timestamp=12.0)
    assert [(m.client_id, m.kind) for m in history.page(BOB).messages] == [
        ("m2", "text"),
        ("n1", "key_changed"),
        ("m1", "text"),
    ]
    assert (notice.text, notice.status, dict(notice.meta)) == ("", "read", {"a": 1})
    assert history.unread(BOB) == 2 and history.count(BOB) == 2
    assert history.mark_read(BOB) == ["m1", "m2"]  # no receipt ever names a notice
    history.add_notice(BOB, client_id="n2", kind="key_changed", timestamp=13.0)
    (summary,) = history.conversations()
    assert summary.last.text == "new phone"  # the preview is the last message, not the notice
    assert [m.client_id for m in history.search(BOB, "phone").messages] == ["m2", "m1"]
    with pytest.raises(ValueError, match="notice kind"):
        history.add_notice(BOB, client_id="n3", kind="party", timestamp=14.0)
    with pytest.raises(DuplicateEntry):
        history.add_notice(BOB, client_id="n1", kind="key_changed", timestamp=15.0)
