"""The server store's operations, written once for both engines: what SQLite and PostgreSQL stores share.

:class:`ServerStoreBase` holds every method of :class:`~storage.server.interface.ServerStore`
that is only SQL (accounts, messages, maintenance, and through its mixins registration,
devices, prekeys and blobs): each is a job for the store's :class:`~storage.server.sql.Writer`
or a read on a connection its ``_reader`` lends, and runs unchanged on either engine
(``storage/server/sql.py`` says how the SQL is written for both). A subclass gives the
plumbing: the writer, the readers, the bytes of blobs, the room, and how to tell a
driver's errors (:class:`~storage.server.store.SqliteServerStore`,
:class:`~storage.server.pg_store.PostgresServerStore`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from functools import partial

from storage.server import expiry, queues
from storage.server.blobs import BlobStore
from storage.server.counters import RateEvents
from storage.server.devices import DeviceStore
from storage.server.prekeys import PrekeyStore
from storage.server.records import CopyOutcome, RegisteredAccount, SendOutcome, StoredMessage
from storage.server.registration import RegistrationStore, delete_account_rows, lock_account
from storage.server.sql import Db, Reader, Writer

SENT_ID_LIFETIME_MS = 7 * 24 * 3600 * 1000
_SETTING = "setting:"  # shared settings' keys in ``meta``, apart from the schema's own


class ServerStoreBase(RegistrationStore, DeviceStore, PrekeyStore, BlobStore):
    """The shared methods; a subclass sets ``_writer``, ``_reader``, ``rate_events`` and ``blob_files``."""

    _writer: Writer
    _reader: Reader
    rate_events: RateEvents

    def group_commit(self) -> AbstractContextManager[None]:
        """Writes from this thread inside the block share one commit at its end (see the module doc).

        Raises :class:`BatchFailed` at the end if that commit failed: none of the block's writes happened.
        """
        return self._writer.batch()

    @property
    def dependents(self) -> int:
        """Jobs (and reads of uncommitted writes) so far in the open batch; see :class:`BatchWriter`."""
        return self._writer.dependents

    @property
    def sync_pending(self) -> bool:
        """Whether the open group commit holds a durable job (see ``run(durable=...)`` of the writers)."""
        return self._writer.sync_pending

    def rate_count(self, limiter: str, key: str, since: int) -> int:
        """The events of ``limiter`` for ``key`` after ``since`` (ms), counted by every node of the store."""
        return self.rate_events.rate_count(limiter, key, since)

    def shared_setting(self, key: str, proposed: str) -> str:
        """The value every node of the store agrees on under ``key``: ``proposed`` if none was kept yet.

        A node asks once at start, outside any group commit: durable when it returns.
        """

        def job(db: Db) -> str:
            name = _SETTING + key
            db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (name, proposed))
            return str(db.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()[0])

        return self._writer.run(job)

    # ------------------------------------------------------------------- accounts

    def account(self, phone: str) -> RegisteredAccount | None:
        with self._reader() as db:
            # The keys shown are those of its lowest live device (device 1's, unless it was unlinked).
            row = db.execute(
                "SELECT a.email, a.identity, k.signed_prekey, k.kem_last_resort FROM accounts AS a"
                " JOIN device_keys AS k ON k.phone = a.phone WHERE a.phone = ? ORDER BY k.device LIMIT 1",
                (phone,),
            ).fetchone()
        if row is None:
            return None
        return RegisteredAccount(phone, row[0], json.loads(row[1]), json.loads(row[2]), json.loads(row[3]))

    def identity_text(self, phone: str) -> str | None:
        """The account's identity key as the JSON text stored, or None: what a login reads."""
        with self._reader() as db:
            row = db.execute("SELECT identity FROM accounts WHERE phone = ?", (phone,)).fetchone()
        return None if row is None else str(row[0])

    def delete_account(self, phone: str) -> bool:
        def job(db: Db) -> bool:
            lock_account(db, phone)  # against a registration or a device change of it on another node
            # Its blobs die with it (the sweep removes their bytes). A re-registration keeps them: the
            # files its messages announced stay readable for those who have not downloaded them yet.
            db.execute("UPDATE blobs SET deadline = 0 WHERE owner = ?", (phone,))
            return delete_account_rows(db, phone)

        return self._writer.run(job)

    # ------------------------------------------------------------------- messages

    def enqueue(
        self,
        sender: str,
        client_id: str,
        recipient: str,
        body: bytes,
        now: int,
        cap: int,
        *,
        per_sender: int | None = None,
        max_bytes: int | None = None,
        expires_at: int = 0,
        device: int = 1,
        sender_device: int = 1,
    ) -> SendOutcome:
        """Queue ``body`` for (recipient, device), once per (sender, client id); returns after the commit.

        :class:`DeviceSetChanged` (with the live ids) unless ``device`` is the recipient's only device (for
        the sender's own number: its only device but ``sender_device``). Refused with :class:`QueueFull`
        when that queue has ``cap`` messages waiting, when ``sender`` has ``per_sender`` of them, or when
        the bodies waiting would pass ``max_bytes``. From ``expires_at`` (ms; 0: never) it is no longer
        fetched, and :meth:`sweep_expired` deletes it.
        """
        caps = queues.caps(cap, per_sender, max_bytes)
        job = partial(
            queues.enqueue,
            sender=sender,
            client_id=client_id,
            recipient=recipient,
            body=body,
            now=now,
            caps=caps,
            expires_at=expires_at,
            device=device,
            sender_device=sender_device,
        )
        try:
            return self._writer.run(job, savepoint=False)  # it refuses only before its first write
        except queues.Untracked:
            # A queue as long as the per-sender cap, without per-sender counts yet: count them
            # (once, a job of its own, which refuses nothing), then check again.
            self._writer.run(partial(queues.track, recipient=recipient, device=device), savepoint=False)
            return self._writer.run(job, savepoint=False)

    def enqueue_many(
        self,
        sender: str,
        client_id: str,
        copies: Sequence[tuple[str, bytes] | tuple[str, int, bytes]],
        now: int,
        cap: int,
        *,
        per_sender: int | None = None,
        max_bytes: int | None = None,
        max_unknown: int | None = None,
        expires_at: int = 0,
        sender_device: int = 1,
    ) -> list[CopyOutcome]:
        """Queue one body per (recipient, device) under one client id, in one transaction.

        ``copies``: (recipient, device, body), or (recipient, body) for device 1. Per recipient, all its
        copies together, as :meth:`enqueue` would store one (once per sender, client id and recipient;
        its devices named exactly; the caps of each of its queues), answered per copy in order: its
        :class:`SendOutcome`, or the :class:`UnknownAccount`, :class:`DeviceSetChanged` or
        :class:`QueueFull` its recipient met (then none of that recipient's copies is stored) while the
        others are stored. More than ``max_unknown`` unknown recipients is :class:`TooManyUnknown`, and
        then nothing is stored. Every copy stored now has the expiry ``expires_at``.
        """
        job = partial(
            queues.enqueue_copies,
            sender=sender,
            sender_device=sender_device,
            client_id=client_id,
            copies=[(c[0], 1, c[1]) if len(c) == 2 else c for c in copies],
            now=now,
            caps=queues.caps(cap, per_sender, max_bytes),
            max_unknown=len(copies) if max_unknown is None else max_unknown,
            expires_at=expires_at,
        )
        return self._writer.run(job)  # in a savepoint: a refusal after some copies undoes them

    def fetch(
        self, recipient: str, after: int, limit: int, now: int | None = None, device: int = 1
    ) -> tuple[list[StoredMessage], bool]:
        """Up to ``limit`` messages waiting for (recipient, device) with id > ``after``, oldest first, and
        whether more wait.

        A message expired by ``now`` (ms; the wall clock when None) is left out, as if gone already.
        """
        at = int(time.time() * 1000) if now is None else now
        with self._reader() as db:
            self._writer.note_read()  # a fetch in a batch may see messages that batch has not committed yet
            return queues.fetch(db, recipient, after, limit, at, device)

    def message(self, recipient: str, device: int, message_id: int, now: int) -> StoredMessage | None:
        """The message ``message_id`` if it waits for (recipient, device) unexpired at ``now``: what a node
        pushes when another node says it stored it."""
        with self._reader() as db:
            self._writer.note_read()
            return queues.message(db, recipient, device, message_id, now)

    def messages(self, recipient: str, device: int, ids: list[int], now: int) -> list[StoredMessage]:
        wanted = sorted(set(ids))
        if not wanted:
            return []
        with self._reader() as db:
            self._writer.note_read()
            return queues.messages(db, recipient, device, wanted, now)

    def newest_id(self, recipient: str, device: int) -> int:
        with self._reader() as db:
            return queues.newest_id(db, recipient, device)

    def queued_count(self, recipient: str, device: int = 1) -> int:
        with self._reader() as db:
            return queues.queued_count(db, recipient, device)

    def ack(self, recipient: str, ids: list[int], device: int = 1) -> int:
        """Delete those of ``ids`` that wait for (recipient, device); returns how many were deleted."""
        wanted = sorted(set(ids))
        if not wanted:
            return 0
        job = partial(queues.ack, recipient=recipient, wanted=wanted, device=device)
        # Not synced on its own: a power cut may undo it, and the message is then delivered once more
        # (its id tells the client it is a repeat); nothing is lost (batch_writer.py, "Which commits sync").
        return self._writer.run(job, savepoint=False, durable=False)

    # ---------------------------------------------------------------- maintenance

    def sweep_expired(self, now: int, limit: int) -> int:
        """Delete up to ``limit`` messages expired by ``now`` in one transaction; how many were deleted."""
        # Not synced on its own: undone by a power cut, the next sweep deletes them again.
        return self._writer.run(partial(expiry.sweep_expired, now=now, limit=limit), durable=False)

    def prune(self, now: int) -> None:
        """Forget old client ids, dead codes, per-sender counts no longer needed, and old rate events."""

        def job(db: Db) -> None:
            if not db.try_lock("prune"):
                return  # another server prunes just now: once is enough
            db.execute("DELETE FROM sent WHERE ts < ?", (now - SENT_ID_LIFETIME_MS,))
            db.execute("DELETE FROM pending_codes WHERE expires_at <= ? OR attempts_left <= 0", (now,))
            db.execute("DELETE FROM sender_queues WHERE queued <= 0")
            # An empty queue needs no per-sender counts: the next long one counts afresh.
            db.execute(
                "DELETE FROM sender_queues WHERE (recipient, device) IN"
                " (SELECT phone, device FROM queues WHERE queued = 0)"
            )
            db.execute("UPDATE queues SET tracked = 0 WHERE tracked <> 0 AND queued = 0")
            self.rate_events.expire(db, now)

        self._writer.run(job, durable=False)  # undone by a power cut, the next prune does it again
