"""Receiving without a network: decrypt, store with the session in one transaction, redeliveries once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import group_support
import pytest
from group_support import CAROL
from session_support import Side

from net.client import messaging
from net.client.context import Context
from net.client.core.envelope import (
    Delivered,
    ProfilePayload,
    Read,
    SessionReset,
    Text,
    Typing,
    decode_payload,
    encode_payload,
)
from net.client.core.events import (
    ContactKeyChanged,
    ContactUpdated,
    MessageReceived,
    MessageStatus,
    MessageStatusChanged,
    TypingChanged,
)
from net.client.inbox import Inbox
from net.client.outbox import Entry
from net.client.sessions import SessionRecord, start
from net.protocol.replies import WaitingMessage
from storage.profile.messages import GroupChat

ALICE, BOB = "+442079460301", "+442079460302"


@pytest.fixture
def sides(tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    alice, bob = Side(tmp_path, "alice"), Side(tmp_path, "bob")
    yield alice, bob
    alice.close()
    bob.close()


class Sender:
    """Alice's side, sealing messages for Bob as the outbox would."""

    def __init__(self, alice: Side, bob: Side, first_id: int = 1) -> None:
        self.record = SessionRecord([start(alice.identity, bob.bundle(), clock=time.time)])
        self.next_id = first_id

    def message(self, payload: Any, *, transient: bool = False) -> WaitingMessage:
        body = self.record.seal(f"c-{self.next_id}", encode_payload(payload)).to_bytes()
        server_id = None if transient else self.next_id
        message = WaitingMessage(server_id, ALICE, body, 1_764_000_000_000 + self.next_id)
        self.next_id += 1
        return message


def _inbox(bob: Side, *, knows_alice: bool = True) -> Inbox:
    bob.profile.account.save(bob.profile.account.get().__class__(phone=BOB, registered=True))
    if knows_alice:  # Bob added Alice: her messages are a conversation, not a request
        bob.profile.contacts.add(ALICE, "")
    return Inbox(Context(bob.profile, lambda _e: None, identity=bob.identity))


def test_a_text_is_stored_with_its_session_and_a_delivery_receipt_is_queued(sides) -> None:
    alice, bob = sides
    inbox, sender = _inbox(bob), Sender(alice, bob)
    result = inbox.receive([sender.message(Text("m-1", 1, "hello Bob"))])
    assert result.acks == [1] and result.stored == 1 and result.sessions_started == 1
    kinds = [type(e) for e in result.events]
    assert kinds == [ContactUpdated, MessageReceived]
    (stored,) = bob.profile.history.page(ALICE).messages
    assert (stored.text, stored.outgoing, stored.timestamp) == ("hello Bob", False, 1_764_000_000.001)
    assert bob.profile.processed.seen("1")
    assert bob.profile.sessions.get(ALICE) is not None
    name, receipt = bob.profile.outbox.pending()  # Bob's name goes with the first thing back to Alice
    assert decode_payload(Entry.from_bytes(name.payload).inner) == ProfilePayload("bob", 1)
    assert receipt.contact == ALICE and Entry.from_bytes(receipt.payload).message_id is None
    assert decode_payload(Entry.from_bytes(receipt.payload).inner) == Delivered(("m-1",))
    contact = bob.profile.contacts.get(ALICE)
    assert contact is not None and contact.identity == alice.identity.public


def test_a_redelivery_is_acknowledged_again_and_not_shown_twice(sides) -> None:
    alice, bob = sides
    inbox, sender = _inbox(bob), Sender(alice, bob)
    message = sender.message(Text("m-1", 1, "once"))
    inbox.receive([message])
    again = inbox.receive([message, message])
    assert again.acks == [1] and again.events == [] and again.stored == 0
    assert len(bob.profile.history.page(ALICE).messages) == 1


def test_a_batch_keeps_its_order_and_later_messages_use_the_stored_session(sides) -> None:
    alice, bob = sides
    inbox, sender = _inbox(bob), Sender(alice, bob)
    inbox.receive([sender.message(Text(f"m-{i}", i, f"text {i}")) for i in range(5)])
    inbox.receive([sender.message(Text("m-9", 9, "next batch"))])
    texts = [m.text for m in reversed(bob.profile.history.page(ALICE).messages)]
    assert texts == ["text 0", "text 1", "text 2", "text 3", "text 4", "next batch"]


def test_a_message_that_cannot_be_opened_costs_only_itself(sides) -> None:
    alice, bob = sides
    inbox, sender = _inbox(bob), Sender(alice, bob)
    good = sender.message(Text("m-1", 1, "fine"))
    broken = sender.message(Text("m-2", 2, "tampered"))
    broken = replace(broken, body=b'{"v":1,"sid":"AAAAAAAAAAAAAAAAAAAAAA==","cid":"c-2","msg":"AAAA"}')
    later = sender.message(Text("m-3", 3, "still fine"))
    result = inbox.receive([good, broken, later])
    assert result.acks == [1, 2, 3]
    assert result.undecryptable == {ALICE: ["c-2"]}
    assert [m.text for m in bob.profile.history.page(ALICE).messages] == ["still fine", "fine"]
    assert bob.profile.processed.seen("2")  # not tried again after a redelivery


def test_receipts_move_outgoing_messages_forward_and_typing_is_reported(sides) -> None:
    alice, bob = sides
    inbox, sender = _inbox(bob), Sender(alice, bob)
    inbox.receive([sender.message(Text("m-1", 1, "hi"))])
    bob.profile.history.add(
        ALICE, client_id="m-out", outgoing=True, text="reply", timestamp=1.0, status="sent"
    )
    result = inbox.receive(
        [sender.message(Delivered(("m-out", "m-unknown"))), sender.message(Typing(True), transient=True)]
    )
    assert result.acks == [2]  # the typing notice was transient: nothing to acknowledge
    assert [type(e) for e in result.events] == [MessageStatusChanged, TypingChanged]
    assert bob.profile.history.get(ALICE, "m-out", outgoing=True).status == "delivered"
    again = inbox.receive([sender.message(Delivered(("m-out",)))])
    assert again.events == []  # a repeated receipt changes nothing


def test_a_new_identity_for_a_known_number_is_a_key_change(sides, tmp_path: Path) -> None:
    alice, bob = sides
    inbox = _inbox(bob)
    inbox.receive([Sender(alice, bob).message(Text("m-1", 1, "old keys"))])
    new_alice = Side(tmp_path, "new-alice")
    try:
        result = inbox.receive([Sender(new_alice, bob, first_id=100).message(Text("m-2", 2, "new keys"))])
        (change,) = [e for e in result.events if isinstance(e, ContactKeyChanged)]
        assert change.contact.key_changed and not change.contact.verified
        contact = bob.profile.contacts.get(ALICE)
        assert contact is not None and contact.identity == new_alice.identity.public
        assert contact.previous_identity == alice.identity.public
        # the change left a notice in the timeline, just before the message that showed it
        ctx = Context(bob.profile, lambda _e: None, identity=bob.identity)
        shown = [(m.notice, m.text) for m in reversed(messaging.history(ctx, ALICE, None, 10))]
        assert shown == [("", "old keys"), ("key_changed", ""), ("", "new keys")]
        assert change.notice is not None and change.notice.notice == "key_changed"
        assert change.notice.message_id == bob.profile.history.page(ALICE).messages[1].client_id
    finally:
        new_alice.close()


def test_a_reset_notice_on_a_session_we_had_makes_it_current_and_sends_the_text_again(sides) -> None:
    alice, bob = sides
    inbox = _inbox(bob)
    kept, lost = Sender(alice, bob), Sender(alice, bob, first_id=100)
    inbox.receive([kept.message(Text("m-1", 1, "on the first session"))])
    inbox.receive([lost.message(Text("m-2", 2, "on a second session"))])
    at_bob = SessionRecord.from_bytes(bob.profile.sessions.get(ALICE), clock=time.time)
    assert at_bob.current is not None and at_bob.current.session_id == lost.record.states[0].session_id
    bob.profile.history.add(ALICE, client_id="m-out", outgoing=True, text="lost on the way", timestamp=1.0)
    queued_before = len(bob.profile.outbox)
    # Alice lost the second session (an old copy of her profile) and says so on the first one.
    result = inbox.receive([kept.message(SessionReset(("m-out.1a2b3c4d",)))])
    assert result.undecryptable == {} and result.sessions_started == 0
    at_bob = SessionRecord.from_bytes(bob.profile.sessions.get(ALICE), clock=time.time)
    assert at_bob.current is not None and at_bob.current.session_id == kept.record.states[0].session_id
    assert len(at_bob.states) == 2  # the other one is kept for what is still in flight
    entries = [Entry.from_bytes(item.payload) for item in bob.profile.outbox.pending()]
    assert len(entries) == queued_before + 1 and entries[-1].message_id == "m-out"


def test_a_replayed_start_of_a_session_that_left_the_record_is_unreadable_and_changes_nothing(sides) -> None:
    alice, bob = sides
    inbox = _inbox(bob)
    old = Sender(alice, bob)
    old.record = SessionRecord(
        [
            start(
                alice.identity,
                bob.bundle(one_time=False, kem_one_time=False),
                clock=time.time,
            )
        ]
    )
    first = old.message(Text("m-1", 1, "hello"))
    inbox.receive([first])
    for n in range(3):
        newer = Sender(alice, bob, first_id=100 * (n + 1))
        newer.record = SessionRecord(
            [
                start(
                    alice.identity,
                    bob.bundle(one_time=False, kem_one_time=False),
                    clock=time.time,
                )
            ]
        )
        inbox.receive([newer.message(Text(f"m-{n + 2}", 2, "newer"))])
    stored = bob.profile.sessions.get(ALICE)
    replay = replace(first, id=999)  # the same body again under a new server id, as a hostile server may
    result = inbox.receive([replay])
    assert result.undecryptable == {ALICE: ["c-1"]} and result.sessions_started == 0
    assert bob.profile.sessions.get(ALICE) == stored
    assert [m.text for m in bob.profile.history.page(ALICE).messages].count("hello") == 1


def test_a_batch_of_group_receipts_is_stored_per_member_and_reported_once_per_message(sides) -> None:
    alice, bob = sides
    inbox, sender = _inbox(bob), Sender(alice, bob)
    gid = group_support.created().change.group_id
    bob.profile.groups.upsert(gid, "member")
    chat = GroupChat(gid)
    ours = bob.profile.history.add(chat, client_id="m-g", outgoing=True, text="hi all", timestamp=1.0)
    bob.profile.receipts.expect(ours.local_id, [ALICE, CAROL])
    result = inbox.receive(
        [
            sender.message(Delivered(("m-g",))),
            sender.message(Delivered(("m-g",))),  # a repeat changes nothing
            sender.message(Read(("m-g", "m-nothing"))),
        ]
    )
    (event,) = [e for e in result.events if isinstance(e, MessageStatusChanged)]
    assert (event.group_id, event.message_id, event.delivered_count, event.read_count) == (gid, "m-g", 1, 1)
    assert event.status is MessageStatus.SENT  # Carol has not said yet
    (mine, carols) = bob.profile.receipts.of(ours.local_id)
    assert mine.member == ALICE and mine.delivered_at is not None and mine.read_at is not None
    assert carols.delivered_at is None
    assert inbox.receive([sender.message(Read(("m-g",)))]).events == []  # nothing new: nothing reported
