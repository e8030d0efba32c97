"""What people do with a message: reply, react, edit, delete for everyone, delete for us, details.

Our commands and the actions that come from others, as functions of the unlocked
:class:`~net.client.context.Context`. A message is named by its client id and, in a group,
its sender ("" for ours, as :class:`~net.client.core.events.MessageView` names it); in a 1:1
conversation the id alone names it (ours first, then theirs). On the wire it is named by its
author and its id (:class:`~net.client.core.actions.Target`).

An action is stored here and queued in the same transaction, through the persistent outbox: to the
contact, or one copy per member as a group's texts are (under one client id). One that arrives
is checked (a group's: from one of its members; an edit or a delete: from the author, within
:data:`~net.client.core.actions.ACTION_WINDOW_MS` of the original's sent time) and applied; one
whose message is not here yet is kept (``pending_actions``) and applied when the message comes.
Each is idempotent: a reaction and an edit carry their time, and the newest wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from net.client import action_views, group_fanout, group_log, messaging
from net.client import groups as group_commands
from net.client.context import Context, checked_phone, checked_text
from net.client.core import actions as act
from net.client.core.actions import Action, Delete, Edit, React, ReplyRef, Target
from net.client.core.engine_error import EngineError
from net.client.core.events import MemberReceipt, MessageChanged, MessageDetails, MessageView
from net.client.core.group_payloads import GroupTag
from net.client.duties import Duties
from net.client.outbox import enqueue_control, enqueue_copies
from storage.profile.actions import Marks
from storage.profile.history import Chat, GroupChat, Message

NO_SUCH_MESSAGE = "That message is not in this conversation."
NOT_YOURS = "Only your own messages can be edited or deleted for everyone."
TOO_LATE = "A message can be edited or deleted for everyone only within 24 hours of sending it."
DELETED = "That message was deleted."
NOT_EMOJI = "A reaction is one emoji."


@dataclass(frozen=True)
class ActedOn:
    """A message found by how a view names it."""

    chat: Chat
    message: Message
    #: The author's phone (ours too), as the wire names it.
    author: str

    @property
    def target(self) -> Target:
        return Target(self.author, self.message.client_id)


# --------------------------------------------------------------------------- our commands


def send_reply(
    ctx: Context, duties: Duties, message_id: str, text: str, contact: str, group_id: str, sender: str
) -> MessageView:
    """A text that answers the message, quoting its author, id and the start of its text."""
    found = locate(ctx, message_id, contact, group_id, sender)
    if _marks(ctx, found).deleted:
        raise EngineError("deleted", DELETED)
    reply = ReplyRef(found.target, act.quote_of(found.message.text))
    if isinstance(found.chat, GroupChat):
        return group_commands.send_text(ctx, duties, found.chat.group_id, text, reply)
    return messaging.send_text(ctx, duties, found.chat, text, reply)


def react(
    ctx: Context, duties: Duties, message_id: str, emoji: str, contact: str, group_id: str, sender: str
) -> MessageView:
    """Our reaction to the message: ``emoji`` replaces the one we had; the same one again, or "",
    takes it back."""
    if emoji and not act.is_emoji(emoji):
        raise EngineError("not_emoji", NOT_EMOJI)
    found = locate(ctx, message_id, contact, group_id, sender)
    if _marks(ctx, found).deleted:
        raise EngineError("deleted", DELETED)
    local = found.message.local_id
    ours = next((r for r in ctx.profile.actions.reactions([local]).get(local, []) if r.reactor == ""), None)
    chosen = "" if ours is not None and ours.emoji == emoji else emoji
    # The newest of one person's reactions wins on every side: ours are strictly later each time.
    at = max(ctx.now_ms(), _our_reaction_time(ctx, local) + 1)
    with ctx.profile.transaction():
        changed = ctx.profile.actions.react(local, "", chosen, at)
        if changed:
            _send(ctx, found, lambda tag: React(found.target, chosen, at, tag))
    return _changed(ctx, duties, found, changed)


def edit_message(
    ctx: Context, duties: Duties, message_id: str, text: str, contact: str, group_id: str
) -> MessageView:
    """Replace the text of our message (within 24 hours of sending it); the earlier text is kept."""
    checked_text(text)
    found = _own_in_time(ctx, message_id, contact, group_id)
    at = max(ctx.now_ms(), _marks(ctx, found).edited_at_ms + 1)
    with ctx.profile.transaction():
        changed = ctx.profile.actions.edit(found.message.local_id, text, at)
        if changed:
            _send(ctx, found, lambda tag: Edit(found.message.client_id, text, at, tag))
    return _changed(ctx, duties, found, changed)


def delete_for_everyone(
    ctx: Context, duties: Duties, message_id: str, contact: str, group_id: str
) -> MessageView:
    """Delete our message (within 24 hours of sending it) here and for everyone it went to."""
    found = _own_in_time(ctx, message_id, contact, group_id)
    at = ctx.now_ms()
    with ctx.profile.transaction():
        changed = ctx.profile.actions.delete_for_everyone(found.message.local_id, "")
        if changed:
            _send(ctx, found, lambda tag: Delete(found.message.client_id, at, tag))
    return _changed(ctx, duties, found, changed)


def delete_for_me(ctx: Context, message_id: str, contact: str, group_id: str, sender: str) -> None:
    """Remove any message from this profile alone (the others keep theirs)."""
    found = locate(ctx, message_id, contact, group_id, sender)
    view = action_views.view_of(ctx, found.message)
    if ctx.profile.actions.delete_for_me(found.message.local_id, found.chat, _key(ctx, found.author)):
        ctx.emit(MessageChanged(view, removed=True))


def details(ctx: Context, message_id: str, contact: str, group_id: str, sender: str) -> MessageDetails:
    found = locate(ctx, message_id, contact, group_id, sender)
    message = found.message
    view = action_views.view_of(ctx, message)
    receipts = ctx.profile.receipts.of(message.local_id) if message.outgoing else []
    members: tuple[MemberReceipt, ...] = ()
    delivered = read = None
    if isinstance(found.chat, GroupChat):
        members = tuple(MemberReceipt(r.member, r.delivered_at, r.read_at) for r in receipts)
    elif receipts:
        delivered, read = receipts[0].delivered_at, receipts[0].read_at
    reactions = ctx.profile.actions.reactions([message.local_id]).get(message.local_id, [])
    versions = [] if view.deleted else ctx.profile.actions.versions(message.local_id)
    return MessageDetails(
        message=view,
        sent_at=view.sent_at,
        delivered_at=delivered,
        read_at=read,
        members=members,
        reactions=tuple((r.reactor, r.emoji) for r in reactions),
        versions=tuple((v.text, v.replaced_at_ms / 1000) for v in versions),
    )


def locate(ctx: Context, message_id: str, contact: str, group_id: str, sender: str) -> ActedOn:
    """The message a view names, or EngineError("unknown_message")."""
    if bool(contact) == bool(group_id):
        raise EngineError("bad_conversation", "Name the message's conversation: a contact or a group.")
    history = ctx.profile.history
    me = ctx.me()
    if group_id:
        if ctx.profile.groups.get(group_id) is None:
            raise EngineError("unknown_group", "There is no such group.")
        chat: Chat = GroupChat(group_id)
        mine = not sender or sender == me
        found = history.get(chat, message_id, outgoing=mine, sender="" if mine else checked_phone(sender))
        author = me if mine else checked_phone(sender)
    else:
        chat = checked_phone(contact)
        found = history.get(chat, message_id, outgoing=True)
        author = me
        if found is None:
            found = history.get(chat, message_id, outgoing=False)
            author = chat
    if found is None or found.kind != "text":
        raise EngineError("unknown_message", NO_SUCH_MESSAGE)
    return ActedOn(chat, found, author)


def _own_in_time(ctx: Context, message_id: str, contact: str, group_id: str) -> ActedOn:
    found = locate(ctx, message_id, contact, group_id, "")
    if not found.message.outgoing:
        raise EngineError("not_yours", NOT_YOURS)
    if _marks(ctx, found).deleted:
        raise EngineError("deleted", DELETED)
    if not act.within_window(round(found.message.timestamp * 1000), ctx.now_ms()):
        raise EngineError("too_late", TOO_LATE)
    return found


def _send(ctx: Context, found: ActedOn, make: Callable[[GroupTag | None], Action]) -> None:
    """Queue the action to the contact, or one copy per member of the group."""
    if not isinstance(found.chat, GroupChat):
        enqueue_control(ctx, found.chat, make(None))
        return
    group_id = found.chat.group_id
    stored = ctx.profile.groups.get(group_id)
    state = None if stored is None else group_log.cached_state(ctx, stored)
    to = group_fanout.recipients(ctx, state)
    if state is None or not to:
        return  # nobody left to tell: it stands here alone
    tag = GroupTag(group_id, state.version, state.digest)
    enqueue_copies(ctx, to, ctx.new_id("a-"), make(tag), group=group_id)


def _changed(ctx: Context, duties: Duties, found: ActedOn, changed: bool) -> MessageView:
    message = ctx.profile.history.get(
        found.chat, found.message.client_id, outgoing=found.message.outgoing, sender=found.message.sender
    )
    view = action_views.view_of(ctx, message or found.message)
    if changed:
        duties.outbox.dirty = True
        ctx.emit(MessageChanged(view))
    return view


def _marks(ctx: Context, found: ActedOn) -> Marks:
    return ctx.profile.actions.marks([found.message.local_id]).get(found.message.local_id, Marks())


def _our_reaction_time(ctx: Context, local: int) -> int:
    return ctx.profile.actions.reaction_time(local, "")


def _key(ctx: Context, author: str) -> str:
    """The author as the profile's action tables name them: "" for us."""
    return "" if author == ctx.me() else author
