"""One writer thread that owns the SQLite write connection and commits in batches.

Callers hand it a job (a function of the connection) and block until the
transaction that ran it is committed. When many jobs arrive together, the writer
runs them all in one transaction, each inside its own savepoint so that one
failing job is rolled back alone, and pays for one commit (and one fsync) for the
lot. Throughput grows with load instead of being capped by the disk's sync rate.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]

log = logging.getLogger(__name__)


class WriterClosed(RuntimeError):
    """The store is closed; nothing more can be written."""


class BatchWriter:
    def __init__(self, connect: Callable[[], sqlite3.Connection], *, max_batch: int = 512) -> None:
        self._connect = connect
        self._max_batch = max_batch
        self._jobs: queue.SimpleQueue[tuple[Job, Future[Any]] | None] = queue.SimpleQueue()
        self._closed = threading.Event()
        self._ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()
        self._ready.result()  # surfaces an error opening the database here, in the caller

    def submit(self, job: Callable[[sqlite3.Connection], T]) -> Future[T]:
        """Queue ``job``; the future resolves once the transaction that ran it is committed."""
        if self._closed.is_set():
            raise WriterClosed("the store is closed")
        future: Future[T] = Future()
        self._jobs.put((job, future))
        return future

    def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``job`` in a write transaction; return its result once that transaction is committed."""
        return self.submit(job).result()

    def close(self) -> None:
        """Finish the jobs already handed in, then stop."""
        if not self._closed.is_set():
            self._closed.set()
            self._jobs.put(None)
            self._thread.join()

    def _run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        stopping = False
        try:
            while not stopping:
                item = self._jobs.get()
                batch: list[tuple[Job, Future[Any]]] = []
                while item is not None:
                    batch.append(item)
                    if len(batch) >= self._max_batch:
                        break
                    try:
                        item = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                stopping = item is None
                if batch:
                    self._commit(conn, batch)
        finally:
            conn.close()
            self._refuse_leftovers()

    def _refuse_leftovers(self) -> None:
        while True:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                item[1].set_exception(WriterClosed("the store is closed"))

    def _commit(self, conn: sqlite3.Connection, batch: list[tuple[Job, Future[Any]]]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job, _ in batch:
                conn.execute("SAVEPOINT job")
                try:
                    outcomes.append((True, job(conn)))
                except Exception as exc:
                    conn.execute("ROLLBACK TO job")
                    outcomes.append((False, exc))
                conn.execute("RELEASE job")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error("store: a batch of %d writes failed to commit: %s", len(batch), type(exc).__name__)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
