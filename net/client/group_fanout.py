"""A group's messages and changes fanned out: one history row, one outbox copy per recipient.

Everything a group command or a group text queues is stored in the transaction that stores
the change or the message, under one client id for all its copies; the outbox sends the
copies in ``send_many``\\ s and each copy leaves it by its own result
(:mod:`net.client.outbox`). Sessions with members we have none with are started by the
outbox as for 1:1 (a bundle each), and a member who is no contact of ours is kept as a
contact row of standing ``request`` (never listed as a request without a 1:1 message), so
that their identity is pinned on first use like anyone's.
"""

from __future__ import annotations

from collections.abc import Iterable

from net.client import group_log
from net.client.context import Context
from net.client.core.disappearing import TimerChange
from net.client.core.envelope import GroupChangePayload
from net.client.core.group_changes import SignedChange
from net.client.core.group_payloads import GroupTag
from net.client.core.group_state import GroupState, OwnStanding
from net.client.core.groups import Group
from net.client.core.standing import Standing
from net.client.names import own_profile
from net.client.outbox import enqueue_control, enqueue_copies
from storage.profile.messages import GroupChat


def ensure_members(ctx: Context, phones: Iterable[str]) -> None:
    """A contact row (standing ``request`` when new) for each member, so that identities can be pinned."""
    me = ctx.me()
    wanted = list(phones)
    known = ctx.profile.contacts.briefs(wanted)
    for phone in wanted:
        if phone != me and phone not in known:
            ctx.profile.contacts.add(phone, "", standing=Standing.REQUEST.value)


def recipients(ctx: Context, state: GroupState | None) -> list[str]:
    """Who a group's text goes to: the members of our state but us (nobody once we are out)."""
    if state is None or state.own is not OwnStanding.MEMBER:
        return []
    me = ctx.me()
    return [phone for phone in state.phones if phone != me]


def share_name(ctx: Context, phones: Iterable[str]) -> None:
    """Our display name and picture to each member who lacks their current version (blocked aside)."""
    profile = own_profile(ctx)
    wanted = list(phones)
    briefs = ctx.profile.contacts.briefs(wanted)
    for phone in wanted:
        contact = briefs.get(phone)
        if contact is None or contact.standing == Standing.BLOCKED.value:
            continue
        if contact.profile_sent >= profile.version:
            continue
        enqueue_control(ctx, phone, profile)
        ctx.profile.contacts.set_profile_sent(phone, profile.version)


def share_timer(ctx: Context, state: GroupState, joined: list[str], *, ours_only: bool = False) -> None:
    """The group's timer, if on, to the members just added, after the log (so they can check that
    we are an admin): the setting with its own time and setter, so the newest still wins
    everywhere and a tie goes the same way. ``ours_only``: only if we set it (another admin's add
    came to us: its author passed on what stood there, which may not have been ours yet)."""
    standing = ctx.profile.timers.chat(GroupChat(state.group_id))
    if standing.seconds <= 0 or not state.is_admin(ctx.me()) or not joined:
        return
    if ours_only and standing.set_by != ctx.me():
        return
    tag = GroupTag(state.group_id, state.version, state.digest)
    change = TimerChange(standing.seconds, standing.set_at_ms, tag, standing.set_by)
    enqueue_copies(ctx, joined, ctx.new_id("d-"), change, group=state.group_id)


def queue_change(
    ctx: Context, before: Group, signed: SignedChange, *, silent: bool = False
) -> group_log.Taken:
    """Store our own change and queue it: to the members before and after it (a removed member
    learns of the removal), and to a member it adds the whole log (so they can fold).

    A member it adds gets the group's timer too, when it is on (:func:`share_timer`).

    Call inside a transaction. ``silent`` stores it and queues nothing (declining an invitation).
    """
    taken = group_log.take(ctx, before, [signed], sender=ctx.me(), relayed=False)
    if silent:
        return taken
    after = taken.group.state
    old = set(before.state.phones if before.state else ())
    new = set(after.phones if after else ())
    me = ctx.me()
    joined = sorted(new - old - {me})
    told = [
        phone for phone in [*(before.state.phones if before.state else ()), *(after.phones if after else ())]
    ]
    told = [phone for phone in dict.fromkeys(told) if phone != me and phone not in joined]
    ensure_members(ctx, new | old)
    enqueue_copies(ctx, told, ctx.new_id("g-"), GroupChangePayload(signed), group=before.group_id)
    for payload in taken.group.state_payloads(want=False) if joined else ():
        enqueue_copies(ctx, joined, ctx.new_id("g-"), payload, group=before.group_id)
    if joined and after is not None:
        share_timer(ctx, after, joined)
    if ctx.profile.groups.get(before.group_id) is not None and after is not None:
        share_name(ctx, joined)
    return taken
