"""The contact commands (contacts.py) on an unlocked profile with no server: what they refuse and report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE

from net.client import contacts
from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.core.events import ContactUpdated, Event
from net.client.duties import Duties
from net.client.inbox import Inbox
from net.client.link import Link
from net.client.outbox import Outbox
from storage.profile.directory import ProfileDirectory

BOB = "+442079460958"


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[Context, Duties, Link, list[Event]]]:
    events: list[Event] = []
    profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Ada", PASSPHRASE)
    ctx = Context(profile, events.append)
    link = Link(events.append, lambda _p: None)
    duties = Duties(ctx, link, Inbox(ctx), Outbox(ctx, link))
    duties.outbox.dirty = False
    try:
        yield ctx, duties, link, events
    finally:
        profile.close()


def test_adding_a_new_contact_needs_a_login_and_a_bad_number_is_refused(parts) -> None:
    ctx, _duties, link, _events = parts
    with pytest.raises(EngineError) as caught:
        contacts.add(ctx, link, lambda call: call(), "not a number", "")
    assert caught.value.code == "bad_phone"
    with pytest.raises(EngineError) as caught:
        contacts.add(ctx, link, lambda call: call(), BOB, "Bob")
    assert caught.value.code == "offline"
    assert contacts.every(ctx) == []


def test_renaming_and_verifying_are_reported_and_verifying_lets_the_outbox_go(parts) -> None:
    ctx, duties, _link, events = parts
    with pytest.raises(EngineError) as caught:
        contacts.rename(ctx, BOB, "Bob")
    assert caught.value.code == "unknown_contact"
    ctx.profile.contacts.add(BOB, "Bob")
    contacts.rename(ctx, BOB, "  ")
    assert [e.contact.name for e in events if isinstance(e, ContactUpdated)] == [""]  # blank: no nickname
    assert not duties.outbox.dirty
    contacts.set_verified(ctx, duties, BOB, True)
    assert duties.outbox.dirty and contacts.one(ctx, BOB).verified
