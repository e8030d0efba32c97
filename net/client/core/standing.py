"""Who a contact is to us, and what may go back to them: the rule of message requests.

A contact is *accepted* (the person added them, wrote to them first, or accepted
their request), a *request* (a stranger who wrote first) or *blocked*. The rule,
in one place so that every part of the engine asks the same question:

* to an accepted contact everything goes: delivery and read receipts, typing
  notices, our display name (a :class:`~net.client.core.envelope.ProfilePayload`), reset notices;
* to a request nothing goes back at all, so a stranger cannot learn that the
  number is in use, that a message arrived, or that it was read;
* from a blocked number messages are acknowledged and dropped unopened (only counted);
* a stranger's first message makes a request; the person's own add or first message
  accepts, as does their word on a request.

On accept, our display name and the delivery receipts held back go (the
messages did arrive; now the sender may know it), but no read receipt for what
was read while it was a request (Signal's rule): only what is read after
accepting gets read receipts.
"""

from __future__ import annotations

from enum import StrEnum


class Standing(StrEnum):
    ACCEPTED = "accepted"
    REQUEST = "request"
    BLOCKED = "blocked"


def may_answer(standing: Standing | None) -> bool:
    """Whether anything (receipt, typing notice, profile, reset notice) may go to this contact."""
    return standing is Standing.ACCEPTED


def keeps_messages(standing: Standing | None) -> bool:
    """Whether a message from this number is opened and stored (blocked: dropped, only counted)."""
    return standing is not Standing.BLOCKED


def of_stranger() -> Standing:
    """The standing of a number that wrote first and is not a contact."""
    return Standing.REQUEST


def after_own_step(standing: Standing | None) -> Standing:
    """After the person adds a number or writes to it: accepted, unless they blocked it."""
    return Standing.BLOCKED if standing is Standing.BLOCKED else Standing.ACCEPTED


def profile_due(standing: Standing | None, sent_version: int, current_version: int) -> bool:
    """Whether our display name (at ``current_version``) should be queued with what goes next."""
    return may_answer(standing) and sent_version < current_version
