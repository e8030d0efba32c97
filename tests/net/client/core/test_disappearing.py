"""The disappearing timer's values, its payload (strict, never quoting its input) and the arithmetic
of a countdown and of a queued copy's ``expires_in``."""

from __future__ import annotations

from typing import Any

import pytest
from group_support import ALICE, BOB, CAROL, DAVE, change, created

from net.client.core import disappearing
from net.client.core.disappearing import CHOICES, GroupTimerVerdict, TimerChange
from net.client.core.envelope import Text, decode_payload, encode_payload
from net.client.core.group_changes import ChangeKind, SignedChange, encode_id
from net.client.core.group_payloads import GroupTag
from net.client.core.group_state import GroupState, fold
from net.client.core.malformed import MalformedEnvelope

TAG = GroupTag(encode_id(bytes(range(16))), 3, encode_id(bytes(16)))


def test_the_choices_are_off_five_minutes_an_hour_a_day_and_a_week() -> None:
    assert CHOICES == (0, 300, 3600, 86400, 604800)
    assert all(disappearing.is_choice(c) for c in CHOICES)
    for other in (1, 60, -300, 3600.0, True, "300", None):
        assert not disappearing.is_choice(other)


@pytest.mark.parametrize(
    "change",
    [TimerChange(3600, 1_900_000_000_000), TimerChange(0, 5, TAG), TimerChange(300, 5, TAG, "+442079460101")],
)
def test_a_timer_change_goes_through_the_payload_as_it_is(change: TimerChange) -> None:
    assert decode_payload(encode_payload(change)) == change
    fields = disappearing.fields(change)
    assert fields["t"] == "timer" and fields["s"] == change.seconds


@pytest.mark.parametrize(
    ("obj", "why"),
    [
        ({"t": "timer", "s": 60, "ts": 5}, "not a timer one may choose"),
        ({"t": "timer", "s": True, "ts": 5}, "not a timer one may choose"),
        ({"t": "timer", "s": "300", "ts": 5}, "not a timer one may choose"),
        ({"t": "timer", "ts": 5}, "not a timer one may choose"),
        ({"t": "timer", "s": 300, "ts": -1}, "bad time"),
        ({"t": "timer", "s": 300, "ts": 2**63}, "bad time"),
        ({"t": "timer", "s": 300, "ts": 5.5}, "bad time"),
        ({"t": "timer", "s": 300, "ts": 5, "who": "+15550001111"}, "unknown field"),
        ({"t": "timer", "s": 300, "ts": 5, "by": "+15550001111"}, "bad setter"),  # 1:1: no setter
        ({**disappearing.fields(TimerChange(300, 5, TAG)), "by": "+1 555 000 1111"}, "bad setter"),
        ({**disappearing.fields(TimerChange(300, 5, TAG)), "by": 15550001111}, "bad setter"),
        ({"t": "timer", "s": 300, "ts": 5, "g": TAG.group_id}, "group fields"),
    ],
)
def test_a_malformed_timer_payload_is_refused_without_quoting_it(obj: dict[str, Any], why: str) -> None:
    with pytest.raises(MalformedEnvelope) as refused:
        disappearing.parse(obj)
    assert why in str(refused.value)
    assert "+1555" not in str(refused.value)


def test_a_text_carries_its_timer_as_exp_and_one_without_carries_none() -> None:
    timed = Text("m-1", 5, "soon gone", exp=300)
    assert b'"exp":300' in encode_payload(timed)
    assert decode_payload(encode_payload(timed)) == timed
    plain = Text("m-2", 5, "stays")
    assert b"exp" not in encode_payload(plain)
    assert decode_payload(encode_payload(plain)).exp == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("exp", [0, 60, -300, "300", True, 1.5])
def test_a_text_with_a_bad_exp_is_malformed(exp: object) -> None:
    data = b'{"t":"text","id":"m-1","ts":5,"text":"x","exp":%s}' % str(exp).lower().encode()
    if isinstance(exp, str):
        data = b'{"t":"text","id":"m-1","ts":5,"text":"x","exp":"300"}'
    with pytest.raises(MalformedEnvelope, match="bad exp"):
        decode_payload(data)


def test_a_countdown_ends_its_timer_after_it_started_and_not_before_it_starts() -> None:
    assert disappearing.expires_at_ms(300, 1_000) == 301_000
    assert disappearing.expires_at_ms(300, 0) == 0
    assert disappearing.expires_at_ms(0, 1_000) == 0


def test_a_queued_copy_lives_as_long_as_the_senders_copy_has_left() -> None:
    assert disappearing.queued_for(0, 5_000) == 0  # no timer: no field
    assert disappearing.queued_for(305_000, 5_000) == 300
    assert disappearing.queued_for(305_001, 5_000) == 301  # rounded up
    assert disappearing.queued_for(5_000, 5_000) == 1  # due now: as short as the server allows
    assert disappearing.queued_for(1_000, 5_000) == 1
    assert disappearing.queued_for(10**15, 0) == disappearing.MAX_QUEUED == 2_592_000


def _state(me: str, *changes: SignedChange) -> GroupState:
    state = fold((signed.change for signed in changes), me).state
    assert state is not None
    return state


def test_a_groups_timer_is_taken_from_an_admin_and_waits_while_a_change_we_lack_may_make_one() -> None:
    create = created(members=(BOB, CAROL))
    grant = change(create, ALICE, 2, ChangeKind.ADMIN, who=BOB)
    before, after = _state(CAROL, create), _state(CAROL, create, grant)
    bobs = GroupTag(after.group_id, after.version, after.digest)  # Bob knows of the grant
    stale = GroupTag(before.group_id, before.version, before.digest)  # he knew what Carol knows
    decide = disappearing.decide_group
    assert decide(after, BOB, bobs, caught_up=False) is GroupTimerVerdict.ACCEPT
    assert decide(before, ALICE, stale, caught_up=False) is GroupTimerVerdict.ACCEPT
    # Carol lacks the grant: Bob's change waits for it, and goes once she has caught up without it.
    assert decide(before, BOB, bobs, caught_up=False) is GroupTimerVerdict.PENDING
    assert decide(before, BOB, bobs, caught_up=True) is GroupTimerVerdict.DROP
    # Bob knew exactly what Carol knows, and no admin there: nothing can make it his.
    assert decide(before, BOB, stale, caught_up=False) is GroupTimerVerdict.DROP
    # Dave is no member by Carol's changes, but one she lacks may have added him: he waits too.
    assert decide(before, DAVE, bobs, caught_up=False) is GroupTimerVerdict.PENDING
    # A group we are out of (Dave's own copy, never added), or none, takes nothing.
    assert decide(_state(DAVE, create), ALICE, stale, caught_up=False) is GroupTimerVerdict.DROP
    assert decide(None, ALICE, stale, caught_up=False) is GroupTimerVerdict.DROP
