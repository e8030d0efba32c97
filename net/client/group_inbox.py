"""What arrives for a group: changes, states (sync), texts (accepted, pending or dropped), typing, receipts.

Called by :class:`net.client.inbox.Inbox` inside the transaction that stores the message
that brought it, so a change, a text and the receipt it queues are stored together or not at
all. A ``create`` or ``add`` that names us from someone who is not our accepted contact makes
the group a request: nothing goes back until it is accepted (no receipts, no sync, no name).
A pending text (its sender knows changes we lack) is kept in the profile and decided once
the sender's ``group_state`` has come, or after :data:`PENDING_TIMEOUT_MS`.
"""

from __future__ import annotations

from typing import Any

from net.client import action_inbox, action_views, group_fanout, group_log, group_timers, group_views, timers
from net.client.context import Context
from net.client.core.attachment import parse_file
from net.client.core.envelope import Delivered, GroupStatePayload, Read, Text
from net.client.core.events import (
    Event,
    GroupChanged,
    MessageReceived,
    MessageStatus,
    MessageStatusChanged,
)
from net.client.core.group_changes import ChangeKind, SignedChange
from net.client.core.group_messages import TextVerdict, pending_over
from net.client.core.group_payloads import GroupTag
from net.client.core.groups import Group
from net.client.core.standing import Standing
from net.client.file_views import store_incoming
from net.client.outbox import enqueue_control, enqueue_copies
from storage.profile.errors import DuplicateEntry
from storage.profile.groups import MEMBER, REQUEST
from storage.profile.messages import GroupChat

#: The settings record of pending texts, by group.
PENDING = "groups.pending"
#: Pending texts kept per group at most (the oldest are decided first when more come).
MAX_PENDING = 500


def _names_us(ctx: Context, changes: list[SignedChange]) -> bool:
    me = ctx.me()
    return any(
        (s.change.kind is ChangeKind.CREATE and me in s.change.members)
        or (s.change.kind is ChangeKind.ADD and s.change.who == me)
        for s in changes
    )


def _accepted(ctx: Context, phone: str) -> bool:
    if phone == ctx.phone:
        return True  # a change another device of ours made (a sync copy): ours here too
    contact = ctx.profile.contacts.get(phone)
    return contact is not None and contact.standing == Standing.ACCEPTED.value


def take_changes(ctx: Context, sender: str, changes: list[SignedChange], *, relayed: bool) -> list[Event]:
    """A ``group_change`` (one, straight from its author) or the changes of a ``group_state``."""
    if not changes:
        return []
    group_id = changes[0].change.group_id
    if group_views.declined(ctx, group_id):
        return []
    store = ctx.profile.groups
    stored = store.get(group_id)
    if stored is None:
        if not _names_us(ctx, changes):
            return []  # a group we were never invited to: nothing to keep
        store.upsert(group_id, MEMBER if _accepted(ctx, sender) else REQUEST)
        stored = store.get(group_id)
        assert stored is not None
    before = group_log.load(ctx, group_id)
    taken = group_log.take(ctx, before, changes, sender=sender, relayed=relayed)
    if not taken.changed:
        return []
    state = taken.group.state
    standing = group_views.own_standing(stored.standing, state)
    if standing != stored.standing:
        store.set_standing(group_id, standing)
    if state is not None and standing == MEMBER:
        group_fanout.ensure_members(ctx, state.phones)
        if stored.standing != MEMBER or _names_us(ctx, changes):
            group_fanout.share_name(ctx, state.phones)
        if stored.standing == MEMBER and before.state is not None:
            # Our timer setting may have crossed another admin's add: the new members get it from us.
            joined = sorted(set(state.phones) - set(before.state.phones) - {ctx.me()})
            group_fanout.share_timer(ctx, state, joined, ours_only=True)
    shown = GroupChanged(group_views.view(ctx, store.get(group_id) or stored), tuple(taken.notices))
    return [shown, *group_timers.decide(ctx, group_id)]  # a timer kept for an admin made by now


def take_state(ctx: Context, sender: str, payload: GroupStatePayload) -> list[Event]:
    """A ``group_state``: merge it, answer a ``want`` from a member, and decide the texts waiting on it."""
    events = take_changes(ctx, sender, list(payload.changes), relayed=True)
    stored = ctx.profile.groups.get(payload.group_id)
    if stored is None or stored.standing != MEMBER:
        return events
    group = group_log.load(ctx, payload.group_id)
    if group.answers_sync(sender, payload.want):
        for part in group.state_payloads(want=False):
            enqueue_copies(ctx, [sender], ctx.new_id("g-"), part, group=payload.group_id)
    events += decide_pending(ctx, payload.group_id, caught_up=True)
    events += group_timers.decide(ctx, payload.group_id, answered_by=sender)
    return events


def take_text(ctx: Context, sender: str, payload: Text, arrived_ms: int) -> list[Event]:
    tag = payload.group
    assert tag is not None
    if group_views.declined(ctx, tag.group_id):
        return []
    stored = ctx.profile.groups.get(tag.group_id)
    group = group_log.load(ctx, tag.group_id) if stored is not None else Group(tag.group_id, ctx.me())
    decision = group.decide_text(sender, tag, caught_up=False)
    member = stored is not None and stored.standing == MEMBER
    if decision.sync and (member or (stored is None and _accepted(ctx, sender))):
        for part in group.state_payloads(want=True)[:1] if member else []:
            enqueue_copies(ctx, [sender], ctx.new_id("g-"), part, group=tag.group_id)
    if decision.verdict is TextVerdict.ACCEPT:
        return _store_text(ctx, sender, payload, arrived_ms)
    if decision.verdict is TextVerdict.PENDING:
        _keep_pending(ctx, sender, payload, arrived_ms)
    return []


def _store_text(ctx: Context, sender: str, payload: Text, arrived_ms: int) -> list[Event]:
    assert payload.group is not None
    group_id = payload.group.group_id
    stored_group = ctx.profile.groups.get(group_id)
    if stored_group is None or action_inbox.is_gone(ctx, GroupChat(group_id), sender, payload.message_id):
        return []
    try:
        stored = ctx.profile.history.add(
            GroupChat(group_id),
            client_id=payload.message_id,
            outgoing=False,
            text=payload.text,
            timestamp=arrived_ms / 1000,
            meta={"sent": payload.sent_at_ms},
            sender=sender,
        )
    except DuplicateEntry:
        return []
    stored = store_incoming(ctx.profile, stored, payload.file)
    timers.arrived(ctx, stored, payload.exp)
    stored = action_inbox.arrived(ctx, GroupChat(group_id), sender, stored, payload.reply)
    if stored_group.standing == MEMBER and ctx.profile.contacts.get(sender) is not None:
        contact = ctx.profile.contacts.get(sender)
        if contact is not None and contact.standing != Standing.BLOCKED.value:
            enqueue_control(ctx, sender, Delivered((payload.message_id,)))
    return [MessageReceived(action_views.view_of(ctx, stored))]


def _pending(ctx: Context) -> dict[str, list[dict[str, Any]]]:
    found = ctx.profile.settings.get(PENDING)
    return found if isinstance(found, dict) else {}


def _keep_pending(ctx: Context, sender: str, payload: Text, arrived_ms: int) -> None:
    assert payload.group is not None
    tag = payload.group
    held = _pending(ctx)
    texts = held.setdefault(tag.group_id, [])
    texts.append(
        {
            "s": sender,
            "m": payload.message_id,
            "t": payload.text,
            "at": payload.sent_at_ms,
            "ts": arrived_ms,
            "gv": tag.version,
            "gd": tag.digest,
            "since": ctx.now_ms(),
            **({"f": payload.file.fields()} if payload.file is not None else {}),
            **({"x": payload.exp} if payload.exp else {}),
        }
    )
    held[tag.group_id] = texts[-MAX_PENDING:]
    ctx.profile.settings.put(PENDING, held)


def decide_pending(ctx: Context, group_id: str | None = None, *, caught_up: bool = False) -> list[Event]:
    """Decide the pending texts of ``group_id`` (of every group when None): those caught up, or waited out."""
    held = _pending(ctx)
    if not held:
        return []
    events: list[Event] = []
    now = ctx.now_ms()
    for gid in [group_id] if group_id is not None else list(held):
        kept = []
        texts = held.get(gid, [])
        if not texts:
            continue
        group = group_log.load(ctx, gid) if ctx.profile.groups.get(gid) else Group(gid, ctx.me())
        for item in texts:
            done = caught_up or pending_over(int(item["since"]), now)
            tag = GroupTag(gid, int(item["gv"]), str(item["gd"]))
            decision = group.decide_text(str(item["s"]), tag, caught_up=done)
            if decision.verdict is TextVerdict.PENDING:
                kept.append(item)
            elif decision.verdict is TextVerdict.ACCEPT:
                file = parse_file(item["f"]) if "f" in item else None
                exp = int(item.get("x", 0) or 0)
                text = Text(str(item["m"]), int(item["at"]), str(item["t"]), tag, file, exp=exp)
                events += _store_text(ctx, str(item["s"]), text, int(item["ts"]))
        if kept:
            held[gid] = kept
        else:
            held.pop(gid, None)
    ctx.profile.settings.put(PENDING, held)
    return events


#: Our group messages whose receipts changed in a batch: local id -> (group id, message id).
Touched = dict[int, tuple[str, str]]


def take_receipt(ctx: Context, sender: str, payload: Delivered | Read, at: float, touched: Touched) -> None:
    """A member's delivered or read receipt of our group message(s), kept per member.

    The messages it changed are added to ``touched``: :func:`counted` counts each once per batch
    (a message to 49 brings 49 receipts back, mostly in the same few batches).
    """
    receipts = ctx.profile.receipts
    mark = receipts.read if isinstance(payload, Read) else receipts.delivered
    for message_id in payload.message_ids:
        found = receipts.our_message(message_id)
        if found is not None and mark(found[0], sender, at):
            touched[found[0]] = (found[1], message_id)


def counted(ctx: Context, touched: Touched) -> list[Event]:
    """One status event per message a batch's receipts changed, with its counts (and its status stored)."""
    counts = ctx.profile.receipts.counts(touched)
    events: list[Event] = []
    for local_id, (group_id, message_id) in touched.items():
        count = counts.get(local_id)
        members, delivered, read = (count.members, count.delivered, count.read) if count else (0, 0, 0)
        status = MessageStatus.SENT
        if members and read >= members:
            status = MessageStatus.READ
        elif members and delivered >= members:
            status = MessageStatus.DELIVERED
        if status is not MessageStatus.SENT:
            ctx.profile.history.set_status(GroupChat(group_id), message_id, status.value)
        events.append(
            MessageStatusChanged(
                "", message_id, status, group_id=group_id, delivered_count=delivered, read_count=read
            )
        )
    return events


def typing_shown(ctx: Context, sender: str, group_id: str) -> bool:
    """A member's typing in a group we are a member of (an invitation shows none)."""
    stored = ctx.profile.groups.get(group_id)
    if stored is None or stored.standing != MEMBER:
        return False
    state = group_log.load(ctx, group_id).state
    return state is not None and state.is_member(sender)


def readmit(ctx: Context) -> list[Event]:
    """Take in the waiting changes whose author's identity is known by now (after a bundle or a session)."""
    events: list[Event] = []
    for stored in ctx.profile.groups.all():
        kept = group_log.waiting(ctx, stored.group_id)
        if kept:
            events += take_changes(ctx, "", kept, relayed=True)
    return events
