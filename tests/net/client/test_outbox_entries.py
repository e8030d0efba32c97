"""The outbox's entries: records that round-trip and refuse damage, texts queued and queued again,
and a disappearing message's timer on every copy of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE

from net.client.context import Context
from net.client.core.actions import ReplyRef, Target
from net.client.core.envelope import Read, Text, decode_payload
from net.client.outbox_entries import Entry, enqueue_control, enqueue_copies, enqueue_text, resend
from storage.profile.directory import ProfileDirectory
from storage.profile.history import GroupChat
from storage.profile.profile import Profile

BOB = "+442079460302"
CAROL = "+442079460303"


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


def test_an_entry_keeps_when_the_message_disappears_and_refuses_a_bad_one() -> None:
    entry = Entry("m-1", b"inner", None, 1_900_000_300_000)
    assert Entry.from_bytes(entry.to_bytes()) == entry
    assert b'"x"' not in Entry("m-1", b"inner").to_bytes()  # none: the record as it was
    for bad in (b'"x":-1', b'"x":true', b'"x":"5"'):
        with pytest.raises(ValueError):
            Entry.from_bytes(b'{"v":1,"mid":"m-1","inner":"eA==",' + bad + b"}")


def test_every_copy_of_a_message_under_a_timer_carries_it_sent_again_too(ctx: Context) -> None:
    ours = ctx.profile.history.add(BOB, client_id="m-1", outgoing=True, text="soon gone", timestamp=5.0)
    ctx.profile.timers.set_message(ours.local_id, 300, 305_000)
    enqueue_text(ctx, BOB, "m-1", "soon gone", 5000, "m-1")
    assert resend(ctx, BOB, "m-1")
    plain = ctx.profile.history.add(BOB, client_id="m-2", outgoing=True, text="stays", timestamp=6.0)
    enqueue_text(ctx, BOB, "m-2", "stays", 6000, "m-2")
    entries = [Entry.from_bytes(i.payload) for i in ctx.profile.outbox.pending()]
    assert [(e.message_id, e.expires_at_ms) for e in entries] == [
        ("m-1", 305_000),
        ("m-1", 305_000),
        ("m-2", 0),
    ]
    assert [decode_payload(e.inner).exp for e in entries] == [300, 300, 0]  # type: ignore[union-attr]
    assert plain.local_id not in ctx.profile.timers.of([plain.local_id])

    ctx.profile.groups.upsert("g-boats", "member", state={"v": 1})
    group = ctx.profile.history.add(
        GroupChat("g-boats"), client_id="m-3", outgoing=True, text="to all", timestamp=7.0
    )
    ctx.profile.timers.set_message(group.local_id, 3600, 3_607_000)
    queued = enqueue_copies(
        ctx, [BOB, CAROL], "m-3", Text("m-3", 7000, "to all"), group="g-boats", message_id="m-3"
    )
    assert queued == 2
    copies = [Entry.from_bytes(i.payload) for i in ctx.profile.outbox.pending() if i.client_id == "m-3"]
    assert [(c.expires_at_ms, decode_payload(c.inner).exp) for c in copies] == [(3_607_000, 3600)] * 2  # type: ignore[union-attr]
    enqueue_control(ctx, BOB, Read(("m-9",)))
    assert Entry.from_bytes(ctx.profile.outbox.pending()[-1].payload).expires_at_ms == 0
