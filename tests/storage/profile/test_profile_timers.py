"""The profile's timer store (schema step 8): each conversation's timer, the newest winning, and each
message's countdown; the removal it leads to leaves nothing in the files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import profile_pages as pages
import pytest

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.history import GroupChat
from storage.profile.profile import Profile
from storage.profile.timers import ChatTimer, Due, MessageTimer

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ALICE = "+15550001111"
BOB = "+15550002222"
GROUP = "g-boats"


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    profile = ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw")
    yield profile
    profile.close()


def _add(profile: Profile, client_id: str, text: str = "hi", *, outgoing: bool = False) -> int:
    return profile.history.add(
        ALICE, client_id=client_id, outgoing=outgoing, text=text, timestamp=10.0
    ).local_id


def test_a_conversations_timer_the_newest_setting_wins_and_a_repeat_changes_nothing(profile: Profile) -> None:
    timers = profile.timers
    assert timers.chat(ALICE) == ChatTimer()
    assert timers.set_chat(ALICE, 3600, 1000, ALICE)
    assert not timers.set_chat(ALICE, 3600, 1000, ALICE)  # the same one again
    assert not timers.set_chat(ALICE, 0, 999, BOB)  # older, late: loses
    assert timers.set_chat(ALICE, 300, 1000, BOB)  # the same time: the greater phone wins
    assert not timers.set_chat(ALICE, 0, 1000, ALICE)
    assert timers.chat(ALICE) == ChatTimer(300, 1000, BOB)
    profile.groups.upsert(GROUP, "member", state={"v": 1})
    assert timers.set_chat(GroupChat(GROUP), 86400, 5, BOB)
    assert timers.chats() == {f"c:{ALICE}": 300, f"g:{GROUP}": 86400}
    assert timers.set_chat(ALICE, 0, 2000, ALICE)
    assert timers.chats() == {f"g:{GROUP}": 86400}  # off is not listed
    with pytest.raises(ValueError, match="set by someone"):
        timers.set_chat(ALICE, 300, 3000, "")


def test_a_messages_countdown_starts_once_and_the_due_ones_come_earliest_first(profile: Profile) -> None:
    timers = profile.timers
    ours, theirs, plain = _add(profile, "m1", outgoing=True), _add(profile, "m2"), _add(profile, "m3")
    timers.set_message(ours, 300, 310_000)
    timers.set_message(theirs, 3600)
    timers.set_message(plain, 0)  # no timer: nothing kept
    assert timers.of([ours, theirs, plain]) == {
        ours: MessageTimer(300, 310_000),
        theirs: MessageTimer(3600, 0),
    }
    assert timers.next_due() == 310_000
    assert timers.start([ours, theirs, plain], 20_000) == [theirs]
    assert timers.start([theirs], 99_000) == []  # started already: the first reading counts
    assert timers.of([theirs])[theirs] == MessageTimer(3600, 3_620_000)
    assert timers.due(309_999) == []
    assert timers.due(3_620_000) == [
        Due(ours, ALICE, "m1", True, ""),
        Due(theirs, ALICE, "m2", False, ""),
    ]
    assert timers.due(3_620_000, limit=1) == [Due(ours, ALICE, "m1", True, "")]
    # The row goes with its message.
    assert profile.actions.delete_for_me(ours, ALICE, "")
    assert timers.of([ours]) == {} and timers.next_due() == 3_620_000


def test_a_removed_message_is_in_no_page_of_the_database_or_its_log_at_once(profile: Profile) -> None:
    for n in range(30):
        _add(profile, f"k{n}", f"kept message {n}")
    secret = "ᚠᚢᚦᚨᚱᚲ ᚷᚹᚺᚾᛁᛃ"
    local = _add(profile, "gone", secret)
    edited = _add(profile, "edited", "ᛇᛈᛉᛊᛏᛒ ᛖᛗᛚᛜᛞᛟ")
    assert profile.actions.edit(edited, "the new words", 20)
    pages.assert_present(profile.folder, "pw", secret)
    assert profile.actions.delete_for_me(local, ALICE, ALICE)
    assert profile.actions.delete_for_everyone(edited, ALICE)
    # Still open: the log was checkpointed and emptied when each deletion committed.
    pages.assert_gone(profile.folder, "pw", secret)
    pages.assert_gone(profile.folder, "pw", "ᛇᛈᛉᛊᛏᛒ ᛖᛗᛚᛜᛞᛟ")
    assert len(profile.history.search_all("kept message")) == 30


def test_unsent_copies_of_a_message_leave_the_outbox_and_nothing_else(profile: Profile) -> None:
    outbox = profile.outbox
    outbox.enqueue(ALICE, "m-1", b"a")
    outbox.enqueue(BOB, "m-1", b"b")
    outbox.enqueue(ALICE, "m-1.0a0b", b"sent again")
    outbox.enqueue(ALICE, "m-10", b"another message")
    outbox.enqueue(ALICE, "c-1", b"a receipt")
    assert outbox.remove_message("m-1") == 3
    assert [i.client_id for i in outbox.pending()] == ["m-10", "c-1"]
    assert outbox.remove_message("m-1") == 0
