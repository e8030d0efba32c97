"""Receiving: decrypt, then store message and session in one transaction, then acknowledge.

:meth:`Inbox.receive` takes a batch of server messages, already checked into
:class:`~net.protocol.replies.WaitingMessage` objects (a page of ``fetch`` or the pushes
that arrived together), and, in one profile transaction:

1. skips a server id already processed (a redelivery after a crash between
   commit and acknowledgement: stored once, acknowledged again);
2. opens the envelope with the contact's session, or starts a session from the
   initial message in it, pinning the sender's identity (a different identity
   than the pinned one is a key change: reported, contact marked unverified);
3. stores the text, applies a receipt or notes a typing notice, records the
   server id as processed, and queues one delivery receipt per contact;
4. stores each session touched.

Each message runs in its own savepoint, so one that cannot be opened costs only
itself. Events are emitted only after the commit, and the caller acknowledges
the batch's server ids only after that, so nothing is shown or deleted on the
server that is not on disk. A message that cannot be opened is reported
(:class:`~net.client.core.events.UndecryptableMessage`) and its sender listed for healing.
A reset notice that came on a session we already had makes that session
current (the contact has just shown they hold it) before the texts it names
are queued again.

Linked devices: the message's ``from_device`` picks the session, one per (phone, device). A
contact's device we did not know, heard from under their pinned identity, is added to their list
(:mod:`net.client.devices`): not a key change. A message from our own number comes from another
device of ours: it must be under our own identity, and it is a sync payload that
:mod:`net.client.sync` applies as if this device had done it; nothing of it is shown as incoming,
and no receipt goes back.

Message requests (:mod:`net.client.core.standing`): a message from a blocked
number is acknowledged and dropped unopened, only counted; a stranger's first
message makes a request, whose texts are stored but reported as
:class:`~net.client.core.events.RequestReceived` (once per sender and batch), never
as a conversation's message, and nothing goes back to them: no delivery receipt,
and their typing notices are not shown. A delivery receipt to an accepted contact
carries our display name first when they do not have its current version. A
profile payload keeps the name the contact sent (a newer version only); a bad
one is ignored and noted in the log, without its content.
"""

from __future__ import annotations

import hmac
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from crypto_core.errors import CryptoError
from net.client import (
    action_inbox,
    action_views,
    devices,
    group_inbox,
    group_timers,
    notices,
    outbox_wire,
    privacy,
    sync,
    timers,
)
from net.client.context import Context
from net.client.core.actions import Delete, Edit, React
from net.client.core.disappearing import TimerChange
from net.client.core.envelope import (
    MAX_IDS,
    BadProfile,
    Delivered,
    Envelope,
    GroupChangePayload,
    GroupStatePayload,
    MalformedEnvelope,
    Payload,
    ProfilePayload,
    Read,
    SessionReset,
    Text,
    Typing,
    decode_payload,
)
from net.client.core.events import (
    ContactKeyChanged,
    ContactUpdated,
    Event,
    MessageReceived,
    MessageStatus,
    MessageStatusChanged,
    RequestReceived,
    TypingChanged,
    UndecryptableMessage,
)
from net.client.core.privacy import PrivacySettings, receipt_status, shows_typing
from net.client.core.standing import Standing, keeps_messages, may_answer, of_stranger
from net.client.file_views import store_incoming
from net.client.names import request_view, requests_changed, share_if_due, standing_of
from net.client.outbox import enqueue_control, resend
from net.client.pictures import received_picture
from net.client.sessions import NoSession, Opened, SessionRecord
from net.protocol.replies import WaitingMessage
from storage.profile.contacts import PinResult
from storage.profile.errors import DuplicateEntry

#: A (phone, device) a session is kept with.
Address = tuple[str, int]
_STATUS_OF = {Delivered: MessageStatus.DELIVERED, Read: MessageStatus.READ}
_log = logging.getLogger(__name__)


@dataclass
class Received:
    """What one batch did: server ids to acknowledge, events to report, senders to heal."""

    acks: list[int] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    #: sender -> client ids of the messages that could not be opened
    undecryptable: dict[str, list[str]] = field(default_factory=dict)
    sessions_started: int = 0
    stored: int = 0
    #: senders whose request got a message in this batch (reported once each, after the commit)
    requested: set[str] = field(default_factory=set)
    #: messages from blocked numbers acknowledged and dropped in this batch
    dropped: int = 0
    #: our group messages whose receipts this batch changed (counted once each, at its end)
    receipts: group_inbox.Touched = field(default_factory=dict)


class _Unopenable(Exception):
    def __init__(self, client_id: str | None) -> None:
        super().__init__("could not open")
        self.client_id = client_id


class Inbox:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        #: The person's choices, read once per batch: a read receipt counts as delivered while theirs are off.
        self._privacy = PrivacySettings()
        self._me: str | None = None

    def receive(self, messages: list[WaitingMessage]) -> Received:
        ctx = self._ctx
        profile = ctx.profile
        result = Received()
        records: dict[Address, SessionRecord] = {}
        self._privacy = privacy.load(ctx)
        self._me = ctx.phone  # read once per batch: our own number's messages are our other devices'
        receipts: dict[str, list[str]] = defaultdict(list)
        seen: set[int] = set()
        with profile.transaction():
            for message in messages:
                server_id, sender = message.id, message.sender
                transient = server_id is None
                if server_id is not None:
                    if server_id in seen:
                        continue
                    seen.add(server_id)
                    result.acks.append(server_id)
                    if profile.processed.seen(str(server_id)):
                        continue
                if not keeps_messages(self._standing(sender)):
                    result.dropped += 0 if transient else 1  # acknowledged, never opened or stored
                    continue
                try:
                    with profile.transaction():
                        self._one(message, sender, records, receipts, result)
                        if not transient:
                            profile.processed.remember(str(server_id))
                except _Unopenable as exc:
                    # Opening is all or nothing, so the session in memory is as it was before this message.
                    if not transient:
                        profile.processed.remember(str(server_id))
                        failed = result.undecryptable.setdefault(sender, [])
                        if exc.client_id is not None:
                            failed.append(exc.client_id)
            self._answer(receipts, records, result)
        result.events.extend(UndecryptableMessage(sender) for sender in result.undecryptable)
        return result

    def _answer(
        self, receipts: dict[str, list[str]], records: dict[Address, SessionRecord], result: Received
    ) -> None:
        """The end of a batch, in its transaction: receipts (only to accepted contacts), sessions, counts."""
        ctx = self._ctx
        profile = ctx.profile
        for sender, mids in receipts.items():
            contact = profile.contacts.get(sender)
            if contact is None or not may_answer(standing_of(contact)):
                continue  # a request: nothing goes back until it is accepted
            share_if_due(ctx, contact)
            for start in range(0, len(mids), MAX_IDS):
                enqueue_control(ctx, sender, Delivered(tuple(mids[start : start + MAX_IDS])))
        for (sender, device), record in records.items():
            ctx.save_record(sender, record, device)
        if result.receipts:
            result.events += group_inbox.counted(ctx, result.receipts)
        if result.dropped:
            profile.contacts.count_dropped(result.dropped)
        for sender in sorted(result.requested):
            found = profile.contacts.get(sender)
            view = None if found is None else request_view(ctx, found)
            if view is not None:
                result.events.append(RequestReceived(view))
        if result.requested or result.dropped:
            result.events.append(requests_changed(ctx))

    def _one(
        self,
        message: WaitingMessage,
        sender: str,
        records: dict[Address, SessionRecord],
        receipts: dict[str, list[str]],
        result: Received,
    ) -> None:
        ctx = self._ctx
        profile = ctx.profile
        client_id = None
        # The sender's device picks the session (Sesame): one per (phone, device).
        address = (sender, outbox_wire.from_device(message))
        try:
            envelope = Envelope.from_bytes(message.body)
            client_id = envelope.client_id
            record = records.get(address) or ctx.load_record(*address)
            opened = record.open(
                envelope, ctx.require_identity(), profile.keys, random=ctx.random, clock=ctx.clock
            )
        except (CryptoError, NoSession, MalformedEnvelope):
            raise _Unopenable(client_id) from None
        records[address] = record
        if sender == self._me:
            self._own(address, opened, message, result)
            return
        if opened.started:
            result.sessions_started += 1
            # A notice of a changed key goes just before the message that showed it (1 ms earlier).
            if self._pin(sender, opened.state.peer, result, (message.ts - 1) / 1000) is not PinResult.CHANGED:
                devices.heard_from(ctx, *address)  # a new device under the same identity: no key change
        elif self._standing(sender) is None:
            profile.contacts.add(sender, "", standing=of_stranger().value)
        try:
            payload = decode_payload(opened.plaintext)
        except BadProfile:
            _log.warning("a contact's profile payload broke the rules and was ignored")
            return
        except MalformedEnvelope:
            return  # opened, so the session moved on; a payload from a newer version is skipped
        self._apply(payload, sender, opened, record, message, receipts, result)

    def _own(self, address: Address, opened: Opened, message: WaitingMessage, result: Received) -> None:
        """From another device of ours: a sync payload, taken as ours (never shown as incoming)."""
        ctx = self._ctx
        ours = ctx.require_identity().public.encoded()
        if not hmac.compare_digest(opened.state.peer.encoded(), ours):
            _log.warning("a message from our own number under another identity was dropped")
            return
        if opened.started:
            result.sessions_started += 1
            devices.heard_from(ctx, *address)
        try:
            payload = decode_payload(opened.plaintext)
        except MalformedEnvelope:
            return
        result.events += sync.apply(ctx, payload, message.ts)

    def _apply(
        self,
        payload: Payload,
        sender: str,
        opened: Opened,
        record: SessionRecord,
        message: WaitingMessage,
        receipts: dict[str, list[str]],
        result: Received,
    ) -> None:
        ctx = self._ctx
        profile = ctx.profile
        standing = self._standing(sender)
        if self._group(payload, sender, message, result):
            return
        if isinstance(payload, Text):
            self._text(sender, payload, message, receipts, result, request=standing is Standing.REQUEST)
        elif isinstance(payload, ProfilePayload):
            picture, refused = received_picture(payload)
            if refused:  # the name is still taken, with no picture
                _log.warning("a contact's profile picture was refused: %s", refused)
            taken = profile.contacts.take_profile(sender, payload.name, payload.version, picture)
            if taken is not None and standing is Standing.REQUEST:
                result.requested.add(sender)
            elif taken is not None:
                result.events.append(ContactUpdated(ctx.contact_view(taken)))
        elif isinstance(payload, Delivered | Read):
            self._receipt(payload, sender, message, result)
        elif isinstance(payload, Typing):
            if shows_typing(self._privacy) and may_answer(standing):  # a stranger typing is not shown
                result.events.append(TypingChanged(sender, payload.on))
        elif isinstance(payload, SessionReset):
            if not opened.started:
                # Authenticated word that the contact holds this session: ours may be one they lost.
                record.make_current(opened.state)
            for failed in payload.failed_client_ids:
                resend(ctx, sender, failed)

    def _receipt(
        self, payload: Delivered | Read, sender: str, message: WaitingMessage, result: Received
    ) -> None:
        profile = self._ctx.profile
        status = receipt_status(_STATUS_OF[type(payload)], self._privacy)
        unmatched = []
        at = message.ts / 1000
        for message_id in payload.message_ids:
            if profile.history.set_status(sender, message_id, status.value):
                result.events.append(MessageStatusChanged(sender, message_id, status))
            ours = profile.history.get(sender, message_id, outgoing=True)
            if ours is None:
                unmatched.append(message_id)
            elif status is MessageStatus.READ:  # when, for the message's details
                profile.receipts.read(ours.local_id, sender, at)
            else:
                profile.receipts.delivered(ours.local_id, sender, at)
        if unmatched:  # a receipt of our group message, from one of its members
            kind = Read if status is MessageStatus.READ else Delivered
            group_inbox.take_receipt(self._ctx, sender, kind(tuple(unmatched)), at, result.receipts)

    def _group(self, payload: Payload, sender: str, message: WaitingMessage, result: Received) -> bool:
        """A group's payload (net.client.group_inbox takes it); False for any other."""
        ctx = self._ctx
        if isinstance(payload, GroupChangePayload):
            result.events += group_inbox.take_changes(ctx, sender, [payload.signed], relayed=False)
        elif isinstance(payload, GroupStatePayload):
            result.events += group_inbox.take_state(ctx, sender, payload)
        elif isinstance(payload, Text) and payload.group is not None:
            found = group_inbox.take_text(ctx, sender, payload, message.ts)
            result.stored += len(found)
            result.events += found
        elif isinstance(payload, React | Edit | Delete):
            result.events += action_inbox.take(ctx, sender, payload, message.ts)
        elif isinstance(payload, TimerChange) and payload.group is not None:
            result.events += group_timers.take(ctx, sender, payload, message.ts)
        elif isinstance(payload, TimerChange):
            result.events += timers.take(ctx, sender, payload, message.ts)
        elif isinstance(payload, Typing) and payload.group_id is not None:
            if shows_typing(self._privacy) and group_inbox.typing_shown(ctx, sender, payload.group_id):
                result.events.append(TypingChanged(sender, payload.on, payload.group_id))
        else:
            return False
        return True

    def _standing(self, sender: str) -> Standing | None:
        """The sender's standing, read without decoding their identity key (asked for every message)."""
        brief = self._ctx.profile.contacts.briefs([sender]).get(sender)
        return None if brief is None else Standing(brief.standing)

    def _pin(self, sender: str, identity: Any, result: Received, at: float) -> PinResult:
        ctx = self._ctx
        outcome, contact = ctx.profile.contacts.pin_identity(sender, identity, standing=of_stranger().value)
        if outcome is PinResult.CHANGED:
            view, note = ctx.contact_view(contact), notices.key_changed(ctx, sender, at)
            result.events.append(ContactKeyChanged(view, ctx.previous_safety_number(contact), note))
        elif outcome is PinResult.NEW:
            result.events.append(ContactUpdated(ctx.contact_view(contact)))
        return outcome

    def _text(
        self,
        sender: str,
        payload: Text,
        message: WaitingMessage,
        receipts: dict[str, list[str]],
        result: Received,
        *,
        request: bool,
    ) -> None:
        timestamp = message.ts / 1000
        if action_inbox.is_gone(self._ctx, sender, sender, payload.message_id):
            return  # we deleted it for us; a copy sent again stays deleted
        try:
            stored = self._ctx.profile.history.add(
                sender,
                client_id=payload.message_id,
                outgoing=False,
                text=payload.text,
                timestamp=timestamp,
                meta={"sent": payload.sent_at_ms},
            )
        except DuplicateEntry:
            return  # sent again after a session reset, but it had arrived: shown once
        stored = store_incoming(self._ctx.profile, stored, payload.file)
        timers.arrived(self._ctx, stored, payload.exp)
        stored = action_inbox.arrived(self._ctx, sender, sender, stored, payload.reply)
        receipts[sender].append(payload.message_id)
        result.stored += 1
        if request:
            result.requested.add(sender)
        else:
            result.events.append(MessageReceived(action_views.view_of(self._ctx, stored)))
