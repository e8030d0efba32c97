"""Disappearing messages: a conversation's timer, set by us or by them, and each message's countdown.

The timer is set by either side of a 1:1 conversation, and in a group by an admin only: an
admin-checked payload (:mod:`net.client.core.disappearing`) with the group's tag, taken from a
member the receiver's own copy of the group counts as an admin (no group change, so the group's
version does not move; :mod:`net.client.group_timers` takes a group's, and keeps one from a
member who may have become admin by a change we lack). The newest setting wins on every
side, by its time and then the setter's phone; each one that wins leaves a ``timer_changed``
notice in the timeline (once: a repeat or an older one changes nothing) and a
:class:`~net.client.core.events.TimerChanged` event.

A message takes the timer standing when it is written, and carries it (``exp``); the receiver
counts down with the message's own value, so a message and a timer change that cross agree.
Ours counts down from when it was written, theirs from when it is first read here
(:func:`started`, from the engine's mark-read path, with or without read receipts).
:mod:`net.client.expiry` removes what is due.
"""

from __future__ import annotations

from net.client import action_views, group_fanout, group_log
from net.client.context import Context, checked_phone, message_view
from net.client.core import disappearing
from net.client.core.disappearing import TimerChange
from net.client.core.engine_error import EngineError
from net.client.core.events import Event, MessageChanged, MessageReceived, MessageView, TimerChanged
from net.client.core.group_payloads import GroupTag
from net.client.core.group_state import OwnStanding
from net.client.core.standing import Standing
from net.client.outbox import enqueue_control, enqueue_copies
from storage.profile.history import Chat, GroupChat, Message

BAD_TIMER = "A disappearing timer is off, 5 minutes, 1 hour, 1 day or 1 week."
NOT_ADMIN = "Only an admin of the group can do that."
NOTICE = "timer_changed"


def set_timer(ctx: Context, seconds: int, contact: str, group_id: str) -> MessageView:
    """Set the conversation's timer here and for everyone in it (queued: the caller has the outbox
    sent); our timeline notice."""
    if not disappearing.is_choice(seconds):
        raise EngineError("bad_timer", BAD_TIMER)
    chat = _chat(ctx, contact, group_id)
    tag = _tag_as_admin(ctx, chat) if isinstance(chat, GroupChat) else None
    me = ctx.me()
    # Ours is strictly newer than the setting standing here, so it wins where that one stands too.
    at = max(ctx.now_ms(), ctx.profile.timers.chat(chat).set_at_ms + 1)
    change = TimerChange(seconds, at, tag)
    with ctx.profile.transaction():
        ctx.profile.timers.set_chat(chat, seconds, at, me)
        notice = _notice(ctx, chat, seconds, "", ctx.clock())
        if isinstance(chat, GroupChat):
            stored = ctx.profile.groups.get(chat.group_id)
            state = None if stored is None else group_log.cached_state(ctx, stored)
            to = group_fanout.recipients(ctx, state)
            if to:
                enqueue_copies(ctx, to, ctx.new_id("d-"), change, group=chat.group_id)
        else:
            enqueue_control(ctx, chat, change)
    ctx.emit(MessageReceived(notice))
    ctx.emit(_event(chat, seconds, ""))
    return notice


def timer_of(ctx: Context, contact: str, group_id: str) -> int:
    """The conversation's timer now (seconds; 0 off)."""
    return ctx.profile.timers.chat(_chat(ctx, contact, group_id)).seconds


def take(ctx: Context, sender: str, change: TimerChange, arrived_ms: int) -> list[Event]:
    """A 1:1 timer change from ``sender``: applied if they are our accepted contact and it is the
    newest; its events. A group's goes through :mod:`net.client.group_timers`."""
    if change.group is not None:
        return []
    brief = ctx.profile.contacts.briefs([sender]).get(sender)
    if brief is None or brief.standing != Standing.ACCEPTED.value:
        return []
    return apply(ctx, sender, change, sender, arrived_ms)


def apply(ctx: Context, chat: Chat, change: TimerChange, sender: str, arrived_ms: int) -> list[Event]:
    """A timer change from ``sender``, who may set it: stored if it is the newest; its events.

    A setting passed on (``change.by``) is stored, shown and told as its setter's ("" for us)."""
    setter = change.by or sender
    with ctx.profile.transaction():
        if not ctx.profile.timers.set_chat(chat, change.seconds, change.at_ms, setter):
            return []  # a repeat, or older than the setting standing
        by = "" if setter == ctx.me() else setter
        notice = _notice(ctx, chat, change.seconds, by, arrived_ms / 1000)
    return [MessageReceived(notice), _event(chat, change.seconds, by)]


def for_sending(ctx: Context, chat: Chat) -> int:
    """The timer a message written now in ``chat`` goes under (seconds; 0 none)."""
    return ctx.profile.timers.chat(chat).seconds


def stamp_ours(ctx: Context, stored: Message, timer: int) -> int:
    """Our message was written under ``timer``: it counts down from its writing; when it disappears (ms)."""
    if timer <= 0:
        return 0
    expires = disappearing.expires_at_ms(timer, round(stored.timestamp * 1000))
    ctx.profile.timers.set_message(stored.local_id, timer, expires)
    return expires


def arrived(ctx: Context, stored: Message, exp: int) -> None:
    """Their message came under ``exp`` seconds: it waits to be read before counting down."""
    ctx.profile.timers.set_message(stored.local_id, exp, 0)


def of_message(ctx: Context, message: Message) -> tuple[int, int]:
    """The timer a stored message went under and when it disappears (ms): (0, 0) for none."""
    found = ctx.profile.timers.of([message.local_id]).get(message.local_id)
    return (0, 0) if found is None else (found.timer, found.expires_at_ms)


def started(ctx: Context, read: list[Message]) -> list[Event]:
    """The countdown of the messages just read starts now; a changed view for each."""
    ids = set(ctx.profile.timers.start([m.local_id for m in read], ctx.now_ms()))
    return [MessageChanged(action_views.view_of(ctx, m)) for m in read if m.local_id in ids]


# --------------------------------------------------------------------------- internals


def _chat(ctx: Context, contact: str, group_id: str) -> Chat:
    if bool(contact) == bool(group_id):
        raise EngineError("bad_conversation", "Name the conversation: a contact or a group.")
    if group_id:
        if ctx.profile.groups.get(group_id) is None:
            raise EngineError("unknown_group", "There is no such group.")
        return GroupChat(group_id)
    phone = checked_phone(contact)
    ctx.contact(phone)  # unknown_contact
    return phone


def _tag_as_admin(ctx: Context, chat: GroupChat) -> GroupTag:
    stored = ctx.profile.groups.get(chat.group_id)
    if stored is None:
        raise EngineError("unknown_group", "There is no such group.")
    if stored.standing == "request":
        raise EngineError("group_request", "Accept the invitation first.")
    state = group_log.cached_state(ctx, stored)
    if state is None or state.own is not OwnStanding.MEMBER:
        raise EngineError("not_a_member", "You are not a member of this group.")
    if not state.is_admin(ctx.me()):
        raise EngineError("not_an_admin", NOT_ADMIN)
    return GroupTag(chat.group_id, state.version, state.digest)


def _notice(ctx: Context, chat: Chat, seconds: int, by: str, at: float) -> MessageView:
    stored = ctx.profile.history.add_notice(
        chat, client_id=ctx.new_id("n-"), kind=NOTICE, timestamp=at, meta={"by": by, "name": str(seconds)}
    )
    return message_view(stored)


def _event(chat: Chat, seconds: int, by: str) -> TimerChanged:
    if isinstance(chat, GroupChat):
        return TimerChanged("", chat.group_id, seconds, by)
    return TimerChanged(chat, "", seconds, by)
