"""A conversation's timer: our setting checked and noted, theirs taken only from who may set it and
only when it is the newest, and the countdowns of what we write and what we read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE
from fake_clock import FakeClock

from net.client import timers
from net.client.context import Context
from net.client.core.disappearing import TimerChange
from net.client.core.engine_error import EngineError
from net.client.core.envelope import decode_payload
from net.client.core.events import Event, MessageChanged, MessageReceived, TimerChanged
from net.client.core.standing import Standing
from net.client.outbox import Entry
from storage.profile.account import Account
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile

ME = "+442079460301"
BOB = "+442079460302"
STRANGER = "+442079460309"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_900_000_000.0)


@pytest.fixture
def ctx(tmp_path: Path, clock: FakeClock) -> Iterator[Context]:
    profile: Profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF, clock=clock).create("Ada", PASSPHRASE)
    profile.account.save(Account(phone=ME, registered=True))
    profile.contacts.add(BOB, "Bob")
    profile.contacts.add(STRANGER, "", standing=Standing.REQUEST.value)
    events: list[Event] = []
    yield Context(profile, events.append, clock)
    profile.close()


def test_our_setting_is_checked_noted_and_queued_as_the_newest(ctx: Context) -> None:
    for seconds, contact, group, code in (
        (60, BOB, "", "bad_timer"),
        (300, "", "", "bad_conversation"),
        (300, BOB, "g", "bad_conversation"),
        (300, "+14155550123", "", "unknown_contact"),
    ):
        with pytest.raises(EngineError) as refused:
            timers.set_timer(ctx, seconds, contact, group)
        assert refused.value.code == code
    ctx.profile.timers.set_chat(BOB, 0, ctx.now_ms() + 5000, BOB)  # theirs, with a clock ahead of ours
    notice = timers.set_timer(ctx, 3600, BOB, "")
    assert (notice.notice, notice.notice_by, notice.notice_detail, notice.contact) == (
        "timer_changed",
        "",
        "3600",
        BOB,
    )
    standing = ctx.profile.timers.chat(BOB)
    assert (standing.seconds, standing.set_at_ms, standing.set_by) == (3600, ctx.now_ms() + 5001, ME)
    assert timers.timer_of(ctx, BOB, "") == 3600
    (item,) = ctx.profile.outbox.pending()
    assert decode_payload(Entry.from_bytes(item.payload).inner) == TimerChange(3600, ctx.now_ms() + 5001)


def test_theirs_is_taken_once_when_newest_and_only_from_an_accepted_contact(ctx: Context) -> None:
    events = timers.take(ctx, BOB, TimerChange(300, 10), 1_000)
    assert [type(e) for e in events] == [MessageReceived, TimerChanged]
    assert events[1] == TimerChanged(BOB, "", 300, BOB)
    notice = events[0].message  # type: ignore[union-attr]
    assert (notice.notice_by, notice.notice_detail, notice.timestamp) == (BOB, "300", 1.0)
    assert timers.take(ctx, BOB, TimerChange(300, 10), 2_000) == []  # a repeat
    assert timers.take(ctx, BOB, TimerChange(0, 9), 2_000) == []  # older
    assert timers.take(ctx, STRANGER, TimerChange(300, 10), 2_000) == []  # a request sets nothing
    assert timers.take(ctx, "+442079460399", TimerChange(300, 10), 2_000) == []
    notices = [m for m in ctx.profile.history.page(BOB).messages if m.kind == "timer_changed"]
    assert len(notices) == 1 and timers.timer_of(ctx, BOB, "") == 300


def test_ours_counts_down_from_writing_and_theirs_from_reading(ctx: Context, clock: FakeClock) -> None:
    ours = ctx.profile.history.add(BOB, client_id="m-1", outgoing=True, text="mine", timestamp=clock())
    assert timers.stamp_ours(ctx, ours, 300) == ctx.now_ms() + 300_000
    assert timers.stamp_ours(ctx, ours, 0) == 0
    theirs = ctx.profile.history.add(BOB, client_id="m-2", outgoing=False, text="theirs", timestamp=clock())
    timers.arrived(ctx, theirs, 3600)
    plain = ctx.profile.history.add(BOB, client_id="m-3", outgoing=False, text="plain", timestamp=clock())
    timers.arrived(ctx, plain, 0)
    assert timers.of_message(ctx, theirs) == (3600, 0) and timers.of_message(ctx, plain) == (0, 0)
    clock.advance(60)
    started = timers.started(ctx, [theirs, plain])
    assert [type(e) for e in started] == [MessageChanged]
    view = started[0].message  # type: ignore[union-attr]
    assert (view.message_id, view.timer, view.expires_at) == ("m-2", 3600, clock() + 3600)
    assert timers.started(ctx, [theirs]) == []  # the first reading counts
