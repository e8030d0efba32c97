"""Notices in a conversation's timeline: the lines the app shows between messages.

``key_changed``: the contact's safety number changed (noted in their conversation and in each
group they are in, whose copies for them are held until the new key is accepted); the group
changes' notes are :mod:`net.client.group_log`'s. It is
stored in the history (a row of its own kind, see ``storage/profile/schema.py``) in the
same transaction as the new identity's pin, so it is there after a restart exactly
where the change happened, and it rides on the :class:`ContactKeyChanged` event so
that an open conversation shows it at once.
"""

from __future__ import annotations

from net.client.context import Context, message_view
from net.client.core.events import MessageView
from storage.profile.messages import GroupChat


def key_changed(ctx: Context, phone: str, at: float | None = None) -> MessageView:
    """Store the note that ``phone``'s safety number changed, at ``at`` (default now).

    The caller holds the transaction that pins the new identity. A change noticed on an
    incoming message is placed just before that message, which is stored at its arrival.
    """
    when = ctx.clock() if at is None else at
    stored = ctx.profile.history.add_notice(
        phone, client_id=ctx.new_id("n-"), kind="key_changed", timestamp=when
    )
    for group in ctx.profile.groups.all():  # each group they are in says so: their copies are held
        members = group.state.get("members", []) if isinstance(group.state, dict) else []
        if group.standing == "member" and any(isinstance(m, list) and m[:1] == [phone] for m in members):
            ctx.profile.history.add_notice(
                GroupChat(group.group_id),
                client_id=ctx.new_id("n-"),
                kind="key_changed",
                timestamp=when,
                meta={"who": phone},
            )
    return message_view(stored)
