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
(:data:`net.client.core.connection_state.RETRY_LATER`: ``rate_limited``, ``storage_full``,
``server_error``), to the ``send`` or to the bundle a new session needs, keeps
the entry and tries that contact again after a backoff with jitter, so the
outbox drains by itself once the server accepts again. ``queue_full`` (the
contact has as much waiting as the server keeps) pauses that contact for
:data:`~net.client.core.outbox_plan.PAUSE_SECONDS`, or until a message from them
shows they are taking their queue; then one entry is tried before the rest.

Outbox record, versioned JSON: ``{"v": 1, "mid": message id or null, "inner": base64 payload}``,
and ``"g"`` (the group's id) for a copy of a group's text or change, ``"x"`` (ms) when our copy of
a disappearing message disappears; ``mid`` names the history row of a text (null for receipts and
reset notices). A text under a timer carries it (``exp``), and its ``send`` asks the server to keep
the queued copy no longer than ours lives (``expires_in``, the seconds left, at least 1).

A group's message is one history row and one outbox copy per recipient, all under the same
client id; the copies of one client id that wait together go in one ``send_many`` (at most
:data:`~net.protocol.schema.MAX_COPIES` each, pipelined), and each copy leaves the outbox
by its own result: ``stored`` or ``duplicate`` (the server had it from before a crash) is
done, ``unknown_account`` fails that copy, ``queue_full`` pauses that recipient. A copy for
a member whose key changed is held like a 1:1 text, and only that copy.

Texts to a contact whose key changed wait until the person accepts the new key
(the team's *block until accepted*); receipts and reset notices carry no text
and go on. Typing notices are sealed and sent ``transient``: never stored, and
never sent when the link is down, to a contact whose key changed, or to one
the server just said is offline.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from crypto_core.encoding import b64decode, b64encode
from crypto_core.errors import CryptoError
from net.client import action_views, group_copies
from net.client.context import Context
from net.client.core import outbox_plan as plan
from net.client.core.actions import ReplyRef
from net.client.core.attachment import FileInfo
from net.client.core.backoff import Backoff
from net.client.core.disappearing import queued_for
from net.client.core.engine_error import EngineError
from net.client.core.envelope import Payload, Text, Typing, encode_payload
from net.client.core.events import ErrorReported, Event, MessageStatus, MessageStatusChanged
from net.client.core.standing import Standing, may_answer
from net.client.core.typing_plan import TypingNotices
from net.client.handshake import start_session
from net.client.link import Link
from net.client.sessions import NoSession, SessionRecord
from net.client.transport import ServerConnection
from net.protocol import replies
from net.protocol.copy_results import CopyResult, CopyStatus
from net.protocol.errors import RequestRefused
from net.protocol.schema import MAX_COPIES
from storage.profile.delivery import OutboxItem
from storage.profile.errors import DuplicateEntry
from storage.profile.history import Chat, GroupChat

RECORD_VERSION = 1


@dataclass(frozen=True)
class Entry:
    message_id: str | None
    inner: bytes
    #: The group of a group's copy; None for 1:1.
    group: str | None = None
    #: When our copy of a disappearing message disappears (ms; 0 for none): the server keeps the
    #: queued copy no longer (``expires_in``).
    expires_at_ms: int = 0

    def to_bytes(self) -> bytes:
        obj: dict[str, Any] = {"v": RECORD_VERSION, "mid": self.message_id, "inner": b64encode(self.inner)}
        if self.group is not None:
            obj["g"] = self.group
        if self.expires_at_ms:
            obj["x"] = self.expires_at_ms
        return json.dumps(obj, separators=(",", ":")).encode("ascii")

    @classmethod
    def from_bytes(cls, data: bytes) -> Entry:
        try:
            obj = json.loads(data)
            if obj.get("v") != RECORD_VERSION:
                raise ValueError("unknown outbox record version")
            mid, group, expires = obj.get("mid"), obj.get("g"), obj.get("x", 0)
            if not isinstance(expires, int) or isinstance(expires, bool) or expires < 0:
                raise ValueError("bad expiry")
            return cls(
                mid if isinstance(mid, str) else None,
                b64decode(obj.get("inner"), what="outbox"),
                group if isinstance(group, str) else None,
                expires,
            )
        except (ValueError, AttributeError, CryptoError):
            raise ValueError("an outbox entry is damaged") from None

    def __repr__(self) -> str:
        return f"Entry(message_id={self.message_id!r})"


#: An outbox entry as read: the stored item and its decoded record.
Pending = tuple[OutboxItem, Entry]


def enqueue_text(
    ctx: Context,
    contact: str,
    message_id: str,
    text: str,
    sent_at_ms: int,
    client_id: str,
    file: FileInfo | None = None,
    *,
    reply: ReplyRef | None = None,
) -> None:
    timer, expires = under_timer(ctx, contact, message_id)
    inner = encode_payload(Text(message_id, sent_at_ms, text, file=file, reply=reply, exp=timer))
    ctx.profile.outbox.enqueue(contact, client_id, Entry(message_id, inner, expires_at_ms=expires).to_bytes())


def under_timer(ctx: Context, chat: Chat, message_id: str) -> tuple[int, int]:
    """The disappearing timer our stored message went under, and when it disappears here (ms):
    every copy of it carries the one (``exp``) and goes to the server with the other; (0, 0) for none."""
    message = ctx.profile.history.get(chat, message_id, outgoing=True)
    found = None if message is None else ctx.profile.timers.of([message.local_id]).get(message.local_id)
    return (0, 0) if found is None else (found.timer, found.expires_at_ms)


def enqueue_control(ctx: Context, contact: str, payload: Payload) -> None:
    ctx.profile.outbox.enqueue(contact, ctx.new_id("c-"), Entry(None, encode_payload(payload)).to_bytes())


def enqueue_copies(
    ctx: Context,
    recipients: Iterable[str],
    client_id: str,
    payload: Payload,
    *,
    group: str,
    message_id: str | None = None,
) -> int:
    """One copy of a group's payload per recipient, all under ``client_id``; how many were queued."""
    expires = 0
    if isinstance(payload, Text) and message_id is not None:
        timer, expires = under_timer(ctx, GroupChat(group), message_id)
        payload = replace(payload, exp=timer)
    record = Entry(message_id, encode_payload(payload), group, expires).to_bytes()
    queued = 0
    with ctx.profile.transaction():
        for phone in dict.fromkeys(recipients):
            try:
                ctx.profile.outbox.enqueue(phone, client_id, record)
            except DuplicateEntry:
                continue
            queued += 1
    return queued


def resend(ctx: Context, contact: str, failed_client_id: str) -> bool:
    """Queue again a text the contact could not decrypt (named by the client id it was sent with)."""
    message_id = failed_client_id.split(".", 1)[0]
    message = ctx.profile.history.get(contact, message_id, outgoing=True)
    found = group_copies.resent_text(ctx, contact, message_id) if message is None else None
    if found is not None:  # a group's text: that member's copy again, under a client id of its own
        timer, expires = under_timer(ctx, GroupChat(found[0]), message_id)
        record = Entry(message_id, encode_payload(replace(found[1], exp=timer)), found[0], expires).to_bytes()
        return _enqueue(ctx, contact, f"{message_id}.{ctx.random(4).hex()}", record)
    if message is None or action_views.is_deleted(ctx, message):
        return False  # a receipt or notice: the next one says the same; a deleted text stays unsent
    sent = round(message.timestamp * 1000)
    timer, expires = under_timer(ctx, contact, message_id)
    reply = action_views.reply_of(ctx, message)
    inner = encode_payload(Text(message_id, sent, message.text, reply=reply, exp=timer))
    record = Entry(message_id, inner, expires_at_ms=expires).to_bytes()
    return _enqueue(ctx, contact, f"{message_id}.{ctx.random(4).hex()}", record)


def _enqueue(ctx: Context, contact: str, client_id: str, record: bytes) -> bool:
    try:
        ctx.profile.outbox.enqueue(contact, client_id, record)
    except DuplicateEntry:
        return False
    return True


class Outbox:
    def __init__(self, ctx: Context, link: Link) -> None:
        self._ctx = ctx
        self._link = link
        self._paused: dict[str, float] = {}
        #: Contacts whose queue on the server was full: tried with one entry until it is accepted.
        self._full: set[str] = set()
        self._typing = TypingNotices()
        self._busy = Backoff(clock=ctx.monotonic, random=ctx.random)
        self.dirty = True

    def due(self) -> bool:
        """Something was added, or a contact the server paused may be tried again."""
        return plan.due(self.dirty, self._paused, self._ctx.monotonic())

    # ------------------------------------------------------------------ flushing

    def flush(self) -> list[Event]:
        """Send what waits, oldest first, in batches; returns the events to report. Needs a login.

        The decisions are the pure steps of :mod:`net.client.core.outbox_plan`; this is the driver
        around them.
        """
        conn = self._link.require()
        self.dirty = False
        events: list[Event] = []
        now = self._ctx.monotonic()
        self._paused = plan.expire(self._paused, now)
        pending = self._readable(events)
        if not pending:
            return events  # most flushes follow a batch of receipts that queued nothing
        held = self._ctx.profile.contacts.phones_with_key_changed()
        # A group's change carries no text but names the group and its members: held like a text.
        readable = [(i, e) for i, e in pending if not (e.group and i.contact in held)]
        waiting = plan.select(readable, held=held, paused=self._paused, now=now, full=self._full)
        for batch in plan.batches(waiting):
            # A contact the server refused in an earlier batch waits: each send more would only use
            # up a message key and widen the gap the recipient's ratchet must skip.
            going = plan.unpaused(batch, self._paused, now)
            if going:
                events += self._send_batch(conn, going)
        return events

    def _readable(self, events: list[Event]) -> list[Pending]:
        """The outbox, oldest first; a damaged entry is dropped (it would block every later flush)."""
        readable: list[Pending] = []
        decoded: dict[bytes, Entry] = {}  # a group's copies share one payload: decoded once (Entry is frozen)
        for item in self._ctx.profile.outbox.pending():
            try:
                entry = decoded.get(item.payload)
                if entry is None:
                    entry = decoded[item.payload] = Entry.from_bytes(item.payload)
                readable.append((item, entry))
            except ValueError:
                self._ctx.profile.outbox.remove(item.client_id, item.contact)
                events.append(
                    ErrorReported(
                        "damaged_outbox_entry", "A damaged message waiting to be sent was dropped.", "send"
                    )
                )
        return readable

    def _send_batch(self, conn: ServerConnection, batch: list[Pending]) -> list[Event]:
        ctx = self._ctx
        # Each contact's record is read once per batch: decoding one (the ratchet state's JSON and
        # base64) costs more than sealing with it.
        records: dict[str, SessionRecord] = {}

        def record_of(contact: str) -> SessionRecord:
            if contact not in records:
                records[contact] = ctx.load_record(contact)
            return records[contact]

        starting = plan.needing_session(batch, lambda contact: record_of(contact).current is not None)
        busy, refused = self._start_sessions(conn, starting)
        for contact in starting:  # a session started is stored: read again
            records.pop(contact, None)
        go, failed = plan.sealable(batch, busy=busy, refused=refused)
        results = plan.judge(self._send_all(conn, self._seal(go, record_of)))
        pauses = [(contact, plan.Verdict.BUSY) for contact in sorted(busy)] + results.pauses
        plan.apply_pauses(self._paused, self._busy, pauses, ctx.monotonic(), self._full)
        if results.done:
            self._busy.reset()
            if plan.settle(self._full, results):
                self.dirty = True  # the one entry tried went: the rest of that contact's go next
        return self._record(results.done, failed + results.failed)

    def _start_sessions(
        self, conn: ServerConnection, contacts: list[str]
    ) -> tuple[set[str], dict[str, plan.Refusal]]:
        """Ask for the bundles; returns the contacts the server was busy for, and those refused for good."""
        refusals: dict[str, plan.Refusal] = {}
        for contact in contacts:
            try:
                start_session(self._ctx, conn, contact)
            except EngineError as exc:
                refusals[contact] = (exc.code, exc.message)
        return plan.split_session_refusals(refusals)

    def _seal(
        self, go: list[Pending], record_of: Callable[[str], SessionRecord]
    ) -> list[tuple[OutboxItem, Entry, bytes]]:
        """Seal each entry with its contact's current session, and store the advanced sessions, at once."""
        ctx = self._ctx
        sealed: list[tuple[OutboxItem, Entry, bytes]] = []
        with ctx.profile.transaction():
            records: dict[str, SessionRecord] = {}
            for item, entry in go:
                record = records[item.contact] = record_of(item.contact)
                try:
                    body = record.seal(item.client_id, entry.inner).to_bytes()
                except NoSession:
                    continue
                sealed.append((item, entry, body))
            for contact, record in records.items():
                ctx.save_record(contact, record)
        return sealed

    def _send_all(
        self, conn: ServerConnection, sealed: list[tuple[OutboxItem, Entry, bytes]]
    ) -> list[tuple[OutboxItem, Entry, plan.Refusal | None]]:
        """Pipeline the sends, then collect the replies: None for accepted, else the refusal.

        Copies that share a client id (a group's message) go in ``send_many``\\ s, the rest in ``send``\\ s.
        """
        by_client: dict[str, list[tuple[OutboxItem, Entry, bytes]]] = defaultdict(list)
        for sealed_copy in sealed:
            by_client[sealed_copy[0].client_id].append(sealed_copy)
        singles = [copies[0] for copies in by_client.values() if len(copies) == 1]
        many = [
            copies[start : start + MAX_COPIES]
            for copies in by_client.values()
            if len(copies) > 1
            for start in range(0, len(copies), MAX_COPIES)
        ]
        now = self._ctx.now_ms()
        requests = [
            (
                item,
                entry,
                conn.start_send(
                    item.contact, item.client_id, body, expires_in=queued_for(entry.expires_at_ms, now)
                ),
            )
            for item, entry, body in singles
        ]
        fanned = [
            (
                chunk,
                conn.start_send_many(
                    chunk[0][0].client_id,
                    [(i.contact, body) for i, _, body in chunk],
                    expires_in=queued_for(chunk[0][1].expires_at_ms, now),
                ),
            )
            for chunk in many
        ]
        results: list[tuple[OutboxItem, Entry, plan.Refusal | None]] = []
        for item, entry, request_id in requests:
            try:
                conn.wait_typed(replies.SEND, request_id)
                refusal: plan.Refusal | None = None
            except RequestRefused as exc:
                refusal = (exc.code, exc.message)
            results.append((item, entry, refusal))
        for chunk, pending in fanned:
            try:
                copies = conn.wait_send_many(pending).results
            except RequestRefused as exc:
                results += [(item, entry, (exc.code, exc.message)) for item, entry, _ in chunk]
                continue
            for (item, entry, _), copy in zip(chunk, copies, strict=True):
                results.append((item, entry, None if copy.stored else _copy_refusal(item, copy)))
        return results

    def _record(self, done: list[Pending], failed: list[tuple[OutboxItem, Entry, str, str]]) -> list[Event]:
        """Sent entries leave the outbox as SENT, failed ones as FAILED (with their error), at once."""
        ctx = self._ctx
        events: list[Event] = []
        marked: set[tuple[str, str | None]] = set()  # a group's text is marked SENT once per batch
        with ctx.profile.transaction():
            for item, entry in done:
                ctx.profile.outbox.remove(item.client_id, item.contact)
                if entry.group is not None:
                    if (entry.group, entry.message_id) not in marked:
                        marked.add((entry.group, entry.message_id))
                        events += group_copies.sent(ctx, entry.group, entry.message_id)
                elif entry.message_id is not None and ctx.profile.history.set_status(
                    item.contact, entry.message_id, MessageStatus.SENT.value
                ):
                    events.append(MessageStatusChanged(item.contact, entry.message_id, MessageStatus.SENT))
            for item, entry, code, message in failed:
                ctx.profile.outbox.remove(item.client_id, item.contact)
                if entry.group is not None:  # that member's copy failed; the others go on (retry: theirs)
                    if entry.message_id is not None:
                        group_copies.failed(ctx, entry.group, entry.message_id, item.contact, code)
                    events.append(ErrorReported(code, message, "send"))
                    continue
                if entry.message_id is None:
                    continue
                if ctx.profile.history.set_status(item.contact, entry.message_id, MessageStatus.FAILED.value):
                    events.append(MessageStatusChanged(item.contact, entry.message_id, MessageStatus.FAILED))
                events.append(ErrorReported(code, message, "send"))
        return events

    # ------------------------------------------------------------------ typing

    def send_typing_many(self, recipients: list[str], on: bool, group_id: str) -> None:
        """A group's typing notice: one transient ``send_many`` to the members that may hear it."""
        ctx = self._ctx
        now = ctx.monotonic()
        key = f"g:{group_id}"
        if not self._link.online or not recipients or not self._typing.due(key, on, now):
            return
        conn = self._link.require()
        client_id = ctx.new_id("t-")
        items: list[tuple[str, bytes]] = []
        with ctx.profile.transaction():
            for phone in recipients:
                record = ctx.load_record(phone)
                try:
                    items.append(
                        (phone, record.seal(client_id, encode_payload(Typing(on, group_id))).to_bytes())
                    )
                except NoSession:
                    continue
                ctx.save_record(phone, record)
        self._typing.sent(key, on, now)
        for start in range(0, len(items), MAX_COPIES):
            try:
                conn.send_many(client_id, items[start : start + MAX_COPIES], transient=True)
            except RequestRefused:
                return

    def send_typing(self, contact: str, on: bool) -> None:
        """A transient notice, or nothing at all: never queued, never retried."""
        ctx = self._ctx
        now = self._ctx.monotonic()
        if not self._link.online or not self._typing.due(contact, on, now):
            return
        found = ctx.profile.contacts.get(contact)
        if found is None or found.key_changed or not may_answer(Standing(found.standing)):
            return  # nothing goes to a request or a blocked number
        conn = self._link.require()
        with ctx.profile.transaction():
            record = ctx.load_record(contact)
            client_id = ctx.new_id("t-")
            try:
                body = record.seal(client_id, encode_payload(Typing(on))).to_bytes()
            except NoSession:
                return
            ctx.save_record(contact, record)
        self._typing.sent(contact, on, now)
        try:
            reply = conn.request(
                replies.SEND_TRANSIENT, to=contact, client_id=client_id, body=body, transient=True
            )
        except RequestRefused:
            return
        self._typing.answered(contact, delivered=reply.delivered, now=now)

    def heard_from(self, contact: str) -> None:
        """A message from the contact: they are online again, so typing notices may go, and a queue
        of theirs that was full is being taken (their delivery receipts come after their
        acknowledgements), so what waits for them is tried again now, not at the end of the pause."""
        self._typing.heard_from(contact)
        if plan.heard_from(self._paused, self._full, contact):
            self.dirty = True


def _copy_refusal(item: OutboxItem, copy: CopyResult) -> plan.Refusal:
    if copy.status is CopyStatus.UNKNOWN_ACCOUNT:
        return ("unknown_account", f"Nobody with the number {item.contact} uses Parley on this server.")
    return (str(copy.status.value), copy.message or "The server holds too much for this member now.")
