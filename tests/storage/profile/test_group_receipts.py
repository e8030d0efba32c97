"""Receipts per member of our group messages: delivered to k of n, read by k of n, who and when."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.group_receipts import Receipt, ReceiptCount
from storage.profile.history import GroupChat
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
GROUP = "uv_A6i_cl0qh2ZfdY0PtAQ"
BOB, CAROL, DAVE, ERIN = ("+442079460102", "+442079460103", "+442079460104", "+442079460105")


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    profile = ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw")
    profile.groups.upsert(GROUP, "member")
    yield profile
    profile.close()


def _sent(profile: Profile, client_id: str, members: list[str]) -> int:
    message = profile.history.add(
        GroupChat(GROUP), client_id=client_id, outgoing=True, text="hi", timestamp=1.0
    )
    profile.receipts.expect(message.local_id, members)
    return message.local_id


def test_each_member_the_message_went_to_has_a_row_until_they_answer(profile: Profile) -> None:
    message = _sent(profile, "g1", [BOB, CAROL, DAVE])
    assert profile.receipts.of(message) == [Receipt(m, None, None) for m in (BOB, CAROL, DAVE)]
    assert profile.receipts.counts([message]) == {message: ReceiptCount(3, 0, 0)}


def test_delivered_and_read_fill_in_once(profile: Profile) -> None:
    message = _sent(profile, "g1", [BOB, CAROL, DAVE])
    assert profile.receipts.delivered(message, BOB, 10.0)
    assert not profile.receipts.delivered(message, BOB, 11.0)  # a repeat changes nothing
    assert profile.receipts.read(message, BOB, 12.0)
    assert not profile.receipts.read(message, BOB, 13.0)
    assert profile.receipts.read(message, CAROL, 14.0)  # read without a delivery first: both
    assert not profile.receipts.delivered(message, CAROL, 15.0)
    assert profile.receipts.of(message) == [
        Receipt(BOB, 10.0, 12.0),
        Receipt(CAROL, 14.0, 14.0),
        Receipt(DAVE, None, None),
    ]
    assert profile.receipts.counts([message]) == {message: ReceiptCount(3, 2, 2)}


def test_a_receipt_from_someone_it_did_not_go_to_is_ignored(profile: Profile) -> None:
    message = _sent(profile, "g1", [BOB])
    assert not profile.receipts.delivered(message, ERIN, 1.0)
    assert not profile.receipts.read(message, ERIN, 1.0)
    assert [r.member for r in profile.receipts.of(message)] == [BOB]


def test_counts_for_a_page_of_messages(profile: Profile) -> None:
    first, second = _sent(profile, "g1", [BOB, CAROL]), _sent(profile, "g2", [BOB])
    profile.receipts.delivered(second, BOB, 1.0)
    unsent = profile.history.add(GroupChat(GROUP), client_id="g3", outgoing=True, text="x", timestamp=2.0)
    assert profile.receipts.counts([first, second, unsent.local_id]) == {
        first: ReceiptCount(2, 0, 0),
        second: ReceiptCount(1, 1, 0),
    }
    assert profile.receipts.counts([]) == {}
    profile.receipts.expect(first, [BOB, ERIN])  # expecting again adds only who is new
    assert [r.member for r in profile.receipts.of(first)] == [BOB, CAROL, ERIN]


def test_the_receipts_go_with_their_message(profile: Profile) -> None:
    message = _sent(profile, "g1", [BOB])
    assert profile.history.delete(GroupChat(GROUP), "g1", outgoing=True)
    assert profile.receipts.of(message) == []


def test_a_receipt_repr_holds_no_number() -> None:
    assert BOB not in repr(Receipt(BOB, 1.0, None))
