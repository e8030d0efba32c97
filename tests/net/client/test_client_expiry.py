"""Expiry: what is due leaves the profile as a delete for us removes it, reported once, by the
engine's clock; the next due time is one look-up, and a failure waits instead of spinning."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE
from fake_clock import FakeClock

from net.client import expiry
from net.client.context import Context
from net.client.core.events import Event, MessageChanged
from net.client.expiry import Expiry
from storage.profile.account import Account
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DiskFull
from storage.profile.profile import Profile

ME = "+442079460301"
BOB = "+442079460302"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_900_000_000.0)


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def ctx(tmp_path: Path, clock: FakeClock, events: list[Event]) -> Iterator[Context]:
    profile: Profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF, clock=clock).create("Ada", PASSPHRASE)
    profile.account.save(Account(phone=ME, registered=True))
    yield Context(profile, events.append, clock)
    profile.close()


def _add(ctx: Context, client_id: str, *, outgoing: bool, timer: int, expires_at_ms: int) -> int:
    stored = ctx.profile.history.add(
        BOB, client_id=client_id, outgoing=outgoing, text=f"text of {client_id}", timestamp=ctx.clock()
    )
    ctx.profile.timers.set_message(stored.local_id, timer, expires_at_ms)
    return stored.local_id


def _removed(events: list[Event]) -> list[str]:
    return [e.message.message_id for e in events if isinstance(e, MessageChanged) and e.removed]


def test_what_is_due_goes_whole_and_is_reported_once(
    ctx: Context, clock: FakeClock, events: list[Event]
) -> None:
    now = ctx.now_ms()
    _add(ctx, "m-ours", outgoing=True, timer=300, expires_at_ms=now + 300_000)
    _add(ctx, "m-theirs", outgoing=False, timer=300, expires_at_ms=now + 600_000)
    _add(ctx, "m-unread", outgoing=False, timer=300, expires_at_ms=0)
    ctx.profile.outbox.enqueue(BOB, "m-ours", b"not sent yet")
    ctx.profile.outbox.enqueue(BOB, "m-ours.0a0b", b"sent again, not yet")
    ctx.profile.outbox.enqueue(BOB, "c-1", b"a receipt")
    watch = Expiry(ctx)
    assert watch.due_in() == pytest.approx(300.0)
    watch.service()
    assert _removed(events) == []
    clock.advance(300)
    assert watch.due_in() == 0.0
    watch.service()
    assert _removed(events) == ["m-ours"]
    assert ctx.profile.history.get(BOB, "m-ours", outgoing=True) is None
    assert [i.client_id for i in ctx.profile.outbox.pending()] == ["c-1"]
    assert ctx.profile.actions.is_gone(BOB, "", "m-ours")  # a copy sent again is not stored again
    watch.service()
    assert _removed(events) == ["m-ours"]  # once
    clock.advance(300)
    watch.service()
    assert _removed(events) == ["m-ours", "m-theirs"]
    assert ctx.profile.actions.is_gone(BOB, BOB, "m-theirs")
    assert watch.due_in() is None  # the unread one has not started counting
    assert ctx.profile.history.get(BOB, "m-unread", outgoing=False) is not None


def test_more_than_a_batch_goes_in_one_service(ctx: Context, clock: FakeClock, events: list[Event]) -> None:
    now = ctx.now_ms()
    with ctx.profile.transaction():
        for n in range(expiry.BATCH + 5):
            _add(ctx, f"m-{n}", outgoing=True, timer=300, expires_at_ms=now + 1000 + n)
    clock.advance(10)
    Expiry(ctx).service()
    assert len(_removed(events)) == expiry.BATCH + 5


def test_a_failed_removal_waits_before_it_is_tried_again(
    ctx: Context, clock: FakeClock, events: list[Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(ctx, "m-1", outgoing=True, timer=300, expires_at_ms=ctx.now_ms())
    watch = Expiry(ctx)

    def full(*_args: object) -> list[Event]:
        raise DiskFull()

    monkeypatch.setattr(expiry, "remove_due", full)
    with pytest.raises(DiskFull):
        watch.service()
    assert watch.due_in() == pytest.approx(expiry.RETRY)
    monkeypatch.undo()
    watch.service()  # not yet: the engine's loop does not spin on a full disk
    assert _removed(events) == []
    clock.advance(expiry.RETRY)
    watch.service()
    assert _removed(events) == ["m-1"]
