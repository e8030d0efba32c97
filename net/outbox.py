"""Sending: everything but typing notices goes through the profile's outbox, and out once.

A text is written to the history (QUEUED) and the outbox in one transaction
before anything touches the network, so a message typed offline, or while the
server is down, survives the app being closed and goes out when the link is
back. An outbox entry holds the payload in clear (inside the sealed profile),
not a ciphertext: :meth:`Outbox.flush` seals it with the contact's current
session at the last moment, stores the advanced session, and only then writes
the ``send``. The entry's client id makes a repeat after a drop harmless (the
server stores a client id once), and the entry leaves the outbox only when the
server has acknowledged it. A refusal that means "not now"
(:data:`net.link.RETRY_LATER`: ``rate_limited``, ``storage_full``,
``server_error``), to the ``send`` or to the bundle a new session needs, keeps
the entry and tries that contact again after a backoff with jitter, so the
outbox drains by itself once the server accepts again.

Outbox record, versioned JSON: ``{"v": 1, "mid": message id or null, "inner": base64 payload}``;
``mid`` names the history row of a text (null for receipts and reset notices).

Texts to a contact whose key changed wait until the person accepts the new key
(the team's *block until accepted*); receipts and reset notices carry no text
and go on. Typing notices are sealed and sent ``transient``: never stored, and
never sent when the link is down, to a contact whose key changed, or to one
the server just said is offline.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from crypto_core.encoding import b64decode, b64encode
from crypto_core.errors import CryptoError
from net import replies
from net.backoff import Backoff
from net.client import ServerConnection
from net.context import Context
from net.engine_error import EngineError
from net.envelope import Payload, Text, Typing, encode_payload
from net.errors import RequestRefused
from net.events import ErrorReported, Event, MessageStatus, MessageStatusChanged
from net.handshake import start_session
from net.link import RETRY_LATER, Link
from net.sessions import NoSession
from storage.profile_delivery import OutboxItem
from storage.profile_errors import DuplicateEntry

RECORD_VERSION = 1
BATCH = 200
#: After the server refuses for a while (its queue for that person is full), try that contact again later.
PAUSE_SECONDS = 30.0
TYPING_REPEAT = 5.0
TYPING_QUIET = 30.0
#: Refusals that mean the message can never go out as it is.
_FATAL = {"unknown_account", "bad_request", "frame_too_large"}


@dataclass(frozen=True)
class Entry:
    message_id: str | None
    inner: bytes

    def to_bytes(self) -> bytes:
        obj = {"v": RECORD_VERSION, "mid": self.message_id, "inner": b64encode(self.inner)}
        return json.dumps(obj, separators=(",", ":")).encode("ascii")

    @classmethod
    def from_bytes(cls, data: bytes) -> Entry:
        try:
            obj = json.loads(data)
            if obj.get("v") != RECORD_VERSION:
                raise ValueError("unknown outbox record version")
            mid = obj.get("mid")
            return cls(mid if isinstance(mid, str) else None, b64decode(obj.get("inner"), what="outbox"))
        except (ValueError, AttributeError, CryptoError):
            raise ValueError("an outbox entry is damaged") from None

    def __repr__(self) -> str:
        return f"Entry(message_id={self.message_id!r})"


def enqueue_text(
    ctx: Context, contact: str, message_id: str, text: str, sent_at_ms: int, client_id: str
) -> None:
    inner = encode_payload(Text(message_id, sent_at_ms, text))
    ctx.profile.outbox.enqueue(contact, client_id, Entry(message_id, inner).to_bytes())


def enqueue_control(ctx: Context, contact: str, payload: Payload) -> None:
    ctx.profile.outbox.enqueue(contact, ctx.new_id("c-"), Entry(None, encode_payload(payload)).to_bytes())


def resend(ctx: Context, contact: str, failed_client_id: str) -> bool:
    """Queue again a text the contact could not decrypt (named by the client id it was sent with)."""
    message_id = failed_client_id.split(".", 1)[0]
    message = ctx.profile.history.get(contact, message_id, outgoing=True)
    if message is None:
        return False  # a receipt or notice: the next one says the same
    sent = round(message.timestamp * 1000)
    try:
        enqueue_text(ctx, contact, message_id, message.text, sent, f"{message_id}.{ctx.random(4).hex()}")
    except DuplicateEntry:
        return False
    return True


class Outbox:
    def __init__(self, ctx: Context, link: Link) -> None:
        self._ctx = ctx
        self._link = link
        self._paused: dict[str, float] = {}
        self._typing_sent: dict[str, tuple[bool, float]] = {}
        self._typing_quiet: dict[str, float] = {}
        self._busy = Backoff(clock=time.monotonic, random=ctx.random)
        self.dirty = True

    def due(self) -> bool:
        """Something was added, or a contact the server paused may be tried again."""
        now = time.monotonic()
        return self.dirty or any(until <= now for until in self._paused.values())

    # ------------------------------------------------------------------ flushing

    def flush(self) -> list[Event]:
        """Send what waits, oldest first, in batches; returns the events to report. Needs a login."""
        conn = self._link.require()
        self.dirty = False
        events: list[Event] = []
        held = {c.phone for c in self._ctx.profile.contacts.all() if c.key_changed}
        now = time.monotonic()
        self._paused = {contact: until for contact, until in self._paused.items() if until > now}
        waiting: list[tuple[OutboxItem, Entry]] = []
        for item in self._ctx.profile.outbox.pending():
            try:
                entry = Entry.from_bytes(item.payload)
            except ValueError:
                # It can never be sent; keeping it would block every later flush.
                self._ctx.profile.outbox.remove(item.client_id)
                events.append(
                    ErrorReported(
                        "damaged_outbox_entry", "A damaged message waiting to be sent was dropped.", "send"
                    )
                )
                continue
            if self._paused.get(item.contact, 0.0) > now:
                continue
            if entry.message_id is not None and item.contact in held:
                continue
            waiting.append((item, entry))
        for start in range(0, len(waiting), BATCH):
            events += self._send_batch(conn, waiting[start : start + BATCH])
        return events

    def _send_batch(self, conn: ServerConnection, batch: list[tuple[OutboxItem, Entry]]) -> list[Event]:
        ctx = self._ctx
        events: list[Event] = []
        failed: list[tuple[OutboxItem, Entry, str, str]] = []
        busy: set[str] = set()
        for contact in sorted({item.contact for item, _ in batch}):
            if ctx.load_record(contact).current is None:
                try:
                    start_session(ctx, conn, contact)
                except EngineError as exc:
                    if exc.code in RETRY_LATER:
                        busy.add(contact)
                        self._pause_busy(contact)
                        continue
                    failed += [(i, e, exc.code, exc.message) for i, e in batch if i.contact == contact]
        skipped = {item.client_id for item, *_ in failed} | {
            i.client_id for i, _ in batch if i.contact in busy
        }
        sealed: list[tuple[OutboxItem, Entry, bytes]] = []
        with ctx.profile.transaction():
            records: dict[str, Any] = {}
            for item, entry in batch:
                if item.client_id in skipped:
                    continue
                record = records.get(item.contact) or ctx.load_record(item.contact)
                records[item.contact] = record
                try:
                    body = record.seal(item.client_id, entry.inner).to_bytes()
                except NoSession:
                    continue
                sealed.append((item, entry, body))
            for contact, record in records.items():
                ctx.save_record(contact, record)
        requests = [
            (item, entry, conn.send("send", to=item.contact, client_id=item.client_id, body=body))
            for item, entry, body in sealed
        ]
        done: list[tuple[OutboxItem, Entry]] = []
        for item, entry, request_id in requests:
            try:
                conn.wait_typed(replies.SEND, request_id)
                done.append((item, entry))
            except RequestRefused as exc:
                if exc.code in _FATAL:
                    failed.append((item, entry, exc.code, exc.message))
                elif exc.code in RETRY_LATER:
                    self._pause_busy(item.contact)
                else:
                    self._paused[item.contact] = time.monotonic() + PAUSE_SECONDS
        if done:
            self._busy.reset()
        with ctx.profile.transaction():
            for item, entry in done:
                ctx.profile.outbox.remove(item.client_id)
                if entry.message_id is not None and ctx.profile.history.set_status(
                    item.contact, entry.message_id, MessageStatus.SENT.value
                ):
                    events.append(MessageStatusChanged(item.contact, entry.message_id, MessageStatus.SENT))
            for item, entry, code, message in failed:
                ctx.profile.outbox.remove(item.client_id)
                if entry.message_id is not None:
                    if ctx.profile.history.set_status(
                        item.contact, entry.message_id, MessageStatus.FAILED.value
                    ):
                        events.append(
                            MessageStatusChanged(item.contact, entry.message_id, MessageStatus.FAILED)
                        )
                    events.append(ErrorReported(code, message, "send"))
        return events

    def _pause_busy(self, contact: str) -> None:
        """The server said "not now": try this contact again after the next backoff step."""
        now = time.monotonic()
        if self._paused.get(contact, 0.0) <= now:  # one step per refused round, not per entry
            self._busy.failed()
        self._paused[contact] = max(self._paused.get(contact, 0.0), self._busy.next_attempt)

    # ------------------------------------------------------------------ typing

    def send_typing(self, contact: str, on: bool) -> None:
        """A transient notice, or nothing at all: never queued, never retried."""
        ctx = self._ctx
        now = time.monotonic()
        if not self._link.online or self._typing_quiet.get(contact, 0.0) > now:
            return
        last = self._typing_sent.get(contact)
        if last is not None and last[0] == on and now - last[1] < TYPING_REPEAT:
            return
        found = ctx.profile.contacts.get(contact)
        if found is None or found.key_changed:
            return
        conn = self._link.require()
        with ctx.profile.transaction():
            record = ctx.load_record(contact)
            client_id = ctx.new_id("t-")
            try:
                body = record.seal(client_id, encode_payload(Typing(on))).to_bytes()
            except NoSession:
                return
            ctx.save_record(contact, record)
        self._typing_sent[contact] = (on, now)
        try:
            reply = conn.request(
                replies.SEND_TRANSIENT, to=contact, client_id=client_id, body=body, transient=True
            )
        except RequestRefused:
            return
        if not reply.delivered:
            # Offline: every notice now would only leave a gap in their ratchet.
            self._typing_quiet[contact] = now + TYPING_QUIET

    def heard_from(self, contact: str) -> None:
        """A message from the contact: they are online again, so typing notices may go."""
        self._typing_quiet.pop(contact, None)
