"""Starting sessions from bundles the real server hands out: pinning, key changes, unknown numbers."""

from __future__ import annotations

import pytest
from engine_support import Person, pair

from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.core.events import ContactKeyChanged, ContactUpdated, Event
from net.client.handshake import start_session


def _context(person: Person, events: list[Event]) -> Context:
    ctx = person.engine._ctx  # the engine's own context: same profile, same identity
    assert ctx is not None
    return Context(ctx.profile, events.append, identity=ctx.identity)


def test_a_bundle_starts_a_session_and_pins_the_identity_once(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        events: list[Event] = []
        ctx, conn = _context(alice, events), alice.engine._link.require()
        contact = start_session(ctx, conn, bob.phone, "Bob")
        # The contact is already known (the pair know each other): its identity is pinned now.
        assert contact.identity is not None and contact.phone == bob.phone
        assert [type(e) for e in events] == [ContactUpdated]
        first = ctx.load_record(bob.phone).current
        start_session(ctx, conn, bob.phone)  # again: same identity, a new session, no event
        assert [type(e) for e in events] == [ContactUpdated]
        current = ctx.load_record(bob.phone).current
        assert first is not None and current is not None and current.session_id != first.session_id
        assert len(ctx.load_record(bob.phone).states) == 2
    finally:
        alice.close()
        bob.close()


def test_a_different_identity_in_a_bundle_is_a_key_change(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    new_bob = Person(tmp_path, "new-bob")
    try:
        events: list[Event] = []
        ctx, conn = _context(alice, events), alice.engine._link.require()
        start_session(ctx, conn, bob.phone)
        new_bob.register(server.address, bob.phone)
        start_session(ctx, conn, bob.phone)
        (change,) = [e for e in events if isinstance(e, ContactKeyChanged)]
        assert change.contact.key_changed and change.previous_safety_number != change.contact.safety_number
        # the timeline keeps a note of it, stored with the new pin
        notes = [m for m in ctx.profile.history.page(bob.phone).messages if m.kind == "key_changed"]
        assert change.notice is not None and [m.client_id for m in notes] == [change.notice.message_id]
    finally:
        for person in (alice, bob, new_bob):
            person.close()


def test_an_unknown_number_is_unknown_account(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    (alice,) = pair(tmp_path, server.address, phone, "alice")
    try:
        ctx = _context(alice, [])
        nobody = phone()
        with pytest.raises(EngineError) as caught:
            start_session(ctx, alice.engine._link.require(), nobody)
        assert caught.value.code == "unknown_account" and nobody in caught.value.message
        assert ctx.profile.contacts.get(nobody) is None
    finally:
        alice.close()
