"""The fold: every rule of the deterministic order, who may do what, the handoff, and the digest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from group_support import ALICE, BOB, CAROL, DAVE, ERIN, FRANK, change, created
from group_support import group as group_of

from net.client.core.group_changes import MAX_MEMBERS, ChangeKind, SignedChange, decode_id, encode_id
from net.client.core.group_state import (
    DIGEST_LABEL,
    ChangeOutcome,
    Fold,
    GroupState,
    IgnoreReason,
    OwnStanding,
    digest,
    fold,
)

ADD, REMOVE, ADMIN, UNADMIN = ChangeKind.ADD, ChangeKind.REMOVE, ChangeKind.ADMIN, ChangeKind.UNADMIN
LEAVE, RENAME, CREATE = ChangeKind.LEAVE, ChangeKind.RENAME, ChangeKind.CREATE


def _fold(me: str, *changes: SignedChange, up_to: int | None = None) -> Fold:
    return fold((signed.change for signed in changes), me, up_to=up_to)


def _state(me: str, *changes: SignedChange) -> GroupState:
    state = _fold(me, *changes).state
    assert state is not None
    return state


def _ignored(result: Fold) -> list[tuple[str, IgnoreReason]]:
    return [(i.change.kind.value, i.reason) for i in result.ignored]


def test_a_create_makes_its_author_the_admin_and_its_members_stand_in_its_order() -> None:
    create = created("Book club", [CAROL, BOB])
    state = _state(BOB, create)
    assert state.name == "Book club" and state.version == 1 and state.created_by == ALICE
    assert state.phones == (ALICE, CAROL, BOB)
    assert [m.position for m in state.members] == [0, 1, 2]
    assert state.admins == {ALICE}
    assert state.own is OwnStanding.MEMBER
    assert _state(DAVE, create).own is OwnStanding.OUTSIDE


def test_without_a_create_there_is_no_state_and_nothing_is_folded() -> None:
    create = created()
    add = change(create, ALICE, 2, ADD, who=DAVE)
    result = _fold(BOB, add)
    assert result.state is None and result.outcome(add.change_id) is ChangeOutcome.UNFOLDED


def test_admins_add_remove_rename_and_grant() -> None:
    create = created()
    steps = [
        change(create, ALICE, 2, ADD, who=DAVE),
        change(create, ALICE, 3, ADMIN, who=BOB),
        change(create, BOB, 4, REMOVE, who=CAROL),
        change(create, BOB, 5, RENAME, name="Reading circle"),
        change(create, ALICE, 6, UNADMIN, who=BOB),
    ]
    result = _fold(DAVE, create, *steps)
    assert result.ignored == ()
    state = result.state
    assert state is not None
    assert state.phones == (ALICE, BOB, DAVE) and [m.position for m in state.members] == [0, 1, 3]
    assert state.admins == {ALICE} and state.name == "Reading circle" and state.version == 6
    assert [a.change.kind for a in result.applied] == [CREATE, ADD, ADMIN, REMOVE, RENAME, UNADMIN]
    assert all(result.outcome(s.change_id) is ChangeOutcome.VALID for s in (create, *steps))


def test_a_member_who_is_not_an_admin_is_ignored_for_every_admin_change() -> None:
    create = created()
    tries = [
        change(create, BOB, 2, ADD, who=DAVE),
        change(create, BOB, 2, REMOVE, who=CAROL),
        change(create, BOB, 2, RENAME, name="Mine now"),
        change(create, BOB, 2, ADMIN, who=BOB),
        change(create, BOB, 2, UNADMIN, who=ALICE),
    ]
    result = _fold(ALICE, create, *tries)
    assert {reason for _, reason in _ignored(result)} == {IgnoreReason.NOT_AN_ADMIN}
    assert len(result.ignored) == 5
    assert _state(ALICE, create, *tries) == _state(ALICE, create)
    assert all(result.outcome(s.change_id) is ChangeOutcome.IGNORED for s in tries)


def test_a_non_member_is_ignored_even_to_leave() -> None:
    create = created()
    result = _fold(ALICE, create, change(create, DAVE, 2, LEAVE), change(create, DAVE, 2, ADD, who=ERIN))
    assert sorted(_ignored(result)) == [
        ("add", IgnoreReason.NOT_A_MEMBER),
        ("leave", IgnoreReason.NOT_A_MEMBER),
    ]


def test_adding_a_member_and_removing_a_non_member_are_ignored() -> None:
    create = created()
    result = _fold(
        ALICE,
        create,
        change(create, ALICE, 2, ADD, who=BOB),
        change(create, ALICE, 3, REMOVE, who=DAVE),
        change(create, ALICE, 4, ADMIN, who=DAVE),
        change(create, ALICE, 5, UNADMIN, who=DAVE),
    )
    assert [r for _, r in _ignored(result)] == [
        IgnoreReason.ALREADY_A_MEMBER,
        IgnoreReason.NOT_IN_GROUP,
        IgnoreReason.NOT_IN_GROUP,
        IgnoreReason.NOT_IN_GROUP,
    ]


def test_granting_an_admin_or_taking_it_from_a_non_admin_or_the_last_admin_is_ignored() -> None:
    create = created()
    result = _fold(
        ALICE,
        create,
        change(create, ALICE, 2, ADMIN, who=ALICE),
        change(create, ALICE, 3, UNADMIN, who=BOB),
        change(create, ALICE, 4, UNADMIN, who=ALICE),
    )
    assert [r for _, r in _ignored(result)] == [
        IgnoreReason.ALREADY_AN_ADMIN,
        IgnoreReason.NOT_ADMIN,
        IgnoreReason.LAST_ADMIN,
    ]
    assert _state(ALICE, create).admins == {ALICE}


def test_a_second_create_is_ignored() -> None:
    create = created()
    again = change(create, ALICE, 1, CREATE, name="Again")
    result = _fold(ALICE, create, again)
    # Whichever create comes first in the order is the group's; the other is noted.
    first, second = sorted((create, again), key=lambda s: s.change.order)
    assert result.outcome(first.change_id) is ChangeOutcome.VALID
    assert _ignored(result) == [("create", IgnoreReason.SECOND_CREATE)]
    assert result.outcome(second.change_id) is ChangeOutcome.IGNORED


def test_a_full_group_takes_no_add() -> None:
    many = [f"+4420794{n:05d}" for n in range(60_200, 60_200 + MAX_MEMBERS - 1)]
    create = created("Big", many)
    assert len(_state(ALICE, create).members) == MAX_MEMBERS
    result = _fold(ALICE, create, change(create, ALICE, 2, ADD, who=DAVE))
    assert _ignored(result) == [("add", IgnoreReason.GROUP_FULL)]
    removed = change(create, ALICE, 2, REMOVE, who=many[0])
    assert _state(ALICE, create, removed, change(create, ALICE, 3, ADD, who=DAVE)).is_member(DAVE)


def test_the_last_admin_leaving_hands_admin_to_the_longest_standing_member() -> None:
    create = created("Club", [BOB, CAROL])
    late = change(create, ALICE, 2, ADD, who=DAVE)
    leave = change(create, ALICE, 3, LEAVE)
    result = _fold(BOB, create, late, leave)
    assert result.state is not None and result.state.admins == {BOB}
    assert result.applied[-1].handoff == BOB
    # Removed and added again, a member stands from the new add: Carol is now the eldest.
    again = [
        change(create, ALICE, 2, REMOVE, who=BOB),
        change(create, ALICE, 3, ADD, who=BOB),
        change(create, ALICE, 4, LEAVE),
    ]
    state = _state(BOB, create, *again)
    assert state.admins == {CAROL} and state.phones == (CAROL, BOB)


def test_a_remove_that_leaves_no_admin_hands_it_over_too_and_none_is_named_while_admins_remain() -> None:
    create = created("Club", [BOB, CAROL])
    grant = change(create, ALICE, 2, ADMIN, who=CAROL)
    leave = change(create, ALICE, 3, LEAVE)
    result = _fold(BOB, create, grant, leave)
    assert result.applied[-1].handoff == "" and result.state is not None
    assert result.state.admins == {CAROL}
    self_removal = change(create, CAROL, 4, REMOVE, who=CAROL)
    state = _state(BOB, create, grant, leave, self_removal)
    assert state.admins == {BOB} and state.phones == (BOB,)


def test_the_last_member_leaving_leaves_an_empty_group_with_no_admin() -> None:
    create = created("Solo", [])
    state = _state(ALICE, create, change(create, ALICE, 2, LEAVE))
    assert state.members == () and state.admins == frozenset() and state.own is OwnStanding.LEFT


def test_our_own_standing_follows_the_changes_about_us() -> None:
    create = created("Club", [BOB])
    removed = change(create, ALICE, 2, REMOVE, who=BOB)
    assert _state(BOB, create, removed).own is OwnStanding.REMOVED
    back = change(create, ALICE, 3, ADD, who=BOB)
    assert _state(BOB, create, removed, back).own is OwnStanding.MEMBER
    assert _state(BOB, create, change(create, BOB, 2, LEAVE)).own is OwnStanding.LEFT
    assert _state(DAVE, create, change(create, ALICE, 2, ADD, who=DAVE)).own is OwnStanding.MEMBER


def test_an_admin_taken_while_the_other_admin_acts_is_settled_by_the_order() -> None:
    create = created("Club", [BOB, CAROL])
    grant = change(create, ALICE, 2, ADMIN, who=BOB)
    # At version 3, Alice takes Bob's admin while Bob adds Dave: the order (v, by, n) decides.
    take = change(create, ALICE, 3, UNADMIN, who=BOB)
    bobs_add = change(create, BOB, 3, ADD, who=DAVE)
    result = _fold(CAROL, create, grant, bobs_add, take)
    assert ALICE < BOB  # Alice's change comes first, so Bob is no admin when his add is folded
    assert _ignored(result) == [("add", IgnoreReason.NOT_AN_ADMIN)]
    assert result.state is not None and not result.state.is_member(DAVE)


def test_a_fold_up_to_a_version_is_the_group_as_it_was() -> None:
    create = created("Club", [BOB])
    changes = [
        create,
        change(create, ALICE, 2, ADD, who=CAROL),
        change(create, ALICE, 3, REMOVE, who=BOB),
        change(create, ALICE, 4, RENAME, name="Later"),
    ]
    assert _state(BOB, *changes).own is OwnStanding.REMOVED
    then = _fold(BOB, *changes, up_to=2)
    assert then.state is not None and then.state.phones == (ALICE, BOB, CAROL)
    assert then.state.own is OwnStanding.MEMBER and then.state.name == "Club"
    assert then.outcome(changes[3].change_id) is ChangeOutcome.UNFOLDED


def test_the_digest_is_over_the_sorted_ids_of_the_valid_changes_only() -> None:
    create = created()
    add = change(create, ALICE, 2, ADD, who=DAVE)
    ignored = change(create, BOB, 2, ADD, who=ERIN)
    state = _state(ALICE, create, add, ignored)
    raw = sorted(decode_id(s.change_id) or b"" for s in (create, add))
    expected = hashlib.sha256(DIGEST_LABEL + b"".join(raw)).digest()[:16]
    assert decode_id(state.digest) == expected
    assert state.digest == digest([add.change_id, create.change_id])
    assert state.digest == _state(ALICE, create, add).digest  # an ignored change changes nothing
    assert state.digest != _state(ALICE, create).digest
    assert DIGEST_LABEL == b"Parley group digest v1\x00"


def test_the_version_is_the_highest_valid_one() -> None:
    create = created()
    state = _state(ALICE, create, change(create, ALICE, 3, ADD, who=DAVE), change(create, BOB, 9, LEAVE))
    assert state.version == 9
    assert _state(ALICE, create, change(create, FRANK, 12, LEAVE)).version == 1  # ignored


def test_a_state_repr_holds_no_name_or_number() -> None:
    state = _state(ALICE, created("Secret society", [BOB]))
    assert "Secret" not in repr(state) and BOB not in repr(state) and ALICE not in repr(state)
    assert BOB not in repr(state.members[1])


def test_the_group_facade_folds_what_it_holds() -> None:
    create = created()
    group = group_of(CAROL, create, change(create, ALICE, 2, REMOVE, who=CAROL))
    assert group.state is not None and group.state.own is OwnStanding.REMOVED


def test_the_digest_of_the_known_answer_group() -> None:
    vector = json.loads((Path(__file__).parents[3] / "vectors" / "group_change.json").read_text("utf-8"))
    ids = [encode_id(bytes.fromhex(raw)) for raw in vector["change_id_tape"]]
    assert digest(ids) == vector["digest"]
    by_hand = hashlib.sha256(
        b"Parley group digest v1\x00" + b"".join(sorted(map(bytes.fromhex, vector["change_id_tape"])))
    )
    assert decode_id(vector["digest"]) == by_hand.digest()[:16]
