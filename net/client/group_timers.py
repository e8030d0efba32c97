"""A group's disappearing timer as it arrives: taken from an admin, kept while the sender may be one.

A group's timer change is an admin-checked payload (:mod:`net.client.core.disappearing`), not a
group change, so our copy of the group may not count its sender an admin yet: a change that made
them one can be on its way (the admin who granted it sent it to us apart from the sender's timer).
Such a timer change is kept (the settings record :data:`PENDING`, the newest per sender) and we
ask the sender for a sync, as for a pending text; it is taken once a group change makes the sender
an admin, and dropped once the sender's answer has come or
:data:`~net.client.core.group_messages.PENDING_TIMEOUT_MS` has passed with them still not one (or
at once, when the sender knew exactly the changes we know).

A member added to a group gets its timer from the admin who adds them
(:func:`net.client.group_fanout.queue_change`), with its own time, so the newest setting still
wins everywhere; it is taken here like any admin's, by an invitation too (its notice waits in
the invitation's timeline like its texts).
"""

from __future__ import annotations

from typing import Any

from net.client import group_log, group_views, timers
from net.client.context import Context
from net.client.core import disappearing
from net.client.core.disappearing import GroupTimerVerdict, TimerChange
from net.client.core.events import Event
from net.client.core.group_messages import pending_over
from net.client.core.group_payloads import GroupTag
from net.client.outbox import enqueue_copies
from storage.profile.groups import MEMBER, REQUEST
from storage.profile.messages import GroupChat

#: The settings record of the timer changes waiting on their sender's admin standing, by group.
PENDING = "groups.pending_timers"
#: Senders kept per group at most (a group has at most 100 members).
MAX_PENDING = 100


def take(ctx: Context, sender: str, change: TimerChange, arrived_ms: int) -> list[Event]:
    """A group's timer change from ``sender``: taken, kept pending, or dropped; its events."""
    tag = change.group
    assert tag is not None
    stored = ctx.profile.groups.get(tag.group_id)
    if stored is None or stored.standing not in (MEMBER, REQUEST) or group_views.declined(ctx, tag.group_id):
        return []
    group = group_log.load(ctx, tag.group_id)
    verdict = disappearing.decide_group(group.state, sender, tag, caught_up=False)
    if verdict is GroupTimerVerdict.ACCEPT:
        return timers.apply(ctx, GroupChat(tag.group_id), change, sender, arrived_ms)
    if verdict is GroupTimerVerdict.PENDING:
        _keep(ctx, sender, change, arrived_ms)
        if stored.standing == MEMBER:  # an invitation sends nothing back
            for part in group.state_payloads(want=True)[:1]:
                enqueue_copies(ctx, [sender], ctx.new_id("g-"), part, group=tag.group_id)
    return []


def decide(ctx: Context, group_id: str | None = None, *, answered_by: str = "") -> list[Event]:
    """Decide the kept timer changes of ``group_id`` (of every group when None) with the changes we
    have now: taken from a sender who is an admin by now, dropped when waited out or when the
    sender's own ``group_state`` (``answered_by``) came without making them one."""
    held = _held(ctx)
    if not held or (group_id is not None and group_id not in held):
        return []
    events: list[Event] = []
    now = ctx.now_ms()
    for gid in [group_id] if group_id is not None else list(held):
        items = held.pop(gid, {})
        stored = ctx.profile.groups.get(gid)
        if stored is None:
            continue
        group = group_log.load(ctx, gid)
        kept: dict[str, dict[str, Any]] = {}
        for sender, item in items.items():
            tag = GroupTag(gid, int(item["gv"]), str(item["gd"]))
            done = sender == answered_by or pending_over(int(item["since"]), now)
            verdict = disappearing.decide_group(group.state, sender, tag, caught_up=done)
            if verdict is GroupTimerVerdict.ACCEPT:
                change = TimerChange(int(item["s"]), int(item["at"]), tag, str(item.get("by", "")))
                events += timers.apply(ctx, GroupChat(gid), change, sender, int(item["ts"]))
            elif verdict is GroupTimerVerdict.PENDING:
                kept[sender] = item
        if kept:
            held[gid] = kept
    ctx.profile.settings.put(PENDING, held)
    return events


# --------------------------------------------------------------------------- internals


def _held(ctx: Context) -> dict[str, dict[str, dict[str, Any]]]:
    found = ctx.profile.settings.get(PENDING)
    return found if isinstance(found, dict) else {}


def _keep(ctx: Context, sender: str, change: TimerChange, arrived_ms: int) -> None:
    """Keep the change, unless one of the sender's kept for the group is as new (newest wins)."""
    tag = change.group
    assert tag is not None
    held = _held(ctx)
    items = held.setdefault(tag.group_id, {})
    before = items.get(sender)
    if before is not None and int(before["at"]) >= change.at_ms:
        return
    items.pop(sender, None)
    items[sender] = {
        "s": change.seconds,
        "at": change.at_ms,
        "ts": arrived_ms,
        "gv": tag.version,
        "gd": tag.digest,
        "since": ctx.now_ms(),
        **({"by": change.by} if change.by else {}),
    }
    held[tag.group_id] = dict(list(items.items())[-MAX_PENDING:])
    ctx.profile.settings.put(PENDING, held)
