"""Whether a group text is shown: accepted, pending while we catch up, or dropped, and why."""

from __future__ import annotations

import itertools

from group_support import ALICE, BOB, CAROL, DAVE, change, created, group

from net.client.core.group_changes import ChangeKind
from net.client.core.group_messages import (
    PENDING_TIMEOUT_MS,
    TextDecision,
    TextReason,
    TextVerdict,
    pending_over,
)
from net.client.core.group_payloads import GroupTag
from net.client.core.groups import Group

ADD, REMOVE, LEAVE, RENAME = ChangeKind.ADD, ChangeKind.REMOVE, ChangeKind.LEAVE, ChangeKind.RENAME
CREATE = created("Club", [BOB, CAROL])


def _decide(receiver: Group, sender: Group, *, caught_up: bool = False) -> TextDecision:
    return receiver.decide_text(sender.me, sender.tag(), caught_up=caught_up)


def test_a_text_from_a_member_on_the_same_version_is_accepted_without_a_sync() -> None:
    decision = _decide(group(BOB, CREATE), group(ALICE, CREATE))
    assert decision == TextDecision(TextVerdict.ACCEPT, TextReason.MEMBER, sync=False)


def test_a_text_from_someone_ahead_waits_and_asks_for_a_sync() -> None:
    add = change(CREATE, ALICE, 2, ADD, who=DAVE)
    dave = group(DAVE, CREATE, add)
    decision = _decide(group(BOB, CREATE), dave)
    assert decision == TextDecision(TextVerdict.PENDING, TextReason.AHEAD, sync=True)
    # Once caught up (the sync brought Alice's add), Dave is a member: shown.
    assert _decide(group(BOB, CREATE, add), dave).verdict is TextVerdict.ACCEPT
    # Caught up without the add (the sync never came): decided with what we have, and dropped.
    late = _decide(group(BOB, CREATE), dave, caught_up=True)
    assert late == TextDecision(TextVerdict.DROP, TextReason.SENDER_NOT_A_MEMBER)


def test_a_text_for_a_group_we_do_not_know_waits_then_is_dropped() -> None:
    unknown = Group(CREATE.change.group_id, BOB)
    tag = group(ALICE, CREATE).tag()
    assert unknown.decide_text(ALICE, tag, caught_up=False) == TextDecision(
        TextVerdict.PENDING, TextReason.UNKNOWN_GROUP, sync=True
    )
    assert unknown.decide_text(ALICE, tag, caught_up=True).verdict is TextVerdict.DROP


def test_a_text_from_someone_behind_is_accepted_and_brings_them_up_to_date() -> None:
    rename = change(CREATE, ALICE, 2, RENAME, name="New name")
    decision = _decide(group(BOB, CREATE, rename), group(CAROL, CREATE))
    assert decision == TextDecision(TextVerdict.ACCEPT, TextReason.MEMBER, sync=True)


def test_a_text_from_a_non_member_is_dropped() -> None:
    outsider = Group(CREATE.change.group_id, DAVE, [CREATE])
    decision = _decide(group(BOB, CREATE), outsider)
    assert decision == TextDecision(TextVerdict.DROP, TextReason.SENDER_NOT_A_MEMBER)


def test_a_removed_member_drops_later_texts_and_asks_nothing() -> None:
    removal = change(CREATE, ALICE, 2, REMOVE, who=BOB)
    rename = change(CREATE, ALICE, 3, RENAME, name="Without Bob")
    bob = group(BOB, CREATE, removal)
    assert _decide(bob, group(CAROL, CREATE, removal)) == TextDecision(
        TextVerdict.DROP, TextReason.WE_WERE_NOT_MEMBERS
    )
    assert _decide(bob, group(CAROL, CREATE, removal, rename)) == TextDecision(
        TextVerdict.DROP, TextReason.WE_ARE_OUT
    )


def test_a_new_member_does_not_show_what_was_sent_before_the_join() -> None:
    add = change(CREATE, ALICE, 2, ADD, who=DAVE)
    decision = _decide(group(DAVE, CREATE, add), group(ALICE, CREATE))
    # Dropped at once (any add of Dave came to Dave), and Alice, behind, is brought up to date.
    assert decision == TextDecision(TextVerdict.DROP, TextReason.WE_WERE_NOT_MEMBERS, sync=True)


def test_a_text_that_would_be_dropped_while_our_digests_differ_waits_for_the_sync() -> None:
    # Alice adds Dave while Bob renames, both at version 2; Dave writes knowing only Alice's add.
    add = change(CREATE, ALICE, 2, ADD, who=DAVE)
    rename = change(CREATE, ALICE, 2, RENAME, name="Renamed")
    carol = group(CAROL, CREATE, rename)
    dave = group(DAVE, CREATE, add)
    assert _decide(carol, dave) == TextDecision(
        TextVerdict.PENDING, TextReason.SENDER_NOT_A_MEMBER, sync=True
    )
    assert _decide(group(CAROL, CREATE, rename, add), dave).verdict is TextVerdict.ACCEPT


def test_a_text_racing_a_removal_is_decided_by_the_changes_alone() -> None:
    # Carol writes at version 1; Alice removes her at version 2. Whether the text or the removal
    # arrived first, every member with the same changes decides the same: sent before, shown.
    removal = change(CREATE, ALICE, 2, REMOVE, who=CAROL)
    text = GroupTag(CREATE.change.group_id, 1, group(CAROL, CREATE).tag().digest)
    for receiver, changes in itertools.product(
        (ALICE, BOB), ([CREATE], [CREATE, removal], [removal, CREATE])
    ):
        for caught_up in (False, True):
            decision = group(receiver, *changes).decide_text(CAROL, text, caught_up=caught_up)
            assert decision.verdict is TextVerdict.ACCEPT, (receiver, len(changes), caught_up)
    # Written after she knew (her version says so), it is not: she is no member at version 2.
    after = GroupTag(CREATE.change.group_id, 2, group(CAROL, CREATE, removal).tag().digest)
    decisions = {
        group(receiver, *order).decide_text(CAROL, after, caught_up=True)
        for receiver in (ALICE, BOB)
        for order in ([CREATE, removal], [removal, CREATE])
    }
    assert decisions == {TextDecision(TextVerdict.DROP, TextReason.SENDER_NOT_A_MEMBER)}


def test_a_pending_text_is_decided_after_the_timeout() -> None:
    assert not pending_over(1_000, 1_000 + PENDING_TIMEOUT_MS - 1)
    assert pending_over(1_000, 1_000 + PENDING_TIMEOUT_MS)
