"""Message requests and names over real TLS: a stranger hears nothing back until accepted; names travel.

Each test runs real engines against an in-process server. What "nothing goes
back" means is asserted on the stranger's side: no receipt, no typing notice,
no profile arrives there, and the server holds nothing for them.
"""

from __future__ import annotations

import time

from engine_support import Person, pair, run_until

from net.client.core.events import (
    ContactUpdated,
    MessageStatus,
    MessageStatusChanged,
    RequestReceived,
    RequestsChanged,
    TypingChanged,
)
from net.server.limits import Limits


def _quiet_for(people: list[Person], seconds: float) -> None:
    """Let every engine run for a while (bounded), so anything that would go back has time to."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for person in people:
            person.engine.poll(0.02)


def _answers(person: Person) -> list[object]:
    """What came back to ``person``: receipts, typing notices, names."""
    receipts = [
        e
        for e in person.of(MessageStatusChanged)
        if e.status in (MessageStatus.DELIVERED, MessageStatus.READ)
    ]
    names = [e for e in person.of(ContactUpdated) if e.contact.profile_name]
    return [*receipts, *person.of(TypingChanged), *names]


def test_a_strangers_message_is_a_request_and_nothing_goes_back_until_accepted(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    stranger, bob = pair(tmp_path, server.address, phone, "stranger", "bob", known=False)
    people = [stranger, bob]
    try:
        stranger.engine.add_contact(bob.phone)
        first = stranger.engine.send_text(bob.phone, "hello, we have not met")
        run_until(lambda: bool(bob.of(RequestReceived)), people)
        (request,) = bob.engine.requests()
        assert (request.phone, request.name, request.messages, request.last_text) == (
            stranger.phone,
            "stranger",  # their name came with their first message
            1,
            "hello, we have not met",
        )
        assert bob.engine.conversations() == []  # not in the conversation list
        assert bob.texts_from(stranger.phone) == []  # reported as a request, not a message
        assert bob.of(RequestsChanged)[-1] == RequestsChanged(1, 0)
        # Bob looks at it, and even types: still nothing goes back.
        bob.engine.mark_read(stranger.phone)
        bob.engine.set_typing(stranger.phone, True)
        _quiet_for(people, 1.5)
        assert _answers(stranger) == []
        assert server.running.store.fetch(stranger.phone, 0, 10)[0] == []
        assert [s for s in stranger.statuses(first.message_id)] == ["queued", "sent"]

        view = bob.engine.accept_request(stranger.phone)
        assert view.standing == "accepted" and view.profile_name == "stranger"
        # The delivery receipt held back goes now; the read one does not (read before accepting).
        run_until(lambda: "delivered" in stranger.statuses(first.message_id), people)
        run_until(lambda: stranger.engine.contact(bob.phone).profile_name == "bob", people)
        assert "read" not in stranger.statuses(first.message_id)
        assert [c.contact for c in bob.engine.conversations()] == [stranger.phone]
        assert bob.engine.requests() == []
        # From now on it is a conversation: receipts both ways, names exchanged.
        later = stranger.engine.send_text(bob.phone, "thanks for accepting")
        run_until(lambda: bob.texts_from(stranger.phone) == ["thanks for accepting"], people)
        bob.engine.mark_read(stranger.phone)
        run_until(lambda: "read" in stranger.statuses(later.message_id), people)
        bob.engine.send_text(stranger.phone, "you are welcome")
        assert bob.engine.contact(stranger.phone).profile_name == "stranger"
    finally:
        stranger.close()
        bob.close()


def test_a_new_display_name_reaches_every_accepted_contact_and_no_request(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob, carol = pair(tmp_path, server.address, phone, "alice", "bob", "carol", known=False)
    people = [alice, bob, carol]
    try:
        alice.knows(bob.phone)
        bob.knows(alice.phone)
        alice.engine.add_contact(bob.phone)
        alice.engine.send_text(bob.phone, "hi Bob")
        run_until(lambda: bob.engine.contact(alice.phone).profile_name == "alice", people)
        carol.engine.add_contact(alice.phone)
        carol.engine.send_text(alice.phone, "a stranger to Alice")
        run_until(lambda: bool(alice.engine.requests()), people)

        assert alice.engine.set_display_name("  Alice Liddell ") == "Alice Liddell"
        assert alice.engine.display_name() == "Alice Liddell"
        run_until(lambda: bob.engine.contact(alice.phone).profile_name == "Alice Liddell", people)
        _quiet_for(people, 1.0)
        assert carol.engine.contact(alice.phone).profile_name == ""  # a request never gets the name
        assert _answers(carol) == []
    finally:
        for person in people:
            person.close()


def test_a_blocked_number_is_acknowledged_dropped_and_counted(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    stranger, bob = pair(tmp_path, server.address, phone, "stranger", "bob", known=False)
    people = [stranger, bob]
    try:
        stranger.engine.add_contact(bob.phone)
        stranger.engine.send_text(bob.phone, "first")
        run_until(lambda: bool(bob.engine.requests()), people)
        bob.engine.block(stranger.phone)
        assert bob.engine.requests() == [] and bob.engine.conversations() == []
        for n in range(3):
            stranger.engine.send_text(bob.phone, f"blocked {n}")
        run_until(lambda: bob.engine.dropped_from_blocked() == 3, people)
        assert bob.of(RequestsChanged)[-1].dropped == 3
        assert server.running.store.fetch(bob.phone, 0, 10)[0] == []  # acknowledged: gone from the server
        assert [m.text for m in bob.engine.history(stranger.phone)] == ["first"]  # the rest never stored
        assert [c.phone for c in bob.engine.blocked()] == [stranger.phone]
        _quiet_for(people, 1.0)
        assert _answers(stranger) == []

        bob.engine.unblock(stranger.phone)
        assert bob.engine.blocked() == []
        stranger.engine.send_text(bob.phone, "after unblocking")
        run_until(lambda: [r.last_text for r in bob.engine.requests()] == ["after unblocking"], people)
        assert bob.engine.requests()[0].messages == 2  # the one from before blocking, and this one
        bob.engine.delete_request(stranger.phone)
        assert bob.engine.requests() == [] and bob.engine.history(stranger.phone) == []
    finally:
        stranger.close()
        bob.close()


def test_a_flood_from_a_stranger_stays_in_requests(tmp_path, server_factory, phone) -> None:
    # At the default cap of 1,000 waiting per sender the stranger, who hears nothing back (no receipt
    # tells them Bob is taking his queue), waits out the 30 s pause of a full queue halfway through;
    # the cap is raised here so that the test times the engine's handling of the flood, not the pause.
    server = server_factory(dev_codes=True, limits=Limits(queue_cap_per_sender=5000))
    stranger, bob = pair(tmp_path, server.address, phone, "stranger", "bob", known=False)
    people = [stranger, bob]
    try:
        stranger.engine.add_contact(bob.phone)
        for n in range(2000):  # stored in the stranger's outbox; they go out as fast as the server takes them
            stranger.engine.send_text(bob.phone, f"buy now {n}")
        started = time.monotonic()
        run_until(lambda: sum(r.messages for r in bob.engine.requests()) == 2000, people, timeout=180)
        took = time.monotonic() - started
        assert bob.engine.conversations() == []
        assert bob.texts_from(stranger.phone) == []
        # One report per sender and batch (pushes that came together), never a conversation's message.
        assert 1 <= len(bob.of(RequestReceived)) <= 2000
        _quiet_for(people, 1.0)
        assert _answers(stranger) == []
        print(f"2,000 messages from a stranger stored as one request in {took:.2f} s")
    finally:
        stranger.close()
        bob.close()
