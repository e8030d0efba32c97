"""A group's timer as it arrives, on a real profile: taken from an admin, kept while a change we lack
may make the sender one (and a sync asked), taken when that change comes, dropped by the sender's
own answer or after the wait (a fake clock); an invitation takes it and asks nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from group_engine_support import Engine
from group_support import ALICE, BOB, CAROL, DAVE, change, created

from net.client import group_inbox, group_timers
from net.client.core.disappearing import TimerChange
from net.client.core.envelope import GroupStatePayload
from net.client.core.events import MessageReceived, TimerChanged
from net.client.core.group_changes import ChangeKind, SignedChange
from net.client.core.group_messages import PENDING_TIMEOUT_MS
from net.client.core.groups import Group
from storage.profile.messages import GroupChat

HOUR = 3600


@pytest.fixture
def bob(tmp_path: Path) -> Iterator[Engine]:
    """Bob, who knows Alice, Carol and Dave (all accepted contacts, identities pinned)."""
    engine = Engine(tmp_path, BOB, pinned=(ALICE, CAROL, DAVE))
    yield engine
    engine.close()


def _joined(engine: Engine, *changes: SignedChange) -> str:
    with engine.ctx.profile.transaction():
        group_inbox.take_changes(engine.ctx, changes[0].change.by, list(changes), relayed=True)
    return changes[0].change.group_id


def _timer(group: Group, seconds: int = HOUR, at_ms: int = 5_000) -> TimerChange:
    return TimerChange(seconds, at_ms, group.tag())


def _take(engine: Engine, sender: str, change: TimerChange) -> list[object]:
    with engine.ctx.profile.transaction():
        return list(group_timers.take(engine.ctx, sender, change, 9_000))


def _timer_of(engine: Engine, gid: str) -> int:
    return engine.ctx.profile.timers.chat(GroupChat(gid)).seconds


def _syncs_to(engine: Engine, phone: str) -> list[GroupStatePayload]:
    return [
        q.payload for q in engine.queued() if q.contact == phone and isinstance(q.payload, GroupStatePayload)
    ]


def test_an_admins_change_is_taken_with_one_notice(bob: Engine) -> None:
    made = created(members=(BOB, CAROL))
    gid = _joined(bob, made)
    events = _take(bob, ALICE, _timer(Group(gid, ALICE, [made])))
    assert [type(e) for e in events] == [MessageReceived, TimerChanged]
    assert events[1] == TimerChanged("", gid, HOUR, ALICE)
    assert _timer_of(bob, gid) == HOUR
    assert _take(bob, ALICE, _timer(Group(gid, ALICE, [made]))) == []  # a repeat shows nothing


def test_a_change_from_a_member_made_admin_by_a_change_we_lack_waits_for_it(bob: Engine) -> None:
    made = created(members=(BOB, CAROL))
    gid = _joined(bob, made)
    grant = change(made, ALICE, 2, ChangeKind.ADMIN, who=CAROL)
    carols = Group(gid, CAROL, [made, grant])
    assert _take(bob, CAROL, _timer(carols)) == []
    assert _timer_of(bob, gid) == 0
    assert CAROL in group_timers._held(bob.ctx)[gid]
    (asked,) = _syncs_to(bob, CAROL)
    assert asked.want
    # The grant comes (from Alice, late): Carol's change is taken, at its arrival.
    with bob.ctx.profile.transaction():
        events = group_inbox.take_changes(bob.ctx, ALICE, [grant], relayed=False)
    assert TimerChanged("", gid, HOUR, CAROL) in events
    assert _timer_of(bob, gid) == HOUR
    assert group_timers._held(bob.ctx) == {}
    (notice,) = [
        m for m in bob.ctx.profile.history.page(GroupChat(gid), limit=20).messages if m.kind != "text"
    ][-1:]
    assert notice.timestamp == 9.0


def test_a_kept_change_is_dropped_by_its_senders_answer_without_a_grant(bob: Engine) -> None:
    made = created(members=(BOB, CAROL, DAVE))
    gid = _joined(bob, made)
    rename = change(made, ALICE, 2, ChangeKind.RENAME, name="Boats")
    carols = Group(gid, CAROL, [made, rename])
    _take(bob, CAROL, _timer(carols))
    # Dave's state (another member's) decides nothing about Carol's change.
    with bob.ctx.profile.transaction():
        group_inbox.take_state(bob.ctx, DAVE, GroupStatePayload(gid, (made,), want=False))
    assert CAROL in group_timers._held(bob.ctx)[gid]
    with bob.ctx.profile.transaction():
        events = group_inbox.take_state(bob.ctx, CAROL, GroupStatePayload(gid, (made, rename), want=False))
    assert not [e for e in events if isinstance(e, TimerChanged)]
    assert group_timers._held(bob.ctx) == {} and _timer_of(bob, gid) == 0


def test_a_kept_change_is_dropped_after_the_wait(bob: Engine) -> None:
    made = created(members=(BOB, CAROL))
    gid = _joined(bob, made)
    ahead = Group(gid, CAROL, [made, change(made, ALICE, 2, ChangeKind.ADD, who=DAVE)])
    _take(bob, CAROL, _timer(ahead))
    bob.clock.now += PENDING_TIMEOUT_MS / 1000 - 1
    with bob.ctx.profile.transaction():
        assert group_timers.decide(bob.ctx) == []
    assert CAROL in group_timers._held(bob.ctx)[gid]  # a second short of the bound
    bob.clock.now += 2
    with bob.ctx.profile.transaction():
        assert group_timers.decide(bob.ctx) == []
    assert group_timers._held(bob.ctx) == {} and _timer_of(bob, gid) == 0


def test_only_the_newest_kept_change_of_a_sender_waits(bob: Engine) -> None:
    made = created(members=(BOB, CAROL))
    gid = _joined(bob, made)
    grant = change(made, ALICE, 2, ChangeKind.ADMIN, who=CAROL)
    carols = Group(gid, CAROL, [made, grant])
    _take(bob, CAROL, _timer(carols, HOUR, at_ms=7_000))
    _take(bob, CAROL, _timer(carols, 300, at_ms=6_000))  # older: not kept over the newer
    assert group_timers._held(bob.ctx)[gid][CAROL]["s"] == HOUR
    with bob.ctx.profile.transaction():
        group_inbox.take_changes(bob.ctx, ALICE, [grant], relayed=False)
    assert _timer_of(bob, gid) == HOUR


def test_a_change_from_a_non_admin_who_knew_what_we_know_is_dropped_at_once(bob: Engine) -> None:
    made = created(members=(BOB, CAROL))
    gid = _joined(bob, made)
    assert _take(bob, CAROL, _timer(Group(gid, CAROL, [made]))) == []
    assert group_timers._held(bob.ctx) == {} and _syncs_to(bob, CAROL) == []


def test_an_invitation_takes_an_admins_change_and_asks_nothing(tmp_path: Path) -> None:
    carol = Engine(tmp_path, CAROL)  # Alice is no contact of hers: the group is an invitation
    try:
        carol.pin(ALICE, standing="request")
        carol.pin(BOB, standing="request")
        made = created(members=(BOB, CAROL))
        gid = _joined(carol, made)
        assert carol.ctx.profile.groups.get(gid).standing == "request"  # type: ignore[union-attr]
        events = _take(carol, ALICE, _timer(Group(gid, ALICE, [made])))
        assert TimerChanged("", gid, HOUR, ALICE) in events and _timer_of(carol, gid) == HOUR
        ahead = Group(gid, BOB, [made, change(made, ALICE, 2, ChangeKind.ADMIN, who=BOB)])
        assert _take(carol, BOB, _timer(ahead, 300, at_ms=8_000)) == []
        assert _syncs_to(carol, BOB) == []  # an invitation sends nothing back
    finally:
        carol.close()
