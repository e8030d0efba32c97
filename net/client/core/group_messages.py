"""Whether an incoming group text is shown: accept, keep it pending while we catch up, or drop it.

A text from S tagged ``(gv, gd)`` is accepted when S and we are members in the
fold of the changes with ``v <= gv``: the group as S knew it when S wrote. So a
text racing a removal is decided by the changes alone, the same by every member
that has the same changes, whatever order the text and the removal arrived in:
sent before S knew of the removal, it is shown; sent after, it is not.

When we know no change as high as ``gv`` (S knows more than we do), or S's
``(gv, gd)`` differs from ours and S is no member at ``gv`` by our changes (we may
lack the change that added S), the text waits and we ask S for a sync; once the
sync has answered or :data:`PENDING_TIMEOUT_MS` has passed (``caught_up``), it is
decided with what we have. A member who knows it left or was removed drops later
texts without asking anything (it sends nothing to the group).

One limit: S's ``gv`` is S's word. A removed
member's client that ignores its removal and keeps claiming the version before
it is still shown by that rule; honest clients never do (they stop sending to a
group they are not in).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from net.client.core.group_payloads import GroupTag
from net.client.core.group_state import GroupState, OwnStanding

#: How long a text waits for a sync before it is decided with the changes we have.
PENDING_TIMEOUT_MS = 10 * 60 * 1000


class TextVerdict(StrEnum):
    ACCEPT = "accept"
    PENDING = "pending"
    DROP = "drop"


class TextReason(StrEnum):
    MEMBER = "the sender was a member"
    UNKNOWN_GROUP = "we know no such group"
    AHEAD = "the sender knows changes we do not"
    SENDER_NOT_A_MEMBER = "the sender was not a member"
    WE_WERE_NOT_MEMBERS = "we were not members"
    WE_ARE_OUT = "we left or were removed"


@dataclass(frozen=True)
class TextDecision:
    verdict: TextVerdict
    reason: TextReason
    #: Ask the sender for a sync (a ``group_state`` with our changes and ``want: true``).
    sync: bool = False


def decide_text(
    now: GroupState | None, then: GroupState | None, sender: str, tag: GroupTag, *, caught_up: bool
) -> TextDecision:
    """The decision for a text from ``sender`` tagged ``tag``.

    ``now`` is our state, ``then`` our state folded up to ``tag.version`` (None when ``now`` is);
    ``caught_up`` says the sync was answered or the wait is over.
    """
    if now is None:
        if caught_up:
            return TextDecision(TextVerdict.DROP, TextReason.UNKNOWN_GROUP)
        return TextDecision(TextVerdict.PENDING, TextReason.UNKNOWN_GROUP, sync=True)
    inside = now.own is OwnStanding.MEMBER
    differs = (tag.version, tag.digest) != (now.version, now.digest)
    if tag.version > now.version:
        if not inside:
            return TextDecision(TextVerdict.DROP, TextReason.WE_ARE_OUT)
        if not caught_up:
            return TextDecision(TextVerdict.PENDING, TextReason.AHEAD, sync=True)
        then = now  # caught up and still behind: decide with what we have
    if then is None or then.own is not OwnStanding.MEMBER:
        reason = TextReason.WE_WERE_NOT_MEMBERS
    elif not then.is_member(sender):
        reason = TextReason.SENDER_NOT_A_MEMBER
    else:
        return TextDecision(TextVerdict.ACCEPT, TextReason.MEMBER, sync=differs and inside)
    asks = differs and inside and not caught_up
    if asks and reason is TextReason.SENDER_NOT_A_MEMBER:
        return TextDecision(TextVerdict.PENDING, reason, sync=True)  # a change we lack may have added them
    # We were not members then: any add of us came to us, so no sync changes that; it may bring
    # the sender up to date, though.
    return TextDecision(TextVerdict.DROP, reason, sync=asks)


def pending_over(held_since_ms: int, now_ms: int) -> bool:
    """Whether a pending text has waited long enough to be decided with what we have."""
    return now_ms - held_since_ms >= PENDING_TIMEOUT_MS
