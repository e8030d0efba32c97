"""The SQLite write connection, with group commit for the thread that serves requests.

The server's event loop opens a *batch* around everything it handles in one
turn: every write job of that turn runs in one open transaction, each inside its
own savepoint (a failing job is rolled back alone; a send or an acknowledgement,
which refuses only before it writes, needs none), and the batch commits (and,
when it holds a durable job of a store that syncs, syncs) once when it ends. The
loop writes no reply before that commit, so whatever it acknowledges is durable,
and one fsync pays for every request of the turn. Reads made by the batch's thread while the batch
is open go through the same connection, so they see the batch's own writes.
:attr:`BatchWriter.dependents` counts the jobs of the open batch (and the reads
that saw its uncommitted writes), so the loop can tell which requests a failed
commit took with it.

Any other thread (pruning, tests, tools) may write at any time: its job runs in
a transaction of its own, committed before :meth:`BatchWriter.run` returns. A
lock around the connection keeps the two apart; such a caller waits for the
loop's current batch to commit, never longer.

**Which commits sync.** SQLite fixes a transaction's sync when it begins (``PRAGMA
synchronous`` cannot change inside one), but a turn learns only as it goes whether it
holds anything that must survive a power cut. So a store that syncs opens its write
connection with ``synchronous=NORMAL`` and gives the writer a ``sync``
(:class:`~storage.server.wal_sync.WalSync`), called after the COMMIT of a batch holding
a *durable* job (every job is, unless its caller says otherwise) and before any of its
replies. Jobs that are not durable (acknowledgements, expiry sweeps, pruning: writes a
power cut may only undo into "once more", never into a loss) commit without a sync of
their own; the next synced commit or checkpoint syncs them, and a crash of the process
alone loses none. A sync the disk does not confirm stops the writer for good
(:class:`SyncFailed`): what it committed is visible but perhaps not on the disk, and no
later sync would say so, so no later reply may claim anything.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from storage.server.records import BatchFailed, SyncFailed
from storage.server.sql import SqliteDb

T = TypeVar("T")
__all__ = ["BatchFailed", "BatchWriter", "SyncFailed", "WriterClosed"]


class WriterClosed(RuntimeError):
    """The store is closed; nothing more can be written."""


class BatchWriter:
    def __init__(self, connect: Callable[[], SqliteDb], sync: Callable[[], None] | None = None) -> None:
        """``sync`` makes every commit made so far durable (None: the connection's own setting does)."""
        self._conn = connect()
        self._sync = sync
        self._lock = threading.Lock()
        self._batch_thread: int | None = None
        self._failure: BaseException | None = None
        self._durable = False  # the open batch holds a job that must be synced before its replies
        self._broken: OSError | None = None  # a sync the disk did not confirm: nothing more is written
        self._closed = False
        #: Jobs run in the open batch, and reads that saw its uncommitted writes: the work its commit decides.
        self.dependents = 0

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Writes from this thread inside the block share one commit, made when it ends.

        Raises :class:`BatchFailed` at the end when that commit (or a broken
        transaction before it) lost the block's writes.
        """
        with self._lock:
            self._check_open()
            self._batch_thread = threading.get_ident()
            self._failure = None
            self._durable = False
            self.dependents = 0
            try:
                yield
            finally:
                self._batch_thread = None
                failure = self._finish()
        if self._broken is not None and failure is self._broken:
            raise SyncFailed(_sync_failed(self._broken)) from failure
        if failure is not None:
            raise BatchFailed(f"a batch of writes was not committed: {type(failure).__name__}") from failure

    @property
    def sync_pending(self) -> bool:
        """This thread's open batch, still sound, holds a job its commit will sync before the replies."""
        return (
            self._durable
            and self._sync is not None
            and self._failure is None
            and self._batch_thread == threading.get_ident()
        )

    def reading_connection(self) -> SqliteDb | None:
        """The write connection when the calling thread has a batch open (to read its own writes)."""
        return self._conn if self._batch_thread == threading.get_ident() else None

    def note_read(self) -> None:
        """The batch's thread read through its connection: counted when it saw uncommitted writes."""
        if self._batch_thread == threading.get_ident() and self._conn.in_transaction:
            self.dependents += 1

    def run(self, job: Callable[[SqliteDb], T], *, savepoint: bool = True, durable: bool = True) -> T:
        """Run ``job`` in a write transaction; inside a batch, return before the batch commits.

        Inside a batch each job runs in a savepoint of its own, so a job that fails is rolled
        back alone. A job on the hot path may do without (two statements fewer) if it raises
        only before its first write: one that raises after writing has nothing to roll back
        to, and fails the whole batch instead. A job that is not ``durable`` does not make its
        commit sync (see the module doc): only for writes a power cut may undo harmlessly.
        """
        if self._batch_thread == threading.get_ident():
            self._durable = self._durable or durable
            return self._run_in_batch(job) if savepoint else self._run_bare_in_batch(job)
        with self._lock:
            self._check_open()
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = job(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            if durable and self._sync is not None:
                try:
                    self._sync()
                except OSError as exc:
                    self._broken = exc
                    raise SyncFailed(_sync_failed(exc)) from exc
            return result

    def close(self) -> None:
        """Close the connection once any batch in progress has committed."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def _check_open(self) -> None:
        if self._closed:
            raise WriterClosed("the store is closed")
        if self._broken is not None:
            raise SyncFailed(_sync_failed(self._broken))

    def _transaction(self) -> SqliteDb:
        """The write connection with the batch's transaction open; refused once the batch is broken."""
        self.dependents += 1
        if self._failure is not None:
            raise BatchFailed("an earlier write of this batch broke its transaction") from self._failure
        if not self._conn.in_transaction:
            self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def _run_in_batch(self, job: Callable[[SqliteDb], T]) -> T:
        conn = self._transaction()
        conn.execute("SAVEPOINT job")
        try:
            result = job(conn)
            conn.execute("RELEASE job")
        except BaseException as exc:
            self._undo_job(exc)
            raise
        return result

    def _run_bare_in_batch(self, job: Callable[[SqliteDb], T]) -> T:
        conn = self._transaction()
        changes = conn.total_changes
        try:
            result = job(conn)
        except BaseException as exc:
            # A failed statement undoes itself; the job's earlier writes (or, after some I/O
            # errors, the whole transaction) cannot be undone alone.
            if conn.total_changes != changes or not conn.in_transaction:
                self._failure = exc
            raise
        if not conn.in_transaction:  # the batch's earlier writes went with it; so must the answer
            self._failure = BatchFailed("the transaction ended inside a job")
            raise self._failure
        return result

    def _undo_job(self, exc: BaseException) -> None:
        # Some errors (a full disk, I/O) make SQLite roll back the whole transaction on its own;
        # then the earlier jobs of the batch are lost too, and the batch must report it.
        try:
            self._conn.execute("ROLLBACK TO job")
            self._conn.execute("RELEASE job")
        except sqlite3.Error as undo_error:
            self._failure = undo_error
        if not self._conn.in_transaction and self._failure is None:
            self._failure = exc

    def _finish(self) -> BaseException | None:
        conn = self._conn
        if self._failure is not None:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return self._failure
        if not conn.in_transaction:
            return None
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return exc
        if self._durable and self._sync is not None:
            try:
                self._sync()
            except OSError as exc:
                # Committed, visible, and perhaps not on the disk, and no later sync would tell: no reply
                # may claim it, nor any later one (a repeat would be found "stored"). The writer stops.
                self._broken = exc
                return exc
        return None


def _sync_failed(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    return f"the disk did not confirm a sync of the store ({reason}); nothing more can be acknowledged"
