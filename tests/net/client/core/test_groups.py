"""A group as each member holds it: the same changes, in any order and any number of times, fold the same.

The races of the design, each with several authors: concurrent adds and removals
by two admins, a removal racing an add, admin taken while the other admin acts,
the last admin leaving. Each member gets the changes in an order of its own, some
twice, merged in batches of its own; every member ends with the same group.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from group_support import ALICE, BOB, CAROL, DAVE, ERIN, FRANK, IDENTITIES, change, created, group
from hypothesis import given, settings
from hypothesis import strategies as st

from net.client.core.group_changes import ChangeKind, SignedChange, sign
from net.client.core.group_state import ChangeOutcome, GroupState, OwnStanding
from net.client.core.groups import Group, state_from_json, state_to_json

ADD, REMOVE, ADMIN, UNADMIN = ChangeKind.ADD, ChangeKind.REMOVE, ChangeKind.ADMIN, ChangeKind.UNADMIN
LEAVE, RENAME = ChangeKind.LEAVE, ChangeKind.RENAME

CREATE = created("Club", [BOB, CAROL, DAVE])
GRANT = change(CREATE, ALICE, 2, ADMIN, who=BOB)  # two admins from version 2


def _races() -> dict[str, list[SignedChange]]:
    c = CREATE
    return {
        # Both admins act at version 3 without knowing of the other, then again at 4.
        "concurrent adds and removals by two admins": [
            GRANT,
            change(c, ALICE, 3, ADD, who=ERIN),
            change(c, BOB, 3, REMOVE, who=CAROL),
            change(c, ALICE, 4, REMOVE, who=DAVE),
            change(c, BOB, 4, ADD, who=FRANK),
            change(c, BOB, 4, ADD, who=ERIN),  # Erin is in by then: ignored on every member
        ],
        # Alice adds Erin while Bob, who has not seen it, removes her as he knew her before.
        "a removal racing an add": [
            GRANT,
            change(c, ALICE, 3, ADD, who=ERIN),
            change(c, BOB, 3, REMOVE, who=ERIN),
            change(c, ALICE, 4, REMOVE, who=ERIN),
            change(c, BOB, 5, ADD, who=ERIN),
        ],
        "admin taken while the other admin acts": [
            GRANT,
            change(c, ALICE, 3, UNADMIN, who=BOB),
            change(c, BOB, 3, REMOVE, who=ALICE),
            change(c, BOB, 3, RENAME, name="Bob's club"),
        ],
        "the last admin leaving": [
            change(c, ALICE, 2, ADD, who=ERIN),
            change(c, ALICE, 3, LEAVE),
            change(c, BOB, 4, ADD, who=FRANK),  # Bob is the eldest left, so admin after the handoff
            change(c, CAROL, 4, REMOVE, who=FRANK),  # not an admin: ignored
        ],
    }


RACES = _races()


def _view(state: GroupState | None) -> object:
    """What every member must agree on: all but where it stands itself."""
    assert state is not None
    return replace(state, own=OwnStanding.MEMBER)


def _received(me: str, changes: list[SignedChange], batches: list[int]) -> Group:
    """What ``me`` holds after merging ``changes`` in batches of the given sizes (the rest at the end)."""
    held = Group(CREATE.change.group_id, me)
    start = 0
    for size in batches:
        held, _ = held.merged(changes[start : start + size])
        start += size
    held, _ = held.merged(changes[start:])
    return held


@st.composite
def _deliveries(draw: st.DrawFn, changes: list[SignedChange]) -> tuple[list[SignedChange], list[int]]:
    """One member's arrivals: every change in some order, some of them twice, in batches."""
    again = draw(st.lists(st.sampled_from(changes), max_size=4))
    order = draw(st.permutations([*changes, *again]))
    batches = draw(st.lists(st.integers(1, 4), max_size=5))
    return order, batches


@pytest.mark.parametrize("race", sorted(RACES))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_member_folds_a_race_to_the_same_group(race: str, data: st.DataObject) -> None:
    changes = [CREATE, *RACES[race]]
    reference = group(ALICE, *changes)
    for me in (ALICE, BOB, CAROL, ERIN):
        order, batches = data.draw(_deliveries(changes))
        held = _received(me, order, batches)
        assert _view(held.state) == _view(reference.state)
        assert held.fold.outcomes() == reference.fold.outcomes()


def test_the_races_end_where_the_rule_says() -> None:
    def final(race: str) -> GroupState:
        state = group(CAROL, CREATE, *RACES[race]).state
        assert state is not None
        return state

    two_admins = final("concurrent adds and removals by two admins")
    assert two_admins.phones == (ALICE, BOB, ERIN, FRANK) and two_admins.admins == {ALICE, BOB}
    assert two_admins.own is OwnStanding.REMOVED
    # Alice's add (v3) comes before Bob's remove (v3, Alice < Bob), so the remove takes her out;
    # Alice's own remove at v4 then finds no Erin (ignored), and Bob's add at v5 brings her back.
    racing = group(CAROL, CREATE, *RACES["a removal racing an add"])
    assert racing.state is not None and racing.state.is_member(ERIN)
    ignored = [i.change.kind for i in racing.fold.ignored]
    assert ignored == [REMOVE]
    taken = final("admin taken while the other admin acts")
    assert taken.admins == {ALICE} and taken.is_member(ALICE) and taken.name == "Club"
    handed = group(CAROL, CREATE, *RACES["the last admin leaving"])
    assert handed.state is not None and handed.state.admins == {BOB}
    assert handed.state.phones == (BOB, CAROL, DAVE, ERIN, FRANK)
    assert [a.handoff for a in handed.fold.applied if a.change.kind is LEAVE] == [BOB]


_AUTHORS = st.sampled_from([ALICE, BOB, CAROL, DAVE, ERIN])


@st.composite
def _any_change(draw: st.DrawFn) -> SignedChange:
    kind = draw(st.sampled_from([ADD, REMOVE, ADMIN, UNADMIN, LEAVE, RENAME]))
    who = draw(st.sampled_from([ALICE, BOB, CAROL, DAVE, ERIN, FRANK])) if kind not in (LEAVE, RENAME) else ""
    name = draw(st.sampled_from(["One", "Two"])) if kind is RENAME else ""
    return change(CREATE, draw(_AUTHORS), draw(st.integers(2, 6)), kind, who=who, name=name)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), changes=st.lists(_any_change(), min_size=1, max_size=14))
def test_any_set_of_changes_from_several_authors_folds_the_same_in_any_order(
    data: st.DataObject, changes: list[SignedChange]
) -> None:
    everything = [CREATE, *changes]
    reference = group(ALICE, *everything)
    for me in (BOB, ERIN):
        order, batches = data.draw(_deliveries(everything))
        held = _received(me, order, batches)
        assert _view(held.state) == _view(reference.state)
        assert held.fold.outcomes() == reference.fold.outcomes()
        assert held.state is not None and held.state.digest == reference.tag().digest


def test_members_at_a_version_and_the_tag() -> None:
    removal = change(CREATE, ALICE, 2, REMOVE, who=CAROL)
    held = group(BOB, CREATE, removal)
    assert held.members_at(1) == {ALICE, BOB, CAROL, DAVE}
    assert held.members_at(2) == held.members_at(9) == {ALICE, BOB, DAVE}
    assert held.members_at(0) == frozenset()
    tag = held.tag()
    assert (tag.group_id, tag.version) == (CREATE.change.group_id, 2)
    with pytest.raises(ValueError):
        Group(CREATE.change.group_id, BOB).tag()


def test_a_merge_that_brings_nothing_new_keeps_the_group() -> None:
    held = group(BOB, CREATE)
    again, result = held.merged([CREATE])
    assert again is held and not result.changed
    newer, result = held.merged([GRANT])
    assert (
        newer is not held
        and result.added == (GRANT,)
        and newer.outcome(GRANT.change_id) is ChangeOutcome.VALID
    )
    assert held.state is not None and held.state.admins == {ALICE}  # the old one is unchanged


def test_a_group_is_made_from_stored_changes_by_the_merge_rules() -> None:
    with pytest.raises(ValueError):
        Group("not an id", BOB)
    other = created("Elsewhere")
    held = Group(CREATE.change.group_id, BOB, [CREATE, other, CREATE])
    assert set(held.changes) == {CREATE.change_id}
    assert [s.change_id for s in group(BOB, GRANT, CREATE).ordered()] == [CREATE.change_id, GRANT.change_id]


def test_the_next_version_is_one_above_the_highest_known() -> None:
    assert Group(CREATE.change.group_id, BOB).next_version() == 1
    assert group(BOB, CREATE, change(CREATE, ALICE, 5, RENAME, name="Five")).next_version() == 6
    assert group(BOB, CREATE).can_change()


def test_the_cached_state_round_trips_and_refuses_damage() -> None:
    state = group(BOB, CREATE, GRANT).state
    assert state is not None
    cached = state_to_json(state)
    assert state_from_json(cached) == state
    for damaged in (
        {**cached, "v": 2},
        {**cached, "members": [[ALICE]]},
        {**cached, "own": "king"},
        {**cached, "version": "1"},
        {k: v for k, v in cached.items() if k != "name"},
        [cached],
    ):
        with pytest.raises(ValueError):
            state_from_json(damaged)


def test_a_group_state_payload_of_a_member_brings_another_up_to_date() -> None:
    alice = group(ALICE, CREATE, *RACES["concurrent adds and removals by two admins"])
    bob = group(BOB, CREATE)
    assert bob.sync_due(alice.tag())
    (payload,) = alice.state_payloads(want=False)
    caught, _ = bob.merged(payload.changes)
    assert _view(caught.state) == _view(alice.state) and not caught.sync_due(alice.tag())
    assert caught.answers_sync(ALICE, True) and not caught.answers_sync(CAROL, True)  # Carol was removed


def test_equivocated_changes_still_converge() -> None:
    rename = change(CREATE, ALICE, 2, RENAME, name="One")
    twin = sign(IDENTITIES[ALICE], replace(rename.change, name="Two"))
    first = _received(BOB, [CREATE, rename, twin], [])
    second = _received(CAROL, [twin, CREATE, rename], [1])
    assert _view(first.state) == _view(second.state)
