"""The PostgreSQL write connection, with the same group commit as SQLite's :class:`BatchWriter`.

One connection per node writes. The loop's batch is one transaction per turn:
``BEGIN`` at its first job, a savepoint per job, one ``COMMIT`` when the turn
ends, before any reply of the turn is written. Reads of the batch's thread go
through the same connection, so they see the turn's writes. Unlike SQLite, a
failed statement breaks PostgreSQL's transaction until a rollback, so every job
has its savepoint, even those that SQLite runs bare.

Several nodes write at once: a job that lost a deadlock or a serialization check
to another node's transaction is rolled back to its savepoint (the turn's other
jobs stay) and raises :class:`~storage.server.records.StoreBusy`, a refusal the
client may retry. A connection the server dropped (a restart, say) is opened
again on a thread of its own, started by the next use (with a bounded connect
timeout, and no sooner than a second after an attempt failed); until it is ready
every write fails at once with the driver's error, which the store's
``unreachable`` tells: the loop's thread never waits for a connect.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import errors
from psycopg.pq import TransactionStatus

from storage.server.batch_writer import WriterClosed
from storage.server.pg_adapter import PgDb
from storage.server.pg_errors import busy
from storage.server.records import BatchFailed, StoreBusy
from storage.server.sql import Db

T = TypeVar("T")
RETRY_AFTER = 1.0  # seconds after a failed connect before the next: each may take the connect timeout


class PgWriter:
    def __init__(self, connect: Callable[[], psycopg.Connection[Any]]) -> None:
        self._connect = connect
        self._db: PgDb | None = PgDb(connect())
        self._lock = threading.Lock()
        self._batch_thread: int | None = None
        self._failure: BaseException | None = None
        self._closed = False
        self._xact: str | None = None  # the open batch's transaction id, once begun
        self._begun = False  # the open batch's transaction was begun (on the connection it must end on)
        self._retry_at = 0.0  # no connection is tried before then (monotonic seconds)
        self._last_error: BaseException | None = None
        self._fresh_lock = threading.Lock()
        self._fresh: PgDb | None = None  # a connection the background made, for the next use
        self._reconnecting: threading.Thread | None = None
        #: When a connection of this writer was last found lost (monotonic seconds; the readers check theirs
        #: for a while after it).
        self.lost_at = -1e9
        self.dependents = 0
        self._durable = False  # the open turn holds a job that must be flushed before its replies

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Writes from this thread inside the block share one transaction, committed when it ends."""
        with self._lock:
            if self._closed:
                raise WriterClosed("the store is closed")
            self._batch_thread = threading.get_ident()
            self._failure = None
            self._durable = False
            self.dependents = 0
            try:
                yield
            finally:
                self._batch_thread = None
                failure = self._finish()
        if failure is not None:
            raise BatchFailed(f"a batch of writes was not committed: {type(failure).__name__}") from failure

    @property
    def sync_pending(self) -> bool:
        """This thread's open turn, still sound, holds a job its COMMIT must flush before the replies."""
        return self._durable and self._failure is None and self._batch_thread == threading.get_ident()

    def reading_connection(self) -> Db | None:
        """The write connection while this thread's batch has its transaction open (to read its writes)."""
        return self._db if self._batch_thread == threading.get_ident() and self._begun else None

    def idle_connection(self) -> PgDb | None:
        """The write connection while this thread's batch has begun no transaction yet and it is sound: a
        read of the loop's turn goes there (autocommit) instead of waiting for a pooled one."""
        db = self._db
        if self._batch_thread != threading.get_ident() or self._begun or db is None:
            return None
        return None if db.conn.closed or db.conn.broken else db

    @contextmanager
    def turn_read(self) -> Iterator[Db]:
        """A read on the write connection inside this thread's open turn, in a savepoint of its own.

        A read PostgreSQL refuses (a bad value, say) would otherwise leave the turn's transaction
        aborted, and its COMMIT would answer ROLLBACK; a read that meets a lost connection fails the
        turn. Either way the turn never looks committed when it was not.
        """
        db = self._db
        assert db is not None and self._begun and self._batch_thread == threading.get_ident()
        try:
            db.conn.execute("SAVEPOINT turn_read")
        except psycopg.Error as exc:
            self._failure = exc
            raise
        try:
            yield db
        except BaseException as exc:
            try:
                db.conn.execute("ROLLBACK TO turn_read")
                db.conn.execute("RELEASE turn_read")
            except psycopg.Error as undo_error:  # the connection went: the turn's writes with it
                self._failure = exc if isinstance(exc, psycopg.Error) else undo_error
            raise
        try:
            db.conn.execute("RELEASE turn_read")
        except psycopg.Error as exc:
            self._failure = exc
            raise

    def note_read(self) -> None:
        if self._batch_thread == threading.get_ident() and self._begun:
            self.dependents += 1

    def run(self, job: Callable[[Db], T], *, savepoint: bool = True, durable: bool = True) -> T:
        """Run ``job`` in a write transaction; inside a batch in a savepoint, before the batch commits.

        A turn of jobs none of which is ``durable`` commits without waiting for the database's WAL
        flush (``synchronous_commit = off`` for that transaction), as SQLite's skips its sync
        (storage/server/batch_writer.py, "Which commits sync").
        """
        if self._batch_thread == threading.get_ident():
            self._durable = self._durable or durable
            return self._run_in_batch(job)
        with self._lock:
            if self._closed:
                raise WriterClosed("the store is closed")
            db = self._usable()
            db.conn.execute("BEGIN")
            try:
                result = job(db)
                db.conn.execute("COMMIT")
            except BaseException as exc:
                self._rollback(db)
                if busy(exc):
                    raise StoreBusy("another server held what this write needed") from exc
                raise
            return result

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                with self._fresh_lock:
                    self._closed = True
                    fresh, self._fresh = self._fresh, None
                for db in (self._db, fresh):
                    if db is not None:
                        db.conn.close()

    # ------------------------------------------------------------------ inside

    def _usable(self) -> PgDb:
        """The connection; if the server dropped it, the driver's error at once while a new one is made in
        the background (the loop's thread never waits for a connect)."""
        db = self._db
        if db is not None and not db.conn.closed and not db.conn.broken:
            return db
        if db is not None:
            db.conn.close()
            self.lost_at = time.monotonic()
        self._db = None
        with self._fresh_lock:
            fresh, self._fresh = self._fresh, None
        if fresh is not None and not fresh.conn.broken:
            self._db = fresh
            return fresh
        self._start_reconnect()
        raise psycopg.OperationalError("the database is out of reach just now") from self._last_error

    def _start_reconnect(self) -> None:
        if self._reconnecting is not None and self._reconnecting.is_alive():
            return
        if time.monotonic() < self._retry_at:  # a moment ago it failed: no attempt per request
            return
        self._reconnecting = threading.Thread(target=self._reconnect, name="store-reconnect", daemon=True)
        self._reconnecting.start()

    def _reconnect(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:  # a refusal, a timeout, a schema it cannot read: told at the next use
            self._retry_at, self._last_error = time.monotonic() + RETRY_AFTER, exc
            return
        with self._fresh_lock:
            if self._closed:
                conn.close()
            else:
                self._fresh = PgDb(conn)

    def _run_in_batch(self, job: Callable[[Db], T]) -> T:
        self.dependents += 1
        if self._failure is not None:
            raise BatchFailed("an earlier write of this batch broke its transaction") from self._failure
        try:
            if self._begun:  # never a new connection now: the batch's earlier writes died with the old one
                assert self._db is not None
                db = self._db
            else:
                db = self._usable()
                db.conn.execute("BEGIN")
                self._begun = True
                # Its id, to ask after a COMMIT whose answer the connection lost whether it committed.
                row = db.conn.execute("SELECT pg_current_xact_id()::text").fetchone()
                self._xact = str(row[0]) if row else None
            db.conn.execute("SAVEPOINT job")
        except psycopg.Error as exc:
            self._failure = exc
            raise
        try:
            result = job(db)
            db.conn.execute("RELEASE job")
        except BaseException as exc:
            try:
                db.conn.execute("ROLLBACK TO job")
                db.conn.execute("RELEASE job")
            except psycopg.Error as undo_error:  # the connection went: the batch's writes with it
                self._failure = undo_error
                raise exc from undo_error
            if busy(exc):
                raise StoreBusy("another server held what this write needed") from exc
            raise
        return result

    def _finish(self) -> BaseException | None:
        """End the turn's transaction: None when it committed, else why not (the batch fails with it)."""
        begun, self._begun = self._begun, False
        db = self._db
        if self._failure is not None:
            if db is not None:
                self._rollback(db)
            return self._failure
        if not begun:
            return None
        if db is None or db.conn.closed or db.conn.broken:
            # Lost inside the turn (a read may have met it, or nothing did yet): its writes went with it.
            return psycopg.OperationalError("the connection to the database was lost during the turn")
        if db.conn.info.transaction_status == TransactionStatus.INERROR:
            self._rollback(db)  # COMMIT would answer ROLLBACK without raising
            return errors.InFailedSqlTransaction("a statement of the turn broke its transaction")
        try:
            # One round trip either way: the setting rides with the COMMIT it is for.
            commit = "COMMIT" if self._durable else "SET LOCAL synchronous_commit = off; COMMIT"
            cursor = db.conn.execute(commit)
            if not self._durable:
                cursor.nextset()  # the COMMIT's own answer is the second
            status = cursor.statusmessage
        except psycopg.Error as exc:
            if db.conn.broken and self._committed_after_all():
                return None  # the answer was lost, not the commit: its replies hold
            self._rollback(db)
            return exc
        if status != "COMMIT":
            return errors.InFailedSqlTransaction(f"the turn's COMMIT answered {status}")
        return None

    def _committed_after_all(self) -> bool:
        """After a COMMIT whose connection was lost: whether the transaction committed (asked on a new
        connection, which then serves as the write connection). Not known is not committed: the batch
        fails as out of reach, and its requests come again."""
        xact, self._xact = self._xact, None
        if xact is None:
            return False
        try:
            conn = self._connect()
        except Exception:  # whatever kept it from connecting: not known
            return False
        try:
            row = conn.execute("SELECT pg_xact_status(%s::xid8)", (xact,)).fetchone()
        except psycopg.Error:
            conn.close()
            return False
        if self._db is not None:
            self._db.conn.close()
        self._db = PgDb(conn)
        return bool(row and row[0] == "committed")

    @staticmethod
    def _rollback(db: PgDb) -> None:
        if db.conn.closed or db.conn.broken:
            return
        try:
            if db.conn.info.transaction_status != TransactionStatus.IDLE:
                db.conn.execute("ROLLBACK")
        except psycopg.Error:
            pass  # lost with the connection: the server rolled it back
