"""Which session becomes current when a contact's initial message starts one: a pure decision.

Inputs: our current session's id and whether the peer has answered it, the new
session's id, and whether both are with the same identity. Output: whether ours
stays current (the new one is kept as a previous session). :mod:`net.client.sessions`
applies it to the record, which the inbox stores.

When both sides start a session at the same moment and neither has been answered,
each would otherwise make the other's current and be left with two responders that
cannot send; the lower session id wins on both sides, so they converge on one.
"""

from __future__ import annotations


def ours_wins(*, ours: bytes, theirs: bytes, ours_answered: bool, same_peer: bool) -> bool:
    """Whether our unanswered session with the same peer stays current over theirs (lower id wins)."""
    return not ours_answered and same_peer and ours < theirs
