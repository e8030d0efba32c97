"""Notices in a conversation's timeline: the lines the app shows between messages.

Today there is one kind, ``key_changed``: the contact's safety number changed. It is
stored in the history (a row of its own kind, see ``storage/profile/schema.py``) in the
same transaction as the new identity's pin, so it is there after a restart exactly
where the change happened, and it rides on the :class:`ContactKeyChanged` event so
that an open conversation shows it at once.
"""

from __future__ import annotations

from net.client.context import Context, message_view
from net.client.core.events import MessageView


def key_changed(ctx: Context, phone: str, at: float | None = None) -> MessageView:
    """Store the note that ``phone``'s safety number changed, at ``at`` (default now).

    The caller holds the transaction that pins the new identity. A change noticed on an
    incoming message is placed just before that message, which is stored at its arrival.
    """
    stored = ctx.profile.history.add_notice(
        phone, client_id=ctx.new_id("n-"), kind="key_changed", timestamp=ctx.clock() if at is None else at
    )
    return message_view(stored)
