"""Disappearing messages: the timer values, the timer payload, and when a message disappears.

A conversation's timer is one of :data:`CHOICES` (seconds; 0 is off). Setting it sends a payload
inside the ratchet, as texts are::

    {"t": "timer", "s": seconds, "ts": when (ms)}      (1:1; a group's also carries the group's tag)

(a group's standing setting passed on to a member just added also names its setter, ``"by"``)

and every text or file payload sent while a timer is on carries it as ``exp`` (seconds), so the
receiver counts down with the message's own value, whatever order a timer change and the message
arrive in. The newest setting (by ``ts``, then by the setter's phone) wins on every side, so a
repeat or a late older one changes nothing. Parsing is strict: anything else is a
:class:`MalformedEnvelope`, which never quotes the input.

The countdown: our own message from when it was written, an incoming one from when it is first
read here (:func:`expires_at_ms`).

A group's change is taken from a member our copy of the group counts as an admin; from one it
does not (yet), it waits while a group change we lack may make them one (:func:`decide_group`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from net.client.core.group_payloads import GroupTag, parse_tag, tag_fields
from net.client.core.group_state import GroupState, OwnStanding
from net.client.core.malformed import MalformedEnvelope
from net.protocol.schema import MAX_EXPIRES_IN
from net.protocol.validation import ValidationError, normalize_phone

#: The timers one may choose, in seconds: off, 5 minutes, 1 hour, 1 day, 1 week.
CHOICES: tuple[int, ...] = (0, 300, 3600, 86400, 604800)
#: The payload kind of a timer change.
KIND = "timer"
_MAX_TS = 2**63
_MAX_PHONE = 32


@dataclass(frozen=True)
class TimerChange:
    """A conversation's timer set to ``seconds`` at ``at_ms`` (the setter's clock)."""

    seconds: int
    at_ms: int
    group: GroupTag | None = None
    #: Who set it, when an admin passes a group's standing setting on to a member they add
    #: (``"by"``); "" when the sender set it. It names the setter in the notice and settles a tie
    #: as everywhere else; the sender must still be an admin.
    by: str = ""


def is_choice(value: object) -> bool:
    """Whether ``value`` is one of the timers one may choose (an int, not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value in CHOICES


def fields(change: TimerChange) -> dict[str, Any]:
    """The payload object of a timer change."""
    obj: dict[str, Any] = {"t": KIND, "s": change.seconds, "ts": change.at_ms}
    obj.update(tag_fields(change.group))
    if change.by:
        obj["by"] = change.by
    return obj


def parse(obj: dict[str, Any]) -> TimerChange:
    """The timer change of a payload object whose ``t`` is :data:`KIND`."""
    seconds, at = obj.get("s"), obj.get("ts")
    if not is_choice(seconds):
        raise MalformedEnvelope("timer payload: not a timer one may choose")
    if not (isinstance(at, int) and not isinstance(at, bool) and 0 <= at < _MAX_TS):
        raise MalformedEnvelope("timer payload: bad time")
    if not set(obj) <= {"t", "s", "ts", "g", "gv", "gd", "by"}:
        raise MalformedEnvelope("timer payload: unknown field")
    assert isinstance(seconds, int)
    group = parse_tag(obj)
    by = obj.get("by", "")
    if "by" in obj and (group is None or not _is_phone(by)):
        raise MalformedEnvelope("timer payload: bad setter")
    assert isinstance(by, str)
    return TimerChange(seconds, at, group, by)


def _is_phone(value: object) -> bool:
    """A phone in its one E.164 spelling (as a group change names members)."""
    if not isinstance(value, str) or len(value) > _MAX_PHONE:
        return False
    try:
        return normalize_phone(value) == value
    except ValidationError:
        return False


def parse_exp(value: object) -> int:
    """A text or file payload's ``exp`` (absent: 0); :class:`MalformedEnvelope` unless one of
    :data:`CHOICES` other than 0."""
    if value is None:
        return 0
    if not is_choice(value) or value == 0:
        raise MalformedEnvelope("text payload: bad exp")
    assert isinstance(value, int)
    return value


def expires_at_ms(timer: int, started_ms: int) -> int:
    """When a message under ``timer`` seconds, whose countdown started at ``started_ms``, disappears
    (0: never, or not started)."""
    if timer <= 0 or started_ms <= 0:
        return 0
    return started_ms + timer * 1000


#: The longest a server keeps a queued copy under ``expires_in`` (30 days, the protocol's bound).
MAX_QUEUED = MAX_EXPIRES_IN


def queued_for(expires_at_ms: int, now_ms: int) -> int:
    """The ``expires_in`` of a copy sent at ``now_ms`` of a message that disappears at
    ``expires_at_ms``: the seconds left, rounded up, at least 1 and at most :data:`MAX_QUEUED`;
    0 (no field) for a message that does not disappear."""
    if expires_at_ms <= 0:
        return 0
    left = -(-(expires_at_ms - now_ms) // 1000)
    return min(MAX_QUEUED, max(1, left))


class GroupTimerVerdict(StrEnum):
    ACCEPT = "accept"
    PENDING = "pending"
    DROP = "drop"


def decide_group(now: GroupState | None, sender: str, tag: GroupTag, *, caught_up: bool) -> GroupTimerVerdict:
    """Whether a group's timer change from ``sender`` tagged ``tag`` is taken now.

    Taken when our copy of the group (``now``) counts the sender an admin. Otherwise it waits
    while a change we lack may have made them one: the sender's ``(gv, gd)`` differs from ours
    and neither the sync has answered nor the wait is over (``caught_up``). With the sender's
    own version and digest, or once caught up, a non-admin's change is dropped.
    """
    if now is None or now.own is not OwnStanding.MEMBER:
        return GroupTimerVerdict.DROP
    if now.is_member(sender) and now.is_admin(sender):
        return GroupTimerVerdict.ACCEPT
    if caught_up or (tag.version, tag.digest) == (now.version, now.digest):
        return GroupTimerVerdict.DROP
    return GroupTimerVerdict.PENDING
