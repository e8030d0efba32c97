"""Actions that come from others (reactions, edits, deletes for everyone) and the quotes of replies.

An action is taken from a contact we accepted (1:1) or from a member of a group we are in,
naming a message of that conversation: a reaction any message of it, an edit or a delete only one
its sender wrote, and only within 24 hours of the time the original says it was sent. Anything
else is dropped (and noted in the log, never with its text). One whose message is not here yet is
kept until the message comes (:func:`arrived` applies it then), unless we deleted that message for
us: then it has nothing to change.
"""

from __future__ import annotations

import logging

from net.client import action_views, group_log
from net.client.context import Context
from net.client.core import actions as act
from net.client.core.actions import Action, Delete, Edit, React, ReplyRef, Target
from net.client.core.events import Event, MessageChanged
from net.client.core.malformed import MalformedEnvelope
from net.client.core.standing import Standing
from storage.profile.groups import MEMBER
from storage.profile.history import Chat, GroupChat, Message

_log = logging.getLogger(__name__)


def take(ctx: Context, sender: str, payload: Action, arrived_ms: int) -> list[Event]:
    """Apply an action from ``sender``, or keep it for its message; the events of what it changed."""
    chat = _chat(ctx, sender, payload)
    if chat is None:
        _log.info("an action from someone who may not act in that conversation was dropped")
        return []
    target = payload.target if isinstance(payload, React) else Target(sender, payload.message_id)
    me = ctx.me()
    if not isinstance(chat, GroupChat) and target.author not in (me, sender):
        return []  # a 1:1 message is theirs or ours
    mine = target.author == me
    found = ctx.profile.history.get(
        chat,
        target.message_id,
        outgoing=mine,
        sender=target.author if isinstance(chat, GroupChat) and not mine else "",
    )
    if found is None:
        key = "" if mine else target.author
        if not ctx.profile.actions.is_gone(chat, key, target.message_id):
            ctx.profile.actions.keep_pending(
                chat, key, target.message_id, sender, act.fields(payload), arrived_ms
            )
        return []
    if not _apply(ctx, found, sender, payload):
        return []
    again = ctx.profile.history.get(chat, found.client_id, outgoing=found.outgoing, sender=found.sender)
    return [MessageChanged(action_views.view_of(ctx, again or found))]


def arrived(ctx: Context, chat: Chat, author: str, stored: Message, reply: ReplyRef | None) -> Message:
    """A message just stored: keep what it quotes, apply the actions that came before it; the
    message as it stands now. ``author`` is its sender's phone."""
    if reply is not None:
        quoted = "" if reply.target.author == ctx.me() else reply.target.author
        ctx.profile.actions.set_reply(stored.local_id, quoted, reply.target.message_id, reply.quote)
    waiting = ctx.profile.actions.take_pending(chat, author, stored.client_id)
    for pending in waiting:
        try:
            action = act.parse(pending.payload)
        except MalformedEnvelope:
            continue  # checked when it came; a damaged row costs only itself
        _apply(ctx, stored, pending.actor, action)
    if not waiting:
        return stored
    again = ctx.profile.history.get(chat, stored.client_id, outgoing=stored.outgoing, sender=stored.sender)
    return again or stored


def is_gone(ctx: Context, chat: Chat, author: str, client_id: str) -> bool:
    """Whether we deleted this message for us (a copy sent again is not stored)."""
    return ctx.profile.actions.is_gone(chat, author, client_id)


def _apply(ctx: Context, message: Message, actor: str, action: Action) -> bool:
    actions = ctx.profile.actions
    local = message.local_id
    mark = actions.marks([local]).get(local)
    if mark is not None and mark.deleted:
        return False  # deleted for everyone: nothing more happens to it
    if isinstance(action, React):
        return actions.react(local, actor, action.emoji, action.at_ms)
    # An edit or a delete: the author's own message (the target names the sender), in time.
    sent = message.meta.get("sent")
    if message.outgoing or not isinstance(sent, int) or not act.within_window(sent, action.at_ms):
        _log.info("an edit or delete outside its message's 24 hours was dropped")
        return False
    if isinstance(action, Edit):
        return actions.edit(local, action.text, action.at_ms)
    assert isinstance(action, Delete)
    return actions.delete_for_everyone(local, message.sender or message.contact)


def _chat(ctx: Context, sender: str, payload: Action) -> Chat | None:
    """The conversation the action is in, if ``sender`` may act there."""
    if payload.group is None:
        contact = ctx.profile.contacts.briefs([sender]).get(sender)
        return sender if contact is not None and contact.standing == Standing.ACCEPTED.value else None
    stored = ctx.profile.groups.get(payload.group.group_id)
    if stored is None or stored.standing != MEMBER:
        return None
    state = group_log.cached_state(ctx, stored)
    if state is None or sender not in state.phones:
        return None
    return GroupChat(payload.group.group_id)
