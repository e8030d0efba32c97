"""Sync payloads between two devices of one account, without a network: Bob's second device opens
what his first one seals (one identity, a session per device) and takes it as its own doing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import group_support
import pytest
from engine_support import FAST_KDF, PASSPHRASE

from crypto_core.keys import IdentityKeyPair, PreKeyBundle
from net.client import devices, prekeys, privacy, sync
from net.client.context import Context
from net.client.core.actions import Edit, React, Target
from net.client.core.attachment import FileInfo
from net.client.core.envelope import GroupChangePayload, GroupTag, Text, decode_payload, encode_payload
from net.client.core.events import Event, MessageChanged, MessageReceived, MessageStatus, TransferState
from net.client.core.privacy import NotificationContent, PrivacySettings
from net.client.core.standing import Standing
from net.client.core.sync_payloads import ContactSync, ReadSync, SettingsSync, SyncSent
from net.client.file_views import downloads, file_info
from net.client.inbox import Inbox
from net.client.outbox_entries import Entry, enqueue_control, enqueue_text
from net.client.sessions import SessionRecord, start
from net.protocol.replies import WaitingMessage
from storage.profile.account import Account
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile

ALICE, BOB = "+442079460301", "+442079460302"


class Device:
    """One of Bob's computers: its own profile and prekeys, Bob's identity."""

    def __init__(
        self, root: Path, name: str, identity: IdentityKeyPair, device: int, phone: str = BOB
    ) -> None:
        self.profile: Profile = ProfileDirectory(root / name, kdf_params=FAST_KDF).create(name, PASSPHRASE)
        self.identity = identity
        with self.profile.transaction():
            self.profile.keys.set_identity(identity)
            self.published = prekeys.for_registration(self.profile.keys, identity, time.time())
            self.profile.account.save(Account(phone=phone, registered=True))
            self.profile.devices.set_own(device)
        self.events: list[Event] = []
        self.ctx = Context(self.profile, self.events.append, identity=identity)

    def bundle(self) -> PreKeyBundle:
        published = self.published
        return PreKeyBundle(
            self.identity.public,
            published.signed_prekey,
            published.kem_prekeys[0],
            published.one_time_prekeys[0],
        )


class Copier:
    """Bob's first device sealing for his second, as the outbox would (a session per device)."""

    def __init__(self, sender_identity: IdentityKeyPair, to: Device) -> None:
        self.record = SessionRecord([start(sender_identity, to.bundle(), clock=time.time)])
        self.next_id = 1

    def message(self, payload: Any, *, sender: str = BOB) -> WaitingMessage:
        """A sealed payload as the server hands it to the second device, from our own number."""
        body = self.record.seal(f"s-{self.next_id}", encode_payload(payload)).to_bytes()
        message = WaitingMessage(self.next_id, sender, body, 1_764_000_000_000 + self.next_id)
        self.next_id += 1
        return message


@pytest.fixture
def bob(tmp_path: Path) -> Iterator[tuple[Device, Device]]:
    identity = IdentityKeyPair.generate()
    first, second = Device(tmp_path, "bob1", identity, 1), Device(tmp_path, "bob2", identity, 2)
    for device in (first, second):
        devices.learn_own(device.ctx, [1, 2])
        device.profile.contacts.add(ALICE, "Alice")
    yield first, second
    first.profile.close()
    second.profile.close()


def take(device: Device, *messages: WaitingMessage) -> list[Event]:
    received = Inbox(device.ctx).receive(list(messages))
    assert received.acks == [m.id for m in messages]
    return received.events


def test_a_text_sent_on_one_device_is_ours_on_the_other_and_never_incoming(bob) -> None:
    first, second = bob
    copier = Copier(first.identity, second)
    text = Text("m-1", 1_764_000_000_123, "hello from my desk")
    events = take(second, copier.message(SyncSent(encode_payload(text), to=ALICE)))
    shown = [e for e in events if isinstance(e, MessageReceived)]
    assert len(shown) == 1 and shown[0].message.outgoing and shown[0].message.contact == ALICE
    stored = second.profile.history.get(ALICE, "m-1", outgoing=True)
    assert stored is not None and stored.text == "hello from my desk"
    assert stored.status == MessageStatus.SENT.value
    assert second.profile.history.get(ALICE, "m-1", outgoing=False) is None
    assert second.profile.contacts.get(BOB) is None  # our own number is never a contact or request
    assert second.profile.outbox.pending() == []  # no receipt goes back to ourselves
    # The same copy again (a redelivery under a new server id) is shown once.
    again = copier.message(SyncSent(encode_payload(text), to=ALICE))
    assert not [e for e in take(second, again) if isinstance(e, MessageReceived)]


def test_reactions_and_edits_from_the_other_device_are_ours(bob) -> None:
    first, second = bob
    copier = Copier(first.identity, second)
    text = Text("m-1", int(time.time() * 1000), "helo")
    take(second, copier.message(SyncSent(encode_payload(text), to=ALICE)))
    edit = Edit("m-1", "hello", int(time.time() * 1000) + 5)
    react = React(Target(BOB, "m-1"), "👍", int(time.time() * 1000) + 6)
    events = take(
        second,
        copier.message(SyncSent(encode_payload(edit), to=ALICE)),
        copier.message(SyncSent(encode_payload(react), to=ALICE)),
    )
    changed = [e for e in events if isinstance(e, MessageChanged)]
    assert len(changed) == 2 and changed[-1].message.text == "hello"
    local = second.profile.history.get(ALICE, "m-1", outgoing=True)
    assert local is not None
    reactions = second.profile.actions.reactions([local.local_id])[local.local_id]
    assert [(r.reactor, r.emoji) for r in reactions] == [("", "👍")]


def test_a_read_position_marks_the_conversation_read_up_to_it(bob) -> None:
    first, second = bob
    for n in (1, 2, 3):
        second.profile.history.add(
            ALICE, client_id=f"a-{n}", outgoing=False, text=f"{n}", timestamp=100.0 + n
        )
    take(second, Copier(first.identity, second).message(ReadSync(ALICE, "a-2")))
    statuses = [second.profile.history.get(ALICE, f"a-{n}", outgoing=False).status for n in (1, 2, 3)]
    assert statuses == ["read", "read", "received"]


def test_contacts_blocks_and_verified_marks_follow_but_a_mark_for_another_key_does_not(bob) -> None:
    first, second = bob
    copier = Copier(first.identity, second)
    carol, dave = "+442079460303", "+442079460304"
    alice_key, other_key, dave_key = (IdentityKeyPair.generate().public for _ in range(3))
    second.profile.contacts.pin_identity(ALICE, alice_key)
    take(
        second,
        copier.message(ContactSync(carol, "Carol", Standing.BLOCKED, False)),
        copier.message(ContactSync(ALICE, "Al", Standing.ACCEPTED, True, other_key)),  # another key
        copier.message(ContactSync(dave, "Dave", Standing.ACCEPTED, True, dave_key)),  # none pinned here
    )
    found = second.profile.contacts.get(carol)
    assert found is not None and found.name == "Carol" and found.standing == Standing.BLOCKED.value
    alice = second.profile.contacts.get(ALICE)
    assert alice is not None and alice.name == "Al" and not alice.verified
    assert alice.identity == alice_key  # a sync never replaces a pinned key
    dave_here = second.profile.contacts.get(dave)
    assert dave_here is not None and dave_here.verified and dave_here.identity == dave_key
    take(second, copier.message(ContactSync(ALICE, "Al", Standing.ACCEPTED, True, alice_key)))
    alice = second.profile.contacts.get(ALICE)
    assert alice is not None and alice.verified


def test_settings_follow(bob) -> None:
    first, second = bob
    chosen = PrivacySettings(
        read_receipts=False, typing_notices=False, notifications=NotificationContent.NOTHING
    )
    take(second, Copier(first.identity, second).message(SettingsSync(chosen)))
    assert privacy.load(second.ctx) == chosen


def test_a_message_from_our_number_under_another_identity_is_dropped(bob) -> None:
    _, second = bob
    stranger = Copier(IdentityKeyPair.generate(), second)
    text = Text("m-9", 1_764_000_000_123, "not me")
    events = take(second, stranger.message(SyncSent(encode_payload(text), to=ALICE)))
    assert events == [] and second.profile.history.get(ALICE, "m-9", outgoing=True) is None


def test_what_we_send_gets_a_sync_copy_under_its_client_id_and_one_device_queues_nothing_more(
    bob, tmp_path
) -> None:
    first, _ = bob
    enqueue_text(first.ctx, ALICE, "m-1", "hi", 1_764_000_000_000, "m-1")
    enqueue_control(first.ctx, ALICE, React(Target(ALICE, "a-1"), "👍", 1))
    sync.queue_read(first.ctx, ALICE, [])  # nothing read: nothing to tell
    pending = first.profile.outbox.pending()
    assert sorted((i.contact, i.client_id.split("-")[0]) for i in pending) == [
        (ALICE, "c"),
        (ALICE, "m"),
        (BOB, "c"),
        (BOB, "m"),
    ]
    copies = [decode_payload(Entry.from_bytes(i.payload).inner) for i in pending if i.contact == BOB]
    assert all(isinstance(c, SyncSent) and c.to == ALICE for c in copies)
    only = Device(tmp_path, "alone", IdentityKeyPair.generate(), 1)
    try:
        only.profile.contacts.add(ALICE, "")
        enqueue_text(only.ctx, ALICE, "m-1", "hi", 1_764_000_000_000, "m-1")
        assert [i.contact for i in only.profile.outbox.pending()] == [ALICE]
        assert not sync.queue_contact(only.ctx, only.ctx.contact(ALICE))
    finally:
        only.profile.close()


def test_a_file_sent_from_the_other_device_is_ours_here_and_downloaded_not_uploaded(bob) -> None:
    first, second = bob
    info = FileInfo("b" * 43, b"k" * 32, b"s" * 32, 1234, "plan.pdf", "application/pdf")
    text = Text("m-1", 1_764_000_000_123, "the plan", file=info)
    take(second, Copier(first.identity, second).message(SyncSent(encode_payload(text), to=ALICE)))
    stored = second.profile.history.get(ALICE, "m-1", outgoing=True)
    assert stored is not None and stored.attachment is not None
    assert stored.attachment.state == TransferState.WAITING.value
    assert downloads(stored.attachment, stored.outgoing)
    assert file_info(stored.attachment) == info  # announced again as it was, if it is ever resent


def test_a_group_made_on_one_device_is_ours_on_the_other_with_its_texts(tmp_path: Path) -> None:
    me = group_support.BOB
    identity = group_support.IDENTITIES[me]
    first = Device(tmp_path, "g1", identity, 1, phone=me)
    second = Device(tmp_path, "g2", identity, 2, phone=me)
    try:
        for device in (first, second):
            devices.learn_own(device.ctx, [1, 2])
        made = group_support.created(members=(group_support.ALICE, group_support.CAROL), by=me)
        group_id = made.change.group_id
        copier = Copier(identity, second)
        take(
            second,
            copier.message(SyncSent(encode_payload(GroupChangePayload(made)), group=group_id), sender=me),
        )
        stored = second.profile.groups.get(group_id)
        assert stored is not None and stored.standing == "member"
        state = group_support.group(me, made).state
        assert state is not None
        tag = GroupTag(group_id, state.version, state.digest)
        text = Text("m-1", 1_764_000_000_123, "hello all", tag)
        events = take(second, copier.message(SyncSent(encode_payload(text), group=group_id), sender=me))
        shown = [e for e in events if isinstance(e, MessageReceived)]
        assert len(shown) == 1 and shown[0].message.outgoing and shown[0].message.group_id == group_id
        assert second.profile.contacts.get(me) is None
    finally:
        first.profile.close()
        second.profile.close()
