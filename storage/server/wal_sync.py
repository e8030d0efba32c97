"""Syncing an SQLite database's write-ahead log from outside SQLite, after a commit that must be durable.

SQLite decides whether a commit syncs when its transaction begins, but the server's loop learns only
as a turn goes on whether the turn holds a write that must survive a power cut (a send) or only ones
that may be undone into "once more" (acknowledgements). So the store's write connection runs with
``synchronous=NORMAL`` — in WAL mode always consistent, and the log synced before every checkpoint
copies it into the database — and the writer calls a :class:`WalSync` after the COMMIT of a turn that
needs it, before any of its replies. ``fdatasync`` on the log then makes that commit, and every one
before it, as durable as ``synchronous=FULL`` would have (NORMAL still syncs the log's header when it
is reused after a checkpoint, and the folder when it is made). Two differences, both harmless: the
server's other threads may see such a commit a moment before its sync (FULL syncs before it publishes
one), and a sync that fails finds the commit already visible, so the writer then stops for good
(:class:`~storage.server.records.SyncFailed`) rather than answer anything after it.

The file is opened once, when first synced, and kept: SQLite keeps the same log file (truncating or
rewriting it from its start after a checkpoint, never replacing it) for as long as the write connection
is open, and the store closes this one with that connection.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

#: fdatasync where the system has it (Linux); elsewhere fsync, which syncs the metadata too.
_datasync = getattr(os, "fdatasync", os.fsync)


class WalSync:
    """Syncs the write-ahead log of the database at ``database``."""

    __slots__ = ("path", "_fd", "_lock", "syncs")

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + "-wal")
        self._fd: int | None = None
        self._lock = threading.Lock()
        self.syncs = 0  # how many times it synced: the tests and the bench read it

    def __repr__(self) -> str:
        return f"WalSync({self.path.name!r})"

    def __call__(self) -> None:
        """Make every commit so far durable. Raises OSError when the disk does not say it is."""
        with self._lock:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR)  # the log exists: a commit has just written it
            _datasync(self._fd)
            self.syncs += 1

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
