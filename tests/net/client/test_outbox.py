"""The outbox's records: payloads in clear inside the sealed profile, texts queued and queued again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE
from fake_clock import FakeClock

from net.client.context import Context
from net.client.core.actions import ReplyRef, Target
from net.client.core.envelope import Read, Text, decode_payload
from net.client.core.outbox_plan import PAUSE_SECONDS
from net.client.link import Link
from net.client.outbox import (
    Entry,
    Outbox,
    enqueue_control,
    enqueue_text,
    resend,
)
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile

BOB = "+442079460302"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    profile: Profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Ada", PASSPHRASE)
    yield Context(profile, lambda _e: None)
    profile.close()


def test_entries_round_trip_and_refuse_damage() -> None:
    entry = Entry("m-1", b"payload bytes")
    assert Entry.from_bytes(entry.to_bytes()) == entry
    assert Entry.from_bytes(Entry(None, b"x").to_bytes()).message_id is None
    for damaged in (
        b"",
        b"{}",
        b'{"v": 2, "mid": null, "inner": "eA=="}',
        b'{"v": 1, "inner": "not base64!"}',
    ):
        with pytest.raises(ValueError):
            Entry.from_bytes(damaged)
    assert "payload" not in repr(entry)


def test_texts_and_receipts_queue_in_order(ctx: Context) -> None:
    enqueue_text(ctx, BOB, "m-1", "first", 1000, "m-1")
    enqueue_control(ctx, BOB, Read(("m-0",)))
    enqueue_text(ctx, BOB, "m-2", "second", 2000, "m-2")
    pending = ctx.profile.outbox.pending()
    payloads = [decode_payload(Entry.from_bytes(item.payload).inner) for item in pending]
    assert payloads == [Text("m-1", 1000, "first"), Read(("m-0",)), Text("m-2", 2000, "second")]
    assert pending[1].client_id.startswith("c-") and pending[1].client_id != pending[0].client_id


def test_a_text_the_contact_could_not_decrypt_is_queued_again_under_a_new_client_id(ctx: Context) -> None:
    ctx.profile.history.add(
        BOB, client_id="m-1", outgoing=True, text="lost once", timestamp=5.0, status="sent"
    )
    assert resend(ctx, BOB, "m-1")
    assert resend(ctx, BOB, "m-1.ab12cd34")
    assert not resend(ctx, BOB, "c-receipt")  # a receipt is not sent again
    items = ctx.profile.outbox.pending()
    assert [Entry.from_bytes(i.payload).message_id for i in items] == ["m-1", "m-1"]
    assert all(i.client_id.startswith("m-1.") for i in items)
    assert decode_payload(Entry.from_bytes(items[0].payload).inner) == Text("m-1", 5000, "lost once")


def test_a_reply_sent_again_keeps_its_quote_and_a_deleted_text_is_not_sent_again(ctx: Context) -> None:
    reply = ctx.profile.history.add(BOB, client_id="m-1", outgoing=True, text="yes", timestamp=5.0)
    ctx.profile.actions.set_reply(reply.local_id, BOB, "m-0", "are you coming?")
    gone = ctx.profile.history.add(BOB, client_id="m-2", outgoing=True, text="oops", timestamp=6.0)
    ctx.profile.actions.delete_for_everyone(gone.local_id, "")
    assert resend(ctx, BOB, "m-1")
    assert not resend(ctx, BOB, "m-2")
    (item,) = ctx.profile.outbox.pending()
    sent = decode_payload(Entry.from_bytes(item.payload).inner)
    assert sent == Text("m-1", 5000, "yes", reply=ReplyRef(Target(BOB, "m-0"), "are you coming?"))


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
