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
``storage_unavailable``, ``server_error``), to the ``send`` or to the bundle a new session needs, keeps
the entry and tries that contact again after a backoff with jitter, so the
outbox drains by itself once the server accepts again. ``queue_full`` (the
contact has as much waiting as the server keeps) pauses that contact for
:data:`~net.client.core.outbox_plan.PAUSE_SECONDS`, or until a message from them
shows they are taking their queue; then one entry is tried before the rest.

What an entry holds, and the functions that queue one, are :mod:`net.client.outbox_entries`'
(re-exported here). A text under a disappearing timer is sent with ``expires_in``: the server
keeps the queued copy no longer than ours lives (the seconds left, at least 1).

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

from collections.abc import Callable

from net.client import devices, group_copies, outbox_wire
from net.client.context import Context
from net.client.core import outbox_plan as plan
from net.client.core.backoff import Backoff
from net.client.core.engine_error import EngineError
from net.client.core.envelope import Typing, encode_payload
from net.client.core.events import ErrorReported, Event, MessageStatus, MessageStatusChanged
from net.client.core.standing import Standing, may_answer
from net.client.core.typing_plan import TypingNotices
from net.client.handshake import start_own_session, start_session
from net.client.link import Link
from net.client.outbox_entries import RECORD_VERSION as RECORD_VERSION
from net.client.outbox_entries import Entry as Entry
from net.client.outbox_entries import Pending as Pending
from net.client.outbox_entries import enqueue_control as enqueue_control
from net.client.outbox_entries import enqueue_copies as enqueue_copies
from net.client.outbox_entries import enqueue_text as enqueue_text
from net.client.outbox_entries import resend as resend
from net.client.outbox_entries import under_timer as under_timer
from net.client.sessions import NoSession, SessionRecord
from net.client.transport import ServerConnection
from net.protocol import replies
from net.protocol.copy_results import CopyStatus
from net.protocol.errors import RequestRefused
from net.protocol.schema import MAX_COPIES
from storage.profile.delivery import OutboxItem

#: A (phone, device) a copy is sealed for: its session is kept per pair.
Address = tuple[str, int]
#: A sealed body for one (phone, device), as a ``send_many`` item names it.
Item = tuple[str, int, bytes]


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

    def _send_batch(
        self, conn: ServerConnection, batch: list[Pending], retried: frozenset[str] = frozenset()
    ) -> list[Event]:
        ctx = self._ctx
        # Each (contact, device) record is read once per batch: decoding one (the ratchet state's JSON
        # and base64) costs more than sealing with it.
        records: dict[Address, SessionRecord] = {}

        def record_of(address: Address) -> SessionRecord:
            if address not in records:
                records[address] = ctx.load_record(*address)
            return records[address]

        addresses = self._addresses(batch)
        starting = plan.needing_session(
            batch, lambda contact: all(record_of(a).current is not None for a in addresses[contact])
        )
        busy, refused = self._start_sessions(conn, starting, addresses, record_of)
        for contact in starting:  # a session started is stored: read again
            for address in addresses[contact]:
                records.pop(address, None)
        go, failed = plan.sealable(batch, busy=busy, refused=refused)
        copies, empty = self._seal(go, addresses, record_of)
        outcomes = outbox_wire.send_all(conn, copies, ctx.now_ms())
        again = self._devices_changed(outcomes, retried)
        outcomes = [o for o in outcomes if (o.item.client_id, o.item.contact) not in again]
        results = plan.judge([(o.item, o.entry, o.refusal) for o in outcomes])
        results.done += empty
        pauses = [(contact, plan.Verdict.BUSY) for contact in sorted(busy)] + results.pauses
        plan.apply_pauses(self._paused, self._busy, pauses, ctx.monotonic(), self._full)
        if results.done:
            self._busy.reset()
            if plan.settle(self._full, results):
                self.dirty = True  # the one entry tried went: the rest of that contact's go next
        events = self._record(results.done, failed + results.failed)
        if again:  # resealed for the devices the server named, and sent again at once, once
            retry = [(i, e) for i, e in batch if (i.client_id, i.contact) in again]
            events += self._send_batch(conn, retry, retried | {i.client_id for i, _ in retry})
        return events

    def _addresses(self, batch: list[Pending]) -> dict[str, list[Address]]:
        """Every (phone, device) each contact of the batch is sealed for (our own: our other devices)."""
        ctx = self._ctx
        me, own = ctx.phone or "", ctx.profile.devices.own()
        return {
            contact: plan.addresses(contact, devices.known(ctx, contact), me=me, own=own)
            for contact in {item.contact for item, _ in batch}
        }

    def _devices_changed(
        self, outcomes: list[outbox_wire.ItemOutcome], retried: frozenset[str]
    ) -> set[tuple[str, str]]:
        """Learn the device sets the server named; the items to reseal and send again at once."""
        again: set[tuple[str, str]] = set()
        for outcome in outcomes:
            if outcome.refusal is None or outcome.refusal[0] != plan.DEVICES_CHANGED:
                continue
            if outcome.devices:
                devices.learn(self._ctx, outcome.item.contact, outcome.devices)
            if plan.retry_at_once(outcome.refusal[0], outcome.item.client_id, retried):
                again.add((outcome.item.client_id, outcome.item.contact))
        return again

    def _start_sessions(
        self,
        conn: ServerConnection,
        contacts: list[str],
        addresses: dict[str, list[Address]],
        record_of: Callable[[Address], SessionRecord],
    ) -> tuple[set[str], dict[str, plan.Refusal]]:
        """Ask for the bundles of the devices without a session; returns the contacts the server was
        busy for, and those refused for good."""
        refusals: dict[str, plan.Refusal] = {}
        for contact in contacts:
            for phone, device in addresses[contact]:
                if record_of((phone, device)).current is not None:
                    continue
                try:
                    if phone == self._ctx.phone:
                        start_own_session(self._ctx, conn, device)
                    else:
                        start_session(self._ctx, conn, phone, device=device)
                except EngineError as exc:
                    refusals[contact] = (exc.code, exc.message)
                    break
        return plan.split_session_refusals(refusals)

    def _seal(
        self,
        go: list[Pending],
        addresses: dict[str, list[Address]],
        record_of: Callable[[Address], SessionRecord],
    ) -> tuple[list[outbox_wire.Copy], list[Pending]]:
        """Seal each entry for every device of its contact with that device's current session, and
        store the advanced sessions, at once. Also returns the entries with no device to go to (a
        sync entry once our other devices are gone): done as they are."""
        ctx = self._ctx
        sealed: list[outbox_wire.Copy] = []
        empty: list[Pending] = []
        with ctx.profile.transaction():
            touched: dict[Address, SessionRecord] = {}
            for item, entry in go:
                targets = addresses[item.contact]
                if not targets:
                    empty.append((item, entry))
                    continue
                copies: list[outbox_wire.Copy] = []
                for address in targets:
                    record = touched[address] = record_of(address)
                    try:
                        body = record.seal(item.client_id, entry.inner).to_bytes()
                    except NoSession:
                        break  # a device without a session: the entry waits for the next flush
                    copies.append(outbox_wire.Copy(item, entry, address[1], body))
                else:
                    sealed += copies
            for (phone, device), record in touched.items():
                ctx.save_record(phone, record, device)
        return sealed, empty

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
        """A group's typing notice: one transient ``send_many`` to every device of the members that may
        hear it."""
        ctx = self._ctx
        now = ctx.monotonic()
        key = f"g:{group_id}"
        if not self._link.online or not recipients or not self._typing.due(key, on, now):
            return
        conn = self._link.require()
        client_id = ctx.new_id("t-")
        items = self._seal_typing(client_id, Typing(on, group_id), recipients)
        self._typing.sent(key, on, now)
        plain = all(device == 1 for _, device, _ in items)
        for start in range(0, len(items), MAX_COPIES):
            chunk = items[start : start + MAX_COPIES]
            try:
                if plain:  # every member with one device: as before linked devices
                    conn.send_many(client_id, [(to, body) for to, _, body in chunk], transient=True)
                else:
                    wire = conn
                    wire.wait_send_many(wire.start_send_many(client_id, chunk, transient=True))
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
        client_id = ctx.new_id("t-")
        items = self._seal_typing(client_id, Typing(on), [contact])
        if not items:
            return
        self._typing.sent(contact, on, now)
        try:
            if len(items) == 1 and items[0][1] == 1:  # one device: as before linked devices
                reply = conn.request(
                    replies.SEND_TRANSIENT, to=contact, client_id=client_id, body=items[0][2], transient=True
                )
                self._typing.answered(contact, delivered=reply.delivered, now=now)
                return
            wire = conn
            results = wire.wait_send_many(wire.start_send_many(client_id, items, transient=True)).results
        except RequestRefused:
            return
        delivered = any(r.status is CopyStatus.DELIVERED for r in results)
        self._typing.answered(contact, delivered=delivered, now=now)

    def _seal_typing(
        self, client_id: str, notice: Typing, recipients: list[str]
    ) -> list[tuple[str, int, bytes]]:
        """The notice sealed for every device of each recipient with a session (a notice starts none)."""
        ctx = self._ctx
        inner = encode_payload(notice)
        items: list[Item] = []
        with ctx.profile.transaction():
            for phone in recipients:
                for device in devices.known(ctx, phone):
                    record = ctx.load_record(phone, device)
                    try:
                        items.append((phone, device, record.seal(client_id, inner).to_bytes()))
                    except NoSession:
                        continue
                    ctx.save_record(phone, record, device)
        return items

    def heard_from(self, contact: str) -> None:
        """A message from the contact: they are online again, so typing notices may go, and a queue
        of theirs that was full is being taken (their delivery receipts come after their
        acknowledgements), so what waits for them is tried again now, not at the end of the pause."""
        self._typing.heard_from(contact)
        if plan.heard_from(self._paused, self._full, contact):
            self.dirty = True
