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
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from crypto_core.errors import CryptoError
from net.client import notices, privacy
from net.client.context import Context, message_view
from net.client.core.envelope import (
    MAX_IDS,
    Delivered,
    Envelope,
    MalformedEnvelope,
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
    TypingChanged,
    UndecryptableMessage,
)
from net.client.core.privacy import PrivacySettings, receipt_status, shows_typing
from net.client.outbox import enqueue_control, resend
from net.client.sessions import NoSession, SessionRecord
from net.protocol.replies import WaitingMessage
from storage.profile.contacts import PinResult
from storage.profile.errors import DuplicateEntry

_STATUS_OF = {Delivered: MessageStatus.DELIVERED, Read: MessageStatus.READ}


@dataclass
class Received:
    """What one batch did: server ids to acknowledge, events to report, senders to heal."""

    acks: list[int] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    #: sender -> client ids of the messages that could not be opened
    undecryptable: dict[str, list[str]] = field(default_factory=dict)
    sessions_started: int = 0
    stored: int = 0


class _Unopenable(Exception):
    def __init__(self, client_id: str | None) -> None:
        super().__init__("could not open")
        self.client_id = client_id


class Inbox:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        #: The person's choices, read once per batch: a read receipt counts as delivered while theirs are off.
        self._privacy = PrivacySettings()

    def receive(self, messages: list[WaitingMessage]) -> Received:
        ctx = self._ctx
        profile = ctx.profile
        result = Received()
        records: dict[str, SessionRecord] = {}
        self._privacy = privacy.load(ctx)
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
            for sender, mids in receipts.items():
                for start in range(0, len(mids), MAX_IDS):
                    enqueue_control(ctx, sender, Delivered(tuple(mids[start : start + MAX_IDS])))
            for sender, record in records.items():
                ctx.save_record(sender, record)
        result.events.extend(UndecryptableMessage(sender) for sender in result.undecryptable)
        return result

    def _one(
        self,
        message: WaitingMessage,
        sender: str,
        records: dict[str, SessionRecord],
        receipts: dict[str, list[str]],
        result: Received,
    ) -> None:
        ctx = self._ctx
        profile = ctx.profile
        client_id = None
        try:
            envelope = Envelope.from_bytes(message.body)
            client_id = envelope.client_id
            record = records.get(sender) or ctx.load_record(sender)
            opened = record.open(
                envelope, ctx.require_identity(), profile.keys, random=ctx.random, clock=ctx.clock
            )
        except (CryptoError, NoSession, MalformedEnvelope):
            raise _Unopenable(client_id) from None
        records[sender] = record
        if opened.started:
            result.sessions_started += 1
            # A notice of a changed key goes just before the message that showed it (1 ms earlier).
            self._pin(sender, opened.state.peer, result, (message.ts - 1) / 1000)
        elif profile.contacts.get(sender) is None:
            profile.contacts.add(sender, sender)
        try:
            payload = decode_payload(opened.plaintext)
        except MalformedEnvelope:
            return  # opened, so the session moved on; a payload from a newer version is skipped
        if isinstance(payload, Text):
            self._text(sender, payload, message, receipts, result)
        elif isinstance(payload, Delivered | Read):
            status = receipt_status(_STATUS_OF[type(payload)], self._privacy)
            for message_id in payload.message_ids:
                if profile.history.set_status(sender, message_id, status.value):
                    result.events.append(MessageStatusChanged(sender, message_id, status))
        elif isinstance(payload, Typing):
            if shows_typing(self._privacy):
                result.events.append(TypingChanged(sender, payload.on))
        elif isinstance(payload, SessionReset):
            if not opened.started:
                # Authenticated word that the contact holds this session: ours may be one they lost.
                record.make_current(opened.state)
            for failed in payload.failed_client_ids:
                resend(ctx, sender, failed)

    def _pin(self, sender: str, identity: Any, result: Received, at: float) -> None:
        ctx = self._ctx
        outcome, contact = ctx.profile.contacts.pin_identity(sender, identity)
        if outcome is PinResult.CHANGED:
            view, note = ctx.contact_view(contact), notices.key_changed(ctx, sender, at)
            result.events.append(ContactKeyChanged(view, ctx.previous_safety_number(contact), note))
        elif outcome is PinResult.NEW:
            result.events.append(ContactUpdated(ctx.contact_view(contact)))

    def _text(
        self,
        sender: str,
        payload: Text,
        message: WaitingMessage,
        receipts: dict[str, list[str]],
        result: Received,
    ) -> None:
        timestamp = message.ts / 1000
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
        receipts[sender].append(payload.message_id)
        result.stored += 1
        result.events.append(MessageReceived(message_view(stored)))
