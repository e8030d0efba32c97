"""How a group shows, on a real profile: members with names, admin and verified marks, their standing;
our standing after a fold; who invited us."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from group_engine_support import Engine
from group_support import ALICE, BOB, CAROL, DAVE, change, created

from net.client import group_inbox, group_views
from net.client.core.group_changes import ChangeKind
from net.client.core.groups import Group
from storage.profile.groups import LEFT, MEMBER, REMOVED, REQUEST


@pytest.fixture
def bob(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(tmp_path, BOB, pinned=(ALICE,))
    yield engine
    engine.close()


def test_a_view_lists_members_with_names_marks_and_standing(bob: Engine) -> None:
    bob.ctx.profile.contacts.rename(ALICE, "Ali")
    bob.ctx.profile.contacts.set_verified(ALICE, True)
    made = created("Book club", members=(BOB, CAROL, DAVE))
    with bob.ctx.profile.transaction():
        group_inbox.take_changes(bob.ctx, ALICE, [made], relayed=False)
    bob.ctx.profile.contacts.set_standing(DAVE, "blocked")
    view = group_views.view(bob.ctx, bob.ctx.profile.groups.get(made.change.group_id))  # type: ignore[arg-type]
    assert (view.name, view.version, view.standing, view.admin, view.created_by) == (
        "Book club",
        1,
        MEMBER,
        False,
        ALICE,
    )
    alice, me, carol, dave = view.members
    assert (alice.phone, alice.name, alice.admin, alice.verified) == (ALICE, "Ali", True, True)
    assert me.me and not me.admin
    assert (carol.name, carol.verified, carol.standing) == ("", False, "")  # a member who is no contact
    assert dave.standing == "blocked"


def test_our_standing_follows_the_fold_and_an_invitation_stays_one() -> None:
    made = created(members=(BOB, CAROL))
    gid = made.change.group_id
    member = Group(gid, BOB, [made]).state
    removed = Group(gid, BOB, [made, change(made, ALICE, 2, ChangeKind.REMOVE, who=BOB)]).state
    left = Group(gid, BOB, [made, change(made, BOB, 2, ChangeKind.LEAVE)]).state
    assert group_views.own_standing(MEMBER, removed) == REMOVED
    assert group_views.own_standing(MEMBER, left) == LEFT
    assert group_views.own_standing(REMOVED, member) == MEMBER  # added again
    assert group_views.own_standing(REQUEST, member) == REQUEST  # until accepted
    assert group_views.own_standing(REQUEST, None) == REQUEST


def test_the_inviter_is_who_added_us_else_the_creator() -> None:
    made = created(members=(CAROL,), by=ALICE)
    gid = made.change.group_id
    assert group_views.inviter_of(Group(gid, BOB, [made])) == ALICE
    admin = change(made, ALICE, 2, ChangeKind.ADMIN, who=CAROL)
    added = change(made, CAROL, 3, ChangeKind.ADD, who=BOB)
    assert group_views.inviter_of(Group(gid, BOB, [made, admin, added])) == CAROL


def test_a_declined_group_is_remembered(bob: Engine) -> None:
    assert not group_views.declined(bob.ctx, "x" * 22)
    bob.ctx.profile.settings.put(group_views.DECLINED, ["x" * 22])
    assert group_views.declined(bob.ctx, "x" * 22)
