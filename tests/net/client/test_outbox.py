"""The outbox: typing notices never queued, pauses by the engine's clock, a full queue tried again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE
from fake_clock import FakeClock

from net.client.context import Context
from net.client.core.outbox_plan import PAUSE_SECONDS
from net.client.link import Link
from net.client.outbox import (
    Outbox,
)
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile

BOB = "+442079460302"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    profile: Profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Ada", PASSPHRASE)
    yield Context(profile, lambda _e: None)
    profile.close()


def test_typing_is_never_queued_while_offline(ctx: Context) -> None:
    link = Link(lambda _e: None, lambda _p: None)
    try:
        outbox = Outbox(ctx, link)
        outbox.send_typing(BOB, True)
        assert len(ctx.profile.outbox) == 0
        assert outbox.due()  # a fresh outbox is sent once after the first login
    finally:
        link.shutdown()


def test_the_outbox_is_due_again_by_the_engines_monotonic_clock(ctx: Context) -> None:
    clock = FakeClock()
    ctx.monotonic = clock
    link = Link(lambda _e: None, lambda _p: None, monotonic=clock)
    try:
        outbox = Outbox(ctx, link)
        outbox.dirty = False
        outbox._paused[BOB] = clock() + PAUSE_SECONDS  # the server said queue_full
        assert not outbox.due()
        clock.advance(PAUSE_SECONDS)
        assert outbox.due()
    finally:
        link.shutdown()


def test_a_message_from_a_contact_whose_queue_was_full_makes_the_outbox_due_at_once(ctx: Context) -> None:
    clock = FakeClock()
    ctx.monotonic = clock
    link = Link(lambda _e: None, lambda _p: None, monotonic=clock)
    try:
        outbox = Outbox(ctx, link)
        outbox.dirty = False
        outbox._paused[BOB] = clock() + PAUSE_SECONDS  # the server said queue_full
        outbox._full.add(BOB)
        outbox.heard_from("+442079460303")  # someone else: Bob's queue is no emptier
        assert not outbox.due()
        outbox.heard_from(BOB)  # Bob is online and taking his queue (his receipts follow his acks)
        assert outbox.due()
    finally:
        link.shutdown()
