"""The message commands (messaging.py) on an unlocked profile with no server: what they refuse and store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE

from net.client import messaging
from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.core.events import Event, MessageStatus, MessageStatusChanged
from net.client.duties import Duties
from net.client.inbox import Inbox
from net.client.link import Link
from net.client.outbox import Outbox
from storage.profile.directory import ProfileDirectory

BOB = "+442079460958"


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[Context, Duties, list[Event]]]:
    events: list[Event] = []
    profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Ada", PASSPHRASE)
    ctx = Context(profile, events.append)
    link = Link(events.append, lambda _p: None)
    duties = Duties(ctx, link, Inbox(ctx), Outbox(ctx, link))
    duties.outbox.dirty = False  # a new outbox looks once; the tests watch what the commands ask for
    try:
        yield ctx, duties, events
    finally:
        profile.close()


def test_a_text_needs_a_known_contact_and_some_words(parts: tuple[Context, Duties, list[Event]]) -> None:
    ctx, duties, events = parts
    with pytest.raises(EngineError) as caught:
        messaging.send_text(ctx, duties, BOB, "hello")
    assert caught.value.code == "unknown_contact"
    ctx.profile.contacts.add(BOB, "Bob")
    with pytest.raises(EngineError) as caught:
        messaging.send_text(ctx, duties, BOB, "   ")
    assert caught.value.code == "empty"
    assert events == [] and not duties.outbox.dirty


def test_a_text_is_stored_queued_and_shown(parts: tuple[Context, Duties, list[Event]]) -> None:
    ctx, duties, events = parts
    ctx.profile.contacts.add(BOB, "Bob")
    sent = messaging.send_text(ctx, duties, BOB, "hello")
    assert sent.text == "hello" and sent.status == "queued"
    assert events == [MessageStatusChanged(BOB, sent.message_id, MessageStatus.QUEUED)]
    assert duties.outbox.dirty
    assert [m.message_id for m in messaging.history(ctx, BOB, None, 50)] == [sent.message_id]
    assert [m.text for m in messaging.search(ctx, BOB, "hell", 50)] == ["hello"]
    assert messaging.search(ctx, BOB, "  ", 50) == []
    [conversation] = messaging.conversations(ctx)
    assert (conversation.contact, conversation.name, conversation.last_text) == (BOB, "Bob", "hello")
    with pytest.raises(EngineError) as caught:
        messaging.retry(ctx, duties, BOB, sent.message_id)  # queued, not failed
    assert caught.value.code == "not_failed"
    with pytest.raises(EngineError) as caught:
        messaging.history(ctx, BOB, "m-unknown", 50)
    assert caught.value.code == "unknown_message"


def test_marking_nothing_read_queues_nothing(parts: tuple[Context, Duties, list[Event]]) -> None:
    ctx, duties, events = parts
    messaging.mark_read(ctx, duties, BOB)
    assert events == [] and not duties.outbox.dirty
