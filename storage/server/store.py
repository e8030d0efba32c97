"""The server's store: accounts, pending codes, prekeys and queued ciphertext in one SQLite file.

Durability: WAL mode; with ``synchronous="FULL"`` (the server's ``--sync full``) every
turn holding a durable write syncs the log once after its commit, before any of its
replies (the connection itself runs ``NORMAL``, and :class:`~storage.server.wal_sync.WalSync`
syncs: see "Which commits sync" in :mod:`storage.server.batch_writer`). Every write goes
through one :class:`~storage.server.batch_writer.BatchWriter`. The server's loop wraps
each turn in :meth:`SqliteServerStore.group_commit`: the turn's writes share one
transaction and one commit (and sync) at its end, so whatever the server has acknowledged
survives a killed process and a power cut. (``"NORMAL"`` never syncs a commit: it survives
a killed process only.) Outside a batch, a method that writes returns only
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

import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.server import schema as server_schema
from storage.server.base_store import ServerStoreBase
from storage.server.batch_writer import BatchWriter
from storage.server.blob_files import FOLDER as BLOB_FOLDER
from storage.server.blob_files import BlobFiles
from storage.server.counters import RateEvents
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
from storage.server.space_guard import SpaceGuard, is_storage_full
from storage.server.sql import Db, SqliteDb
from storage.server.wal_sync import WalSync

SCHEMA_VERSION = server_schema.VERSION
log = logging.getLogger("parley.store")
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


#: The oldest SQLite the shared SQL runs on: ``RETURNING`` came with 3.35.
SQLITE_NEEDED = (3, 35, 0)


def check_sqlite_version(version: tuple[int, int, int]) -> None:
    """StoreUnavailable, in words, for an SQLite library older than the store's SQL needs."""
    if version < SQLITE_NEEDED:
        found, needed = ".".join(map(str, version)), ".".join(map(str, SQLITE_NEEDED))
        raise StoreUnavailable(
            f"this Python's SQLite library is {found}; the server's store needs SQLite {needed} or newer"
            " (for RETURNING): use a Python built with a newer SQLite"
        )


class SqliteServerStore(ServerStoreBase):
    def __init__(
        self,
        path: Path,
        *,
        synchronous: str = "FULL",
        max_bytes: int | None = None,
        reserve: int = 0,
    ) -> None:
        check_sqlite_version(sqlite3.sqlite_version_info)
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError("synchronous must be FULL or NORMAL")
        if max_bytes is not None and max_bytes < 1:
            raise ValueError("the store's quota must be positive")
        self.path = path
        self._synchronous = synchronous
        self._max_bytes = max_bytes
        self._readers: queue.LifoQueue[SqliteDb] = queue.LifoQueue()
        self._reader_slots = threading.BoundedSemaphore(_READERS)
        self._all_readers: list[SqliteDb] = []
        self._lock = threading.Lock()
        # Synced commits are synced by the writer after the COMMIT, so that a turn of acknowledgements
        # alone can skip it (storage/server/wal_sync.py); the connection itself never syncs a commit.
        # SQLite opens the file a symbolic link names, and its log beside that file: so must the sync.
        self.wal_sync = WalSync(Path(os.path.realpath(path))) if synchronous == "FULL" else None
        try:
            self._writer = BatchWriter(self._open_writer, self.wal_sync)
        except sqlite3.Error as exc:  # the service knows no SQLite: a store that cannot open is the store's
            raise StoreUnavailable(str(exc)) from exc
        if self.wal_sync is not None and self.wal_sync.path.exists():
            try:
                self.wal_sync()  # what opening wrote (schema steps), synced before anything relies on it
            except OSError as exc:
                self._writer.close()
                self.wal_sync.close()
                reason = f"the disk did not confirm a sync of the store ({exc.strerror})"
                raise StoreUnavailable(reason) from exc
        self.space = SpaceGuard(path.parent, reserve=reserve, quota_room=self.quota_room, quota=max_bytes)
        try:
            self.space.start()
        except BaseException:
            self._writer.close()
            raise
        self.rate_events = RateEvents(self._writer, self._reader)
        self.blob_files = BlobFiles(path.parent / BLOB_FOLDER)

    # ------------------------------------------------------------------ plumbing

    def _connect(self) -> SqliteDb:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30, factory=SqliteDb
        )
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    def _open_writer(self) -> SqliteDb:
        conn = self._connect()
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # FULL's sync at a commit is the writer's (WalSync)
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

    def lacks_room(self, error: BaseException | None) -> bool:
        """Whether ``error`` (or its cause) is a write refused for lack of room (:func:`is_storage_full`)."""
        return is_storage_full(error)

    def unreachable(self, error: BaseException | None) -> bool:
        """Never: a file beside the server is not out of reach the way a database server may be."""
        return False

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
    def _reader(self) -> Iterator[Db]:
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
        if self.wal_sync is not None:
            self.wal_sync.close()
        with self._lock:
            for conn in self._all_readers:
                conn.close()
            self._all_readers.clear()
