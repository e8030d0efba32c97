"""A group's log in a real profile: admitted changes fold and are noted once; unknown authors wait."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import profile_raw as raw
import pytest
from engine_support import FAST_KDF, PASSPHRASE
from group_support import ALICE, BOB, CAROL, IDENTITIES, change, created

from net.client import group_log
from net.client.context import Context
from net.client.core.group_changes import ChangeKind
from net.client.core.groups import Group
from storage.profile.directory import ProfileDirectory
from storage.profile.messages import GroupChat
from storage.profile.profile import Profile


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    """Bob's profile, with Alice's identity pinned and Carol's unknown."""
    profile: Profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Bob", PASSPHRASE)
    profile.account.save(replace(profile.account.get(), phone=BOB))
    profile.contacts.add(ALICE, "")
    profile.contacts.pin_identity(ALICE, IDENTITIES[ALICE].public)
    yield Context(profile, lambda _e: None, identity=IDENTITIES[BOB])
    profile.close()


def test_a_change_is_folded_stored_and_noted_once_even_when_it_comes_again(ctx: Context) -> None:
    made = created(members=(BOB, CAROL))
    gid = made.change.group_id
    with ctx.profile.transaction():
        first = group_log.take(ctx, Group(gid, BOB), [made], sender=ALICE, relayed=False)
    assert first.changed and [n.notice for n in first.notices] == ["group_created"]
    assert first.notices[0].notice_by == ALICE and first.notices[0].group_id == gid
    loaded = group_log.load(ctx, gid)
    assert loaded.state is not None and loaded.state.phones == (ALICE, BOB, CAROL)
    again = group_log.take(ctx, loaded, [made], sender=ALICE, relayed=False)
    assert not again.changed and again.notices == []
    assert ctx.profile.history.place(GroupChat(gid), None).total == 1


def test_a_change_straight_from_someone_else_than_its_author_is_dropped(ctx: Context) -> None:
    made = created(members=(BOB, CAROL))
    taken = group_log.take(ctx, Group(made.change.group_id, BOB), [made], sender=CAROL, relayed=False)
    assert not taken.changed and group_log.load(ctx, made.change.group_id).state is None


def test_a_relayed_change_of_an_unknown_author_waits_until_their_identity_is_pinned(ctx: Context) -> None:
    made = created(members=(BOB, CAROL))
    gid = made.change.group_id
    group_log.take(ctx, Group(gid, BOB), [made], sender=ALICE, relayed=False)
    grant = change(made, ALICE, 2, ChangeKind.ADMIN, who=CAROL)
    rename = change(made, CAROL, 3, ChangeKind.RENAME, name="Carol's")
    taken = group_log.take(ctx, group_log.load(ctx, gid), [grant, rename], sender=ALICE, relayed=True)
    assert taken.waiting == 1 and CAROL in ctx.group_authors
    assert group_log.load(ctx, gid).state.name == "Book club"  # type: ignore[union-attr]
    assert [s.change_id for s in group_log.waiting(ctx, gid)] == [rename.change_id]

    ctx.profile.contacts.add(CAROL, "")
    ctx.profile.contacts.pin_identity(CAROL, IDENTITIES[CAROL].public)
    group_log.take(ctx, group_log.load(ctx, gid), group_log.waiting(ctx, gid), sender="", relayed=True)
    assert group_log.load(ctx, gid).state.name == "Carol's"  # type: ignore[union-attr]
    assert group_log.waiting(ctx, gid) == []


def test_an_ignored_change_is_noted_with_its_reason(ctx: Context) -> None:
    made = created(members=(BOB, CAROL))
    gid = made.change.group_id
    ctx.profile.contacts.add(CAROL, "")
    ctx.profile.contacts.pin_identity(CAROL, IDENTITIES[CAROL].public)
    group_log.take(ctx, Group(gid, BOB), [made], sender=ALICE, relayed=False)
    tried = change(made, CAROL, 2, ChangeKind.REMOVE, who=ALICE)
    taken = group_log.take(ctx, group_log.load(ctx, gid), [tried], sender=CAROL, relayed=False)
    (note,) = taken.notices
    assert (note.notice, note.notice_by, note.notice_who, note.notice_detail) == (
        "change_ignored",
        CAROL,
        ALICE,
        "remove",
    )
    assert note.notice_reason == "the author is not an admin"


def test_the_state_a_text_needs_is_the_cached_fold_and_the_log_is_folded_only_without_one(
    ctx: Context,
) -> None:
    made = created(members=(BOB, CAROL))
    gid = made.change.group_id
    group_log.take(ctx, Group(gid, BOB), [made], sender=ALICE, relayed=False)
    rename = change(made, ALICE, 2, ChangeKind.RENAME, name="Readers")
    group_log.take(ctx, group_log.load(ctx, gid), [rename], sender=ALICE, relayed=False)
    folded = group_log.load(ctx, gid).state
    stored = ctx.profile.groups.get(gid)
    assert stored is not None and folded is not None and folded.name == "Readers"
    assert group_log.cached_state(ctx, stored) == folded
    # The log is not read while the cache reads: with every change damaged, the cache still answers.
    raw.execute(ctx.profile.folder, PASSPHRASE, "UPDATE group_changes SET signed = '{not json'")
    assert group_log.load(ctx, gid).state is None
    assert group_log.cached_state(ctx, stored) == folded
    # A cache that does not read (or is another group's) is folded from the log instead.
    assert group_log.cached_state(ctx, replace(stored, state={"v": 1, "name": "x"})) is None
    ctx.profile.take_damage()


def test_a_note_is_placed_at_its_changes_time_not_when_it_was_taken_in(ctx: Context) -> None:
    """A create taken in an hour after it was made reads before the text written after it."""
    made = created(members=(BOB, CAROL))
    gid = made.change.group_id
    written = made.change.sent_at_ms / 1000
    later = replace(ctx, clock=lambda: written + 3600)
    taken = group_log.take(later, Group(gid, BOB), [made], sender=ALICE, relayed=False)
    assert taken.notices[0].timestamp == pytest.approx(written, abs=0.001)
    early = replace(ctx, clock=lambda: written - 60)  # an author's clock ahead of ours: never later than now
    other = created(members=(BOB,))
    noted = group_log.take(early, Group(other.change.group_id, BOB), [other], sender=ALICE, relayed=False)
    assert noted.notices[0].timestamp == pytest.approx(written - 60, abs=0.001)
