"""The server's store: accounts, pending codes, prekeys and queued ciphertext in one SQLite file.

Durability: WAL mode with ``synchronous=FULL``. Every write goes through one
:class:`~storage.server.batch_writer.BatchWriter`. The server's loop wraps each turn in
:meth:`SqliteServerStore.group_commit`: the turn's writes share one transaction and
one commit (and sync) at its end, before any reply of the turn is written, so
whatever the server has acknowledged survives a killed process and a power cut.
(``NORMAL`` would survive a killed process only; group commit makes the extra
fsync cheap, so we pay it.) Outside a batch, a method that writes returns only
after its own commit. Reads inside a batch use the write connection, so they see
the batch's writes; other reads use a small pool of their own connections, which
in WAL mode never block the writer and see the last commit.

The store keeps public keys as the JSON text the client sent (after the server
checked them), bodies as opaque bytes, of a registration code only a keyed
hash, compared with :func:`hmac.compare_digest`, and of the requester's token
and a registration lock only their hashes (see ``storage/server/registration.py``).

Blobs (a file's sealed bytes) have their rows here and their bytes in one file
each under ``blobs/`` beside the database (``storage/server/blobs.py``).

Room: ``max_bytes`` caps the database file (SQLite's ``max_page_count``, a quota
an operator may set); a write past it fails like one on a full disk, with
``SQLITE_FULL``. :attr:`SqliteServerStore.space` (a :class:`~storage.server.space_guard.SpaceGuard`)
keeps the reserve file (``reserve`` bytes; the server's default is 4 MiB) beside the
database and the store's full state.

:class:`SqliteServerStore` implements :class:`~storage.server.interface.ServerStore`,
the operations the server's service and loop call; nothing of SQLite reaches
them: a database that cannot be opened is :class:`StoreUnavailable`, a lost group
commit :class:`BatchFailed`, and :meth:`SqliteServerStore.lacks_room` tells a
write refused for lack of room (``SQLITE_FULL``, ENOSPC) from other failures.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path

from storage.server import expiry, queues
from storage.server import schema as server_schema
from storage.server.batch_writer import BatchWriter
from storage.server.blob_files import FOLDER as BLOB_FOLDER
from storage.server.blob_files import BlobFiles
from storage.server.blobs import BlobStore
from storage.server.counters import RateEvents
from storage.server.devices import DeviceStore
from storage.server.prekeys import PrekeyStore
from storage.server.records import (
    AccountKeys,
    BatchFailed,
    CodeCheck,
    CopyOutcome,
    DeviceSetChanged,
    Guard,
    PrekeyLimit,
    QueueFull,
    RegisteredAccount,
    Registration,
    SchemaMismatch,
    SendOutcome,
    StoredMessage,
    StoreError,
    StoreUnavailable,
    TooManyCodes,
    TooManyUnknown,
    UnknownAccount,
)
from storage.server.registration import RegistrationStore, delete_account_rows
from storage.server.space_guard import SpaceGuard, is_storage_full

SCHEMA_VERSION = server_schema.VERSION
log = logging.getLogger("parley.store")
SENT_ID_LIFETIME_MS = 7 * 24 * 3600 * 1000
_READERS = 8

__all__ = [
    "AccountKeys",
    "BatchFailed",
    "CodeCheck",
    "CopyOutcome",
    "DeviceSetChanged",
    "Guard",
    "PrekeyLimit",
    "QueueFull",
    "RegisteredAccount",
    "Registration",
    "SchemaMismatch",
    "SendOutcome",
    "SqliteServerStore",
    "StoreError",
    "StoreUnavailable",
    "StoredMessage",
    "TooManyCodes",
    "TooManyUnknown",
    "UnknownAccount",
]


_SETTING = "setting:"  # shared settings' keys in ``meta``, apart from the schema's own


class SqliteServerStore(RegistrationStore, DeviceStore, PrekeyStore, BlobStore):
    def __init__(
        self,
        path: Path,
        *,
        synchronous: str = "FULL",
        max_bytes: int | None = None,
        reserve: int = 0,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError("synchronous must be FULL or NORMAL")
        if max_bytes is not None and max_bytes < 1:
            raise ValueError("the store's quota must be positive")
        self.path = path
        self._synchronous = synchronous
        self._max_bytes = max_bytes
        self._readers: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._reader_slots = threading.BoundedSemaphore(_READERS)
        self._all_readers: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            self._writer = BatchWriter(self._open_writer)
        except sqlite3.Error as exc:  # the service knows no SQLite: a store that cannot open is the store's
            raise StoreUnavailable(str(exc)) from exc
        self.space = SpaceGuard(path.parent, reserve=reserve, quota_room=self.quota_room, quota=max_bytes)
        try:
            self.space.start()
        except BaseException:
            self._writer.close()
            raise
        self.rate_events = RateEvents(self._writer, self._reader)
        self.blob_files = BlobFiles(path.parent / BLOB_FOLDER)

    # ------------------------------------------------------------------ plumbing

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    def _open_writer(self) -> sqlite3.Connection:
        conn = self._connect()
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        try:
            if self._max_bytes is not None:
                page_size = conn.execute("PRAGMA page_size").fetchone()[0]
                # A file already past the cap keeps its size (SQLite never sets the cap below it).
                conn.execute(f"PRAGMA max_page_count = {max(1, self._max_bytes // page_size)}")
            found = server_schema.upgrade(conn, self.path.name)
        except BaseException:
            conn.close()
            raise
        if 0 < found < SCHEMA_VERSION:
            log.info("%s: upgraded from schema version %d to %d", self.path.name, found, SCHEMA_VERSION)
        return conn

    def group_commit(self) -> AbstractContextManager[None]:
        """Writes from this thread inside the block share one commit at its end (see the module doc).

        Raises :class:`BatchFailed` at the end if that commit failed: none of the block's writes happened.
        """
        return self._writer.batch()

    @property
    def dependents(self) -> int:
        """Jobs (and reads of uncommitted writes) so far in the open batch; see :class:`BatchWriter`."""
        return self._writer.dependents

    def lacks_room(self, error: BaseException | None) -> bool:
        """Whether ``error`` (or its cause) is a write refused for lack of room (:func:`is_storage_full`)."""
        return is_storage_full(error)

    def rate_count(self, limiter: str, key: str, since: int) -> int:
        """The events of ``limiter`` for ``key`` after ``since`` (ms) by every user of this file."""
        return self.rate_events.rate_count(limiter, key, since)

    def shared_setting(self, key: str, proposed: str) -> str:
        """The value every user of the store agrees on under ``key``: ``proposed`` if none was kept yet.

        A node asks once at start, outside any group commit: durable when it returns.
        """

        def job(db: sqlite3.Connection) -> str:
            name = _SETTING + key
            db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (name, proposed))
            return str(db.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()[0])

        return self._writer.run(job)

    def quota_room(self) -> int | None:
        """Bytes the database may still grow by under ``max_bytes`` (free pages inside it count)."""
        if self._max_bytes is None:
            return None
        with self._reader() as db:
            page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
            pages = int(db.execute("PRAGMA page_count").fetchone()[0])
            free = int(db.execute("PRAGMA freelist_count").fetchone()[0])
        return max(0, self._max_bytes // page_size - pages) * page_size + free * page_size

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        own = self._writer.reading_connection()
        if own is not None:
            yield own
            return
        with self._reader_slots:
            try:
                conn = self._readers.get_nowait()
            except queue.Empty:
                conn = self._connect()
                with self._lock:
                    self._all_readers.append(conn)
            try:
                yield conn
            finally:
                self._readers.put(conn)

    def close(self) -> None:
        self.blob_files.close()
        self._writer.close()
        with self._lock:
            for conn in self._all_readers:
                conn.close()
            self._all_readers.clear()

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
        def job(db: sqlite3.Connection) -> bool:
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

    def queued_count(self, recipient: str, device: int = 1) -> int:
        with self._reader() as db:
            return queues.queued_count(db, recipient, device)

    def ack(self, recipient: str, ids: list[int], device: int = 1) -> int:
        """Delete those of ``ids`` that wait for (recipient, device); returns how many were deleted."""
        wanted = sorted(set(ids))
        if not wanted:
            return 0
        job = partial(queues.ack, recipient=recipient, wanted=wanted, device=device)
        return self._writer.run(job, savepoint=False)

    # ---------------------------------------------------------------- maintenance

    def sweep_expired(self, now: int, limit: int) -> int:
        """Delete up to ``limit`` messages expired by ``now`` in one transaction; how many were deleted."""
        return self._writer.run(partial(expiry.sweep_expired, now=now, limit=limit))

    def prune(self, now: int) -> None:
        """Forget old client ids, dead codes, per-sender counts no longer needed, and old rate events."""

        def job(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM sent WHERE ts < ?", (now - SENT_ID_LIFETIME_MS,))
            db.execute("DELETE FROM pending_codes WHERE expires_at <= ? OR attempts_left <= 0", (now,))
            db.execute("DELETE FROM sender_queues WHERE queued <= 0")
            # An empty queue needs no per-sender counts: the next long one counts afresh.
            db.execute(
                "DELETE FROM sender_queues WHERE (recipient, device) IN"
                " (SELECT phone, device FROM queues WHERE queued = 0)"
            )
            db.execute("UPDATE queues SET tracked = 0 WHERE tracked AND queued = 0")
            self.rate_events.expire(db, now)

        self._writer.run(job)
