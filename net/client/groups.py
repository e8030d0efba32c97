"""The group commands and what they show: make, add, remove, leave, rename, admin; views; invitations.

Each command makes its change through :mod:`net.client.core.group_making` (which checks it
against the rules first and signs it), then stores it (the change, every outcome and the
folded state) and queues its copies in the outbox, in one transaction
(:func:`net.client.group_fanout.queue_change`). An invitation from someone who is not our
contact is a *request*: nothing goes back to the group until it is accepted; declining
sends a signed ``leave`` to its members (so that they stop sending us copies) and deletes
it; blocking blocks the inviter and leaves quietly. A declined group's id is remembered, so
that what its members still send is dropped unseen.
"""

from __future__ import annotations

from collections.abc import Callable

from crypto_core.encoding import RandomSource
from crypto_core.keys import IdentityKeyPair
from net.client import action_views, group_copies, group_fanout, group_log, group_timers, timers
from net.client.context import Context, checked_phone, checked_text, message_view
from net.client.core import group_making
from net.client.core.actions import ReplyRef
from net.client.core.engine_error import EngineError
from net.client.core.envelope import GroupChangePayload, Text
from net.client.core.events import (
    GroupChanged,
    GroupRequest,
    GroupView,
    MemberReceipt,
    MessageStatus,
    MessageStatusChanged,
    MessageView,
)
from net.client.core.group_changes import SignedChange, is_id
from net.client.core.group_making import GroupChangeRefused
from net.client.core.group_payloads import GroupTag
from net.client.core.group_state import OwnStanding
from net.client.core.groups import Group
from net.client.core.standing import Standing
from net.client.duties import Duties
from net.client.file_views import file_info
from net.client.group_views import DECLINED, inviter_of, own_standing, view
from net.client.outbox import enqueue_copies
from storage.profile.groups import MEMBER, REQUEST, StoredGroup
from storage.profile.messages import GroupChat

#: How many declined ids are remembered (the oldest are forgotten first).
MAX_DECLINED = 1000

Make = Callable[[IdentityKeyPair, Group, int, RandomSource], SignedChange]


def create(ctx: Context, duties: Duties, name: str, members: list[str]) -> GroupView:
    me = ctx.me()
    try:
        signed = group_making.create(
            ctx.require_identity(), me, name, members, now_ms=ctx.now_ms(), random=ctx.random
        )
    except GroupChangeRefused as exc:
        raise EngineError(exc.code, exc.message) from None
    group_id = signed.change.group_id
    with ctx.profile.transaction():
        ctx.profile.groups.upsert(group_id, MEMBER)
        taken = group_fanout.queue_change(ctx, Group(group_id, me), signed)
        group_fanout.share_name(ctx, signed.change.members)
    duties.outbox.dirty = True
    return _changed(ctx, group_id, taken.notices)


def one(ctx: Context, group_id: str) -> GroupView:
    return view(ctx, _stored(ctx, group_id))


def every(ctx: Context) -> list[GroupView]:
    found = [view(ctx, stored) for stored in ctx.profile.groups.all() if stored.standing != REQUEST]
    ctx.report_damage()
    return sorted(found, key=lambda g: (g.name.casefold(), g.group_id))


def add_members(ctx: Context, duties: Duties, group_id: str, phones: list[str]) -> GroupView:
    result = one(ctx, group_id)
    for phone in phones:
        result = _command(ctx, duties, group_id, _adding(checked_phone(phone)))
    return result


def _adding(who: str) -> Make:
    def make(identity: IdentityKeyPair, group: Group, now_ms: int, random: RandomSource) -> SignedChange:
        return group_making.add(identity, group, who, now_ms=now_ms, random=random)

    return make


def remove_member(ctx: Context, duties: Duties, group_id: str, phone: str) -> GroupView:
    who = checked_phone(phone)
    return _command(
        ctx, duties, group_id, lambda i, g, t, r: group_making.remove(i, g, who, now_ms=t, random=r)
    )


def leave(ctx: Context, duties: Duties, group_id: str) -> GroupView:
    return _command(ctx, duties, group_id, lambda i, g, t, r: group_making.leave(i, g, now_ms=t, random=r))


def rename(ctx: Context, duties: Duties, group_id: str, name: str) -> GroupView:
    return _command(
        ctx, duties, group_id, lambda i, g, t, r: group_making.rename(i, g, name, now_ms=t, random=r)
    )


def set_admin(ctx: Context, duties: Duties, group_id: str, phone: str, admin: bool) -> GroupView:
    who = checked_phone(phone)
    make = group_making.make_admin if admin else group_making.take_admin
    return _command(ctx, duties, group_id, lambda i, g, t, r: make(i, g, who, now_ms=t, random=r))


def receipts(ctx: Context, group_id: str, message_id: str) -> list[MemberReceipt]:
    _stored(ctx, group_id)
    message = ctx.profile.history.get(GroupChat(group_id), message_id, outgoing=True)
    if message is None:
        raise EngineError("unknown_message", "That message is not in this conversation.")
    failed = group_copies.of(ctx, group_id, message_id)
    return [
        MemberReceipt(r.member, r.delivered_at, r.read_at, failed.get(r.member, ""))
        for r in ctx.profile.receipts.of(message.local_id)
    ]


def retry(ctx: Context, duties: Duties, group_id: str, message_id: str) -> None:
    """Queue again the copies of our group message whose last answer was a failure, and only those.

    The copies go under the message's own id, as the first ones did: the server stores each
    (sender, client id, recipient) once. A member who is no longer in the group gets nothing.
    """
    stored = _stored(ctx, group_id)
    chat = GroupChat(group_id)
    message = ctx.profile.history.get(chat, message_id, outgoing=True)
    if message is None:
        raise EngineError("unknown_message", "That message is not in this conversation.")
    failed = list(group_copies.of(ctx, group_id, message_id))
    if not failed:
        raise EngineError("not_failed", "No copy of this message failed; there is nothing to send again.")
    if stored.standing != MEMBER:
        raise EngineError("not_a_member", "You are not a member of this group.")
    group = group_log.load(ctx, group_id)
    to = [phone for phone in failed if phone in group_fanout.recipients(ctx, group.state)]
    with ctx.profile.transaction():
        group_copies.clear(ctx, group_id, message_id, failed)
        sent = round(message.timestamp * 1000)
        payload = Text(message_id, sent, message.text, group.tag(), file_info(message.attachment))
        enqueue_copies(ctx, to, message_id, payload, group=group_id, message_id=message_id)
    ctx.emit(MessageStatusChanged("", message_id, MessageStatus(message.status), group_id=group_id))
    duties.outbox.dirty = True


def requests(ctx: Context) -> list[GroupRequest]:
    found = []
    for stored in ctx.profile.groups.all():
        if stored.standing != REQUEST:
            continue
        group = group_log.load(ctx, stored.group_id)
        state = group.state
        if state is None:
            continue
        inviter = inviter_of(group)
        contact = ctx.profile.contacts.get(inviter)
        chat = GroupChat(stored.group_id)
        last = ctx.profile.history.page(chat, limit=1).messages
        found.append(
            GroupRequest(
                stored.group_id,
                state.name,
                inviter,
                contact.profile_name if contact else "",
                len(state.members),
                ctx.profile.history.count(chat),
                last[0].text if last else "",
                last[0].timestamp if last else stored.updated_at,
            )
        )
    return sorted(found, key=lambda r: r.last_timestamp, reverse=True)


def accept_request(ctx: Context, duties: Duties, group_id: str) -> GroupView:
    stored = _stored(ctx, group_id)
    if stored.standing != REQUEST:
        raise EngineError("not_a_request", "This group is not an invitation.")
    group = group_log.load(ctx, group_id)
    with ctx.profile.transaction():
        ctx.profile.groups.set_standing(group_id, MEMBER)
        to = group_fanout.recipients(ctx, group.state)
        group_fanout.ensure_members(ctx, to)
        group_fanout.share_name(ctx, to)
    duties.outbox.dirty = True
    return _changed(ctx, group_id, [])


def decline_request(ctx: Context, duties: Duties, group_id: str) -> None:
    """Leave the invitation's group with a signed ``leave`` to its members, then delete it.

    The members fold the leave and stop fanning out to us (without it they would send us a copy
    of every message for as long as the group lives, each stored by the server and dropped here).
    The leave tells them no more than their copies' ``stored`` already did: that the number is
    in use, and now that its owner said no. Nothing else goes: no receipt, no name.
    """
    stored = _stored(ctx, group_id)
    if stored.standing != REQUEST:
        raise EngineError("not_a_request", "This group is not an invitation.")
    gone = view(ctx, stored)
    group = group_log.load(ctx, group_id)
    with ctx.profile.transaction():
        _forget(ctx, group_id)
        if group.state is not None and group.state.own is OwnStanding.MEMBER:
            signed = group_making.leave(ctx.require_identity(), group, now_ms=ctx.now_ms(), random=ctx.random)
            to = group_fanout.recipients(ctx, group.state)
            group_fanout.ensure_members(ctx, to)
            enqueue_copies(ctx, to, ctx.new_id("g-"), GroupChangePayload(signed), group=group_id)
    duties.outbox.dirty = True
    ctx.emit(GroupChanged(gone, removed=True))


def block_inviter(ctx: Context, group_id: str) -> None:
    stored = _stored(ctx, group_id)
    gone = view(ctx, stored)
    inviter = inviter_of(group_log.load(ctx, group_id))
    with ctx.profile.transaction():
        if inviter and inviter != ctx.me():
            ctx.profile.contacts.add(inviter, "", standing=Standing.BLOCKED.value)
            ctx.profile.contacts.set_standing(inviter, Standing.BLOCKED.value)
        _forget(ctx, group_id)
    ctx.emit(GroupChanged(gone, removed=True))


# --------------------------------------------------------------------------- internals


def _stored(ctx: Context, group_id: str) -> StoredGroup:
    stored = ctx.profile.groups.get(group_id) if is_id(group_id) else None
    if stored is None:
        raise EngineError("unknown_group", "There is no such group.")
    return stored


def _command(ctx: Context, duties: Duties, group_id: str, make: Make) -> GroupView:
    stored = _stored(ctx, group_id)
    if stored.standing == REQUEST:
        raise EngineError("group_request", "Accept the invitation first.")
    group = group_log.load(ctx, group_id)
    try:
        signed = make(ctx.require_identity(), group, ctx.now_ms(), ctx.random)
    except GroupChangeRefused as exc:
        raise EngineError(exc.code, exc.message) from None
    with ctx.profile.transaction():
        taken = group_fanout.queue_change(ctx, group, signed)
        ctx.profile.groups.set_standing(group_id, own_standing(stored.standing, taken.group.state))
        timed = group_timers.decide(ctx, group_id)  # one kept for a member we just made admin
    duties.outbox.dirty = True
    shown = _changed(ctx, group_id, taken.notices)
    for event in timed:
        ctx.emit(event)
    return shown


def _changed(ctx: Context, group_id: str, notices: list[MessageView]) -> GroupView:
    shown = view(ctx, _stored(ctx, group_id))
    ctx.emit(GroupChanged(shown, tuple(notices)))
    return shown


def _forget(ctx: Context, group_id: str) -> None:
    ids = ctx.profile.settings.get(DECLINED)
    kept = [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []
    with ctx.profile.transaction():
        for message in ctx.profile.outbox.pending():
            if group_id.encode("ascii") in message.payload:
                ctx.profile.outbox.remove(message.client_id, message.contact)
        ctx.profile.settings.put(DECLINED, [*kept, group_id][-MAX_DECLINED:])
        ctx.profile.groups.delete(group_id)


def send_text(
    ctx: Context, duties: Duties, group_id: str, text: str, reply: ReplyRef | None = None
) -> MessageView:
    """Store a text in the group (answering ``reply``'s message, if given) and queue one copy per
    member, all under the message's id."""
    checked_text(text)
    stored_group = ctx.profile.groups.get(group_id)
    if stored_group is None:
        raise EngineError("unknown_group", "There is no such group.")
    if stored_group.standing == "request":
        raise EngineError("group_request", "Accept the invitation to write in this group.")
    state = group_log.cached_state(ctx, stored_group)
    to = group_fanout.recipients(ctx, state)
    if state is None or state.own is not OwnStanding.MEMBER:
        raise EngineError("not_a_member", "You are not a member of this group.")
    message_id, now = ctx.new_id("m-"), ctx.clock()
    with ctx.profile.transaction():
        stored = ctx.profile.history.add(
            GroupChat(group_id), client_id=message_id, outgoing=True, text=text, timestamp=now
        )
        timed = timers.stamp_ours(ctx, stored, timers.for_sending(ctx, GroupChat(group_id)))
        ctx.profile.receipts.expect(stored.local_id, to)
        if reply is not None:
            author = "" if reply.target.author == ctx.me() else reply.target.author
            ctx.profile.actions.set_reply(stored.local_id, author, reply.target.message_id, reply.quote)
        group_fanout.ensure_members(ctx, to)
        group_fanout.share_name(ctx, to)
        tag = GroupTag(group_id, state.version, state.digest)
        payload = Text(message_id, round(stored.timestamp * 1000), text, tag, reply=reply)
        enqueue_copies(ctx, to, message_id, payload, group=group_id, message_id=message_id)
    ctx.emit(MessageStatusChanged("", message_id, MessageStatus.QUEUED, group_id=group_id))
    duties.outbox.dirty = True
    if reply is not None or timed:
        return action_views.view_of(ctx, stored)
    return message_view(stored)
