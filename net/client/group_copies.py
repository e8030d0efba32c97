"""What became of our group messages' copies: sent (the text is SENT on the first), or failed for a member.

A group message fails only for a member (an account deleted, a bundle refused for good); the
others have it. The outbox notes each such copy here (:func:`failed`), the message's receipts
show it per member, and ``retry`` on the group's message queues again the copies of exactly
these members (:func:`net.client.groups.retry`). The record is a settings entry, bounded: the
oldest messages' notes are forgotten first past :data:`MAX_MESSAGES`.
"""

from __future__ import annotations

from net.client import action_views, group_log
from net.client.context import Context
from net.client.core.envelope import Text
from net.client.core.events import Event, MessageStatus, MessageStatusChanged
from net.client.core.group_state import OwnStanding
from storage.profile.groups import MEMBER
from storage.profile.messages import GroupChat

#: The settings record: ``{"<group id> <message id>": {member: code}}``.
FAILED = "groups.failed"
#: How many messages' failures are remembered at most.
MAX_MESSAGES = 1000


def sent(ctx: Context, group_id: str, message_id: str | None) -> list[Event]:
    """A copy of a group's text was stored by the server: the text is SENT (once, on the first copy)."""
    if message_id is None:
        return []
    chat = GroupChat(group_id)
    if not ctx.profile.history.set_status(chat, message_id, MessageStatus.SENT.value):
        return []
    return [MessageStatusChanged("", message_id, MessageStatus.SENT, group_id=group_id)]


def _key(group_id: str, message_id: str) -> str:
    return f"{group_id} {message_id}"


def _all(ctx: Context) -> dict[str, dict[str, str]]:
    found = ctx.profile.settings.get(FAILED)
    if not isinstance(found, dict):
        return {}
    return {
        k: {m: c for m, c in v.items() if isinstance(m, str) and isinstance(c, str)}
        for k, v in found.items()
        if isinstance(k, str) and isinstance(v, dict)
    }


def failed(ctx: Context, group_id: str, message_id: str, member: str, code: str) -> None:
    """The copy of ``message_id`` for ``member`` failed with ``code`` (inside the outbox's transaction)."""
    known = _all(ctx)
    key = _key(group_id, message_id)
    members = known.pop(key, {})
    members[member] = code
    known[key] = members  # the newest last, so the oldest go first past the bound
    ctx.profile.settings.put(FAILED, dict(list(known.items())[-MAX_MESSAGES:]))


def of(ctx: Context, group_id: str, message_id: str) -> dict[str, str]:
    """The members whose copy of the message failed, with the server's code for each."""
    return dict(_all(ctx).get(_key(group_id, message_id), {}))


def clear(ctx: Context, group_id: str, message_id: str, members: list[str]) -> None:
    """Forget the failures of ``members`` (their copies are queued again, or they are no members now)."""
    known = _all(ctx)
    key = _key(group_id, message_id)
    left = {m: c for m, c in known.get(key, {}).items() if m not in members}
    if left:
        known[key] = left
    else:
        known.pop(key, None)
    ctx.profile.settings.put(FAILED, known)


def resent_text(ctx: Context, contact: str, message_id: str) -> tuple[str, Text] | None:
    """Our group text ``message_id`` as it goes again to ``contact``, who could not open it (a reset
    notice: their profile was restored, their session is new), with the group's id; None when no
    group of ours holds it, or ``contact`` is no longer its member (nothing goes to them then)."""
    for stored in ctx.profile.groups.all():
        if stored.standing != MEMBER:
            continue
        message = ctx.profile.history.get(GroupChat(stored.group_id), message_id, outgoing=True)
        if message is None:
            continue
        if action_views.is_deleted(ctx, message):
            return None  # deleted for everyone: it never goes again
        group = group_log.load(ctx, stored.group_id)
        state = group.state
        if state is None or state.own is not OwnStanding.MEMBER or not state.is_member(contact):
            return None
        sent_ms = round(message.timestamp * 1000)
        reply = action_views.reply_of(ctx, message)
        return stored.group_id, Text(message_id, sent_ms, message.text, group.tag(), reply=reply)
    return None
