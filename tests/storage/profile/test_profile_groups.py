"""The groups store: a group's standing and cached state, its log of signed changes, and deleting it whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import profile_raw as raw
import pytest

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.groups import NewChange
from storage.profile.history import GroupChat
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
GROUP, OTHER = "uv_A6i_cl0qh2ZfdY0PtAQ", "S6M6AYIwkRy2NzbUlxZPUw"
ALICE, BOB = "+442079460101", "+442079460102"
STATE = {"v": 1, "name": "Book club", "members": [[ALICE, 0], [BOB, 1]]}


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def directory(tmp_path: Path, clock: Clock) -> ProfileDirectory:
    return ProfileDirectory(tmp_path, kdf_params=FAST, clock=clock)


@pytest.fixture
def profile(directory: ProfileDirectory) -> Iterator[Profile]:
    profile = directory.create("Me", "pw")
    yield profile
    profile.close()


def _change(change_id: str, version: int, author: str = ALICE, outcome: str = "unfolded") -> NewChange:
    signed = {"change": {"n": change_id, "v": version, "by": author}, "sig": "c2ln"}
    return NewChange(change_id, version, author, signed, outcome)


def test_a_group_is_made_then_its_standing_and_state_change(profile: Profile, clock: Clock) -> None:
    made = profile.groups.upsert(GROUP, "request")
    assert (made.group_id, made.standing, made.state, made.created_at) == (GROUP, "request", None, clock.now)
    clock.now += 5
    accepted = profile.groups.upsert(GROUP, "member", state=STATE)
    assert (accepted.standing, accepted.state, accepted.created_at) == ("member", STATE, clock.now - 5)
    assert accepted.updated_at == clock.now
    # Upserting without a state keeps the cached one.
    assert profile.groups.upsert(GROUP, "member").state == STATE
    assert profile.groups.set_standing(GROUP, "left") and profile.groups.get(GROUP).standing == "left"  # type: ignore[union-attr]
    assert profile.groups.save_state(GROUP, {**STATE, "name": "Renamed"})
    assert profile.groups.get(GROUP).state["name"] == "Renamed"  # type: ignore[union-attr]
    assert not profile.groups.set_standing(OTHER, "member") and not profile.groups.save_state(OTHER, STATE)
    assert profile.groups.get(OTHER) is None


def test_a_standing_or_outcome_that_is_not_one_is_refused(profile: Profile) -> None:
    with pytest.raises(ValueError, match="standing"):
        profile.groups.upsert(GROUP, "king")
    profile.groups.upsert(GROUP, "member")
    with pytest.raises(ValueError, match="outcome"):
        profile.groups.put_changes(GROUP, [_change("c1", 1, outcome="maybe")])
    with pytest.raises(ValueError, match="outcome"):
        profile.groups.set_outcomes(GROUP, {"c1": "maybe"})


def test_groups_are_listed_most_recently_changed_first_and_survive_a_reopen(
    directory: ProfileDirectory, profile: Profile, clock: Clock
) -> None:
    profile.groups.upsert(GROUP, "member", state=STATE)
    clock.now += 1
    profile.groups.upsert(OTHER, "request")
    assert [g.group_id for g in profile.groups.all()] == [OTHER, GROUP]
    profile.close()
    with directory.open(profile.profile_id, "pw") as again:
        assert [(g.group_id, g.standing) for g in again.groups.all()] == [
            (OTHER, "request"),
            (GROUP, "member"),
        ]
        assert again.groups.get(GROUP).state == STATE  # type: ignore[union-attr]


def test_changes_are_kept_once_per_id_in_the_folds_order(profile: Profile) -> None:
    profile.groups.upsert(GROUP, "member")
    assert profile.groups.put_changes(GROUP, [_change("c3", 3, BOB), _change("c1", 1), _change("c2", 3)]) == 3
    # The same id again replaces what was kept (a tie settled for another version of it).
    replaced = NewChange("c2", 3, ALICE, {"change": {"n": "c2"}, "sig": "b3RoZXI="}, "valid")
    assert profile.groups.put_changes(GROUP, [replaced]) == 0
    stored = profile.groups.changes(GROUP)
    assert [(c.change_id, c.version, c.author) for c in stored] == [
        ("c1", 1, ALICE),
        ("c2", 3, ALICE),
        ("c3", 3, BOB),
    ]
    assert stored[1].signed == replaced.signed and stored[1].outcome == "valid"
    assert profile.groups.count_changes(GROUP) == 3
    profile.groups.upsert(OTHER, "member")
    assert profile.groups.put_changes(OTHER, [_change("c1", 1)]) == 1  # ids are per group
    assert profile.groups.count_changes(GROUP) == 3


def test_the_outcome_of_each_change_is_kept_and_a_note_is_taken_once(profile: Profile) -> None:
    profile.groups.upsert(GROUP, "member")
    profile.groups.put_changes(GROUP, [_change("c1", 1), _change("c2", 2), _change("c3", 2)])
    profile.groups.set_outcomes(GROUP, {"c1": "valid", "c2": "ignored", "c3": "waiting"})
    assert [c.change_id for c in profile.groups.changes(GROUP, outcome="ignored")] == ["c2"]
    assert [c.outcome for c in profile.groups.changes(GROUP)] == ["valid", "ignored", "waiting"]
    assert profile.groups.mark_noted(GROUP, ["c2", "c1"]) == ["c2", "c1"]
    assert profile.groups.mark_noted(GROUP, ["c2", "c3"]) == ["c3"]
    assert [c.noted for c in profile.groups.changes(GROUP)] == [True, True, True]


def test_a_change_to_a_group_that_is_not_stored_is_refused(profile: Profile) -> None:
    with pytest.raises(Exception, match="FOREIGN KEY"):
        profile.groups.put_changes(GROUP, [_change("c1", 1)])


def test_deleting_a_group_takes_its_changes_conversation_messages_and_receipts(profile: Profile) -> None:
    profile.groups.upsert(GROUP, "member", state=STATE)
    profile.groups.put_changes(GROUP, [_change("c1", 1)])
    mine = profile.history.add(GroupChat(GROUP), client_id="g1", outgoing=True, text="hi", timestamp=1.0)
    profile.receipts.expect(mine.local_id, [BOB])
    profile.history.add(ALICE, client_id="m1", outgoing=False, text="stays", timestamp=2.0)
    assert profile.groups.delete(GROUP)
    assert profile.groups.get(GROUP) is None and profile.groups.changes(GROUP) == []
    assert profile.receipts.of(mine.local_id) == []
    assert [s.contact for s in profile.history.conversations()] == [ALICE]
    assert not profile.groups.delete(GROUP)


def test_a_damaged_group_or_change_is_skipped_and_noted(profile: Profile) -> None:
    profile.groups.upsert(GROUP, "member", state=STATE)
    profile.groups.upsert(OTHER, "member", state=STATE)
    profile.groups.put_changes(GROUP, [_change("c1", 1), _change("c2", 2)])
    raw.execute(profile.folder, "pw", "UPDATE groups SET state = '{not json' WHERE id = ?", (OTHER,))
    raw.execute(profile.folder, "pw", "UPDATE group_changes SET signed = '[' WHERE change = 'c1'")
    assert [g.group_id for g in profile.groups.all()] == [GROUP]
    assert [c.change_id for c in profile.groups.changes(GROUP)] == ["c2"]
    assert sorted(profile.take_damage()) == ["group", "group change"]


def test_reprs_hold_no_state(profile: Profile) -> None:
    stored = profile.groups.upsert(GROUP, "member", state=STATE)
    profile.groups.put_changes(GROUP, [_change("c1", 1)])
    (change,) = profile.groups.changes(GROUP)
    for text in (repr(stored), repr(change), repr(_change("c1", 1)), repr(profile.groups)):
        assert "Book club" not in text and ALICE not in text
