"""Admission (the author and the signature), merging with its bound and ties, and the group_state sync."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from group_support import ALICE, BOB, CAROL, DAVE, IDENTITIES, KEYS, change, created, group

from net.client.core import group_sync
from net.client.core.envelope import decode_payload, encode_payload
from net.client.core.group_changes import ChangeKind, sign
from net.client.core.group_payloads import GroupTag
from net.client.core.group_sync import (
    Admission,
    MergeRefusal,
    admit,
    answers_sync,
    merge,
    state_payloads,
    sync_due,
)

ADD, REMOVE, LEAVE, RENAME = ChangeKind.ADD, ChangeKind.REMOVE, ChangeKind.LEAVE, ChangeKind.RENAME


def test_a_change_straight_from_its_author_with_a_good_signature_is_admitted() -> None:
    create = created()
    assert admit(create, sender=ALICE, relayed=False, author_key=KEYS[ALICE]) is Admission.ACCEPT


def test_a_change_straight_from_someone_else_is_dropped() -> None:
    create = created()
    assert admit(create, sender=BOB, relayed=False, author_key=KEYS[ALICE]) is Admission.WRONG_AUTHOR


def test_a_forged_relayed_change_is_refused() -> None:
    create = created()
    # Bob relays a change he says is Alice's but signed himself: Alice's pinned key refuses it.
    forged = sign(IDENTITIES[BOB], change(create, ALICE, 2, ADD, who=DAVE).change)
    assert admit(forged, sender=BOB, relayed=True, author_key=KEYS[ALICE]) is Admission.BAD_SIGNATURE
    # A genuine change of Alice's relayed by Bob is fine.
    genuine = change(create, ALICE, 2, ADD, who=DAVE)
    assert admit(genuine, sender=BOB, relayed=True, author_key=KEYS[ALICE]) is Admission.ACCEPT
    # Straight from Alice, a bad signature is refused too: it could not be relayed on.
    assert admit(forged, sender=ALICE, relayed=False, author_key=KEYS[ALICE]) is Admission.BAD_SIGNATURE


def test_a_change_by_an_author_we_know_no_key_for_waits() -> None:
    create = created()
    relayed = change(create, CAROL, 2, LEAVE)
    assert admit(relayed, sender=BOB, relayed=True, author_key=None) is Admission.UNKNOWN_AUTHOR


def test_merging_adds_new_changes_and_skips_duplicates_and_other_groups() -> None:
    create = created()
    add = change(create, ALICE, 2, ADD, who=DAVE)
    elsewhere = created("Other")
    result = merge(create.change.group_id, {create.change_id: create}, [add, create, add, elsewhere])
    assert result.added == (add,) and result.replaced == () and result.changed
    assert [r for _, r in result.refused] == [
        MergeRefusal.DUPLICATE,
        MergeRefusal.DUPLICATE,
        MergeRefusal.OTHER_GROUP,
    ]
    assert set(result.changes) == {create.change_id, add.change_id}
    assert not merge(create.change.group_id, result.changes, [add]).changed


def test_two_changes_under_one_id_are_settled_the_same_way_whichever_came_first() -> None:
    create = created()
    one = change(create, ALICE, 2, RENAME, name="One")
    other = sign(IDENTITIES[ALICE], replace(one.change, name="Two"))
    gid = create.change.group_id
    first = merge(gid, {}, [create, one, other])
    second = merge(gid, {}, [create, other, one])
    assert first.changes == second.changes
    kept = min((one, other), key=lambda s: s.tie_break())
    assert first.changes[one.change_id] == kept
    lost = one if kept is other else other
    replacing = merge(gid, {create.change_id: create, lost.change_id: lost}, [kept])
    assert replacing.replaced == (kept,) and replacing.added == ()
    keeping = merge(gid, {create.change_id: create, kept.change_id: kept}, [lost])
    assert [r for _, r in keeping.refused] == [MergeRefusal.LOST_TIE] and not keeping.changed


def test_the_log_is_bounded_and_refuses_new_changes_past_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group_sync, "MAX_CHANGES", 3)
    create = created()
    gid = create.change.group_id
    changes = [create, *(change(create, ALICE, v, RENAME, name=f"Name {v}") for v in range(2, 5))]
    result = merge(gid, {}, changes)
    assert len(result.changes) == 3
    assert result.refused == ((changes[3], MergeRefusal.LOG_FULL),)
    # A change under an id already held may still settle its tie: the log does not grow.
    assert not merge(gid, result.changes, [changes[3]]).added


def test_a_sync_is_due_when_the_version_or_the_digest_differs() -> None:
    create = created()
    state = group(BOB, create).state
    assert state is not None
    assert not sync_due(state, GroupTag(state.group_id, state.version, state.digest))
    assert sync_due(state, GroupTag(state.group_id, state.version + 1, state.digest))
    assert sync_due(state, GroupTag(state.group_id, state.version, create.change_id))
    assert sync_due(None, GroupTag(state.group_id, 1, state.digest))


def test_a_member_who_left_or_was_removed_asks_and_answers_nothing() -> None:
    create = created()
    removed = group(BOB, create, change(create, ALICE, 2, REMOVE, who=BOB)).state
    assert removed is not None
    assert not sync_due(removed, GroupTag(removed.group_id, 7, removed.digest))
    assert not answers_sync(removed, ALICE, True)


def test_a_sync_is_answered_to_a_member_who_wants_it_only() -> None:
    create = created()
    state = group(BOB, create).state
    assert answers_sync(state, ALICE, True)
    assert not answers_sync(state, ALICE, False)
    assert not answers_sync(state, DAVE, True)
    assert not answers_sync(None, ALICE, True)


def test_state_payloads_split_within_the_limit_in_fold_order_and_want_once() -> None:
    create = created()
    changes = [create, *(change(create, ALICE, v, RENAME, name=f"Name number {v}") for v in range(2, 80))]
    whole = state_payloads(create.change.group_id, reversed(changes), want=True)
    assert len(whole) == 1 and whole[0].want and list(whole[0].changes) == changes
    parts = state_payloads(create.change.group_id, reversed(changes), want=True, limit=4096)
    assert len(parts) > 3
    assert [p.want for p in parts] == [True] + [False] * (len(parts) - 1)
    assert [c for p in parts for c in p.changes] == changes
    for part in parts:
        encoded = encode_payload(part)
        assert len(encoded) <= 4096
        assert decode_payload(encoded) == part
    # Packed tightly: no two neighbours would have fitted into one.
    for a, b in itertools.pairwise(parts):
        merged = type(a)(a.group_id, (*a.changes, *b.changes[:1]), a.want)
        assert len(encode_payload(merged)) > 4096


def test_an_empty_log_still_makes_one_payload_that_asks() -> None:
    create = created()
    (only,) = state_payloads(create.change.group_id, [], want=True)
    assert only.changes == () and only.want


def test_a_change_larger_than_the_limit_is_an_error_not_a_silent_loss() -> None:
    create = created()
    with pytest.raises(ValueError, match="larger"):
        state_payloads(create.change.group_id, [create], want=False, limit=256)
