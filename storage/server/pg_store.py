"""The server's store on PostgreSQL: the same operations as the SQLite store, for several server processes.

:class:`PostgresServerStore` runs the shared SQL of :class:`~storage.server.base_store.ServerStoreBase`
through psycopg 3 (``storage/server/pg_adapter.py``). Each node has one write
connection for its group commit (``storage/server/pg_writer.py``: one transaction per
loop turn, a savepoint per job, the turn's reads on that connection) and a
``psycopg_pool.ConnectionPool`` for reads outside a turn, which checks a connection
before lending it. Everything is shared through the database: accounts, devices,
codes, locks, prekeys, queues, sent records, rate events, blobs with their bytes
(``storage/server/pg_blobs.py``), expiry.

Several writers: a queue's message ids grow in commit order (a copy's count locks the
queue's row before the id is drawn, to the commit); a one-time prekey is taken with
``FOR UPDATE SKIP LOCKED``, so two nodes never hand out the same one; a second node's
same send waits on an advisory lock for the first's commit, then finds the duplicate;
a deadlock or serialization failure costs its job only (:class:`StoreBusy`).

Out of reach: a connection the server dropped is opened again at its next use
(``connect_timeout`` seconds at most per attempt); meanwhile the store raises the
driver's errors, which :meth:`PostgresServerStore.unreachable` recognises. Room: the
:class:`PgSpace` is full when PostgreSQL refused a write for lack of resources
(SQLSTATE class 53, 53100 ``disk_full``) and leaves that state when a write works again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg_pool

from storage.server import pg_errors, pg_schema
from storage.server.base_store import ServerStoreBase
from storage.server.counters import RateEvents
from storage.server.pg_adapter import PgDb
from storage.server.pg_blobs import BlobPieces
from storage.server.pg_writer import PgWriter
from storage.server.records import StoreUnavailable
from storage.server.sql import Db

log = logging.getLogger("parley.store")
CONNECT_TIMEOUT = 3.0
#: A job waits this long for a lock another node holds, then is refused as busy (the loop waits with it).
LOCK_TIMEOUT_MS = 2000
#: A node that hangs inside a transaction (its loop stuck) lets go of its locks after this.
IDLE_IN_TRANSACTION_MS = 30_000
#: A connection whose peer went silent (a machine gone, a cable cut) is found dead within seconds, not the
#: kernel's two hours: keepalives every few seconds, and unacknowledged data given up after 10 s.
KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
}
CHECK_INTERVAL = 1.0  # seconds between writes that look for room again while full


def shown(url: str) -> str:
    """The url without a password, for logs and errors (never the url itself: it may hold one)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(an unreadable url)"
    host, port, name = info.get("host", ""), info.get("port", ""), info.get("dbname", "")
    return f"{host}:{port}/{name}" if port else f"{host}/{name}"


class PgSpace:
    """The full state of a PostgreSQL store: entered when a write found no room, left when one works again."""

    def __init__(self, probe: Callable[[], None], clock: Callable[[], float] = time.monotonic) -> None:
        self.full = False
        self._probe = probe
        self._clock = clock
        self._next_check = 0.0
        self._lock = threading.Lock()
        self._probing: threading.Thread | None = None
        self._wrote = False  # the last probe's write worked

    def met_full(self, what: str) -> None:
        if not self.full:
            self.full = True
            self._next_check = self._clock() + CHECK_INTERVAL
            log.error(
                "storage: the database has no room (%s): refusing new messages, registrations and prekeys"
                " with storage_full until a write works again; login, fetch and ack go on",
                what,
            )

    def check_due(self) -> bool:
        return self.full and self._clock() >= self._next_check

    def check(self) -> bool:
        """Leave the full state if the last probe's write worked; else start one (on a thread of its own:
        the loop calls this, and a database out of reach may take the connect timeout to say so)."""
        if not self.full:
            return False
        self._next_check = self._clock() + CHECK_INTERVAL
        with self._lock:
            if self._wrote:
                self._wrote = False
                self.full = False
                log.warning("storage: the database takes writes again: accepting every write again")
                return True
            if self._probing is None or not self._probing.is_alive():
                self._probing = threading.Thread(
                    target=self._try_write, name="store-space-probe", daemon=True
                )
                self._probing.start()
        return False

    def _try_write(self) -> None:
        try:
            self._probe()
        except (psycopg.Error, psycopg_pool.PoolTimeout):
            return
        with self._lock:
            self._wrote = True


class PostgresServerStore(ServerStoreBase):
    _writer: PgWriter

    def __init__(self, url: str, *, readers: int = 8, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self.url = url
        self._timeout = connect_timeout
        self._name = shown(url)
        try:
            self._writer = PgWriter(self._open_writer)
        except psycopg.Error as exc:
            raise StoreUnavailable(f"cannot open the database {self._name}: {_reason(exc)}") from exc
        self._pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=readers,
            kwargs={"autocommit": True, "connect_timeout": max(1, round(connect_timeout)), **KEEPALIVES},
            check=psycopg_pool.ConnectionPool.check_connection,
            timeout=connect_timeout,
            # No retries in the background with growing pauses: the next read that finds no connection
            # asks for a new one, so a database that restarted is found at once.
            reconnect_timeout=0,
            name="parley-readers",
            open=True,
        )
        self.space = PgSpace(self._probe)
        self.rate_events = RateEvents(self._writer, self._reader, shared=True)
        self.blob_files = BlobPieces(self._pool.connection)

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.Connection.connect(
            self.url, autocommit=True, connect_timeout=max(1, round(self._timeout)), **KEEPALIVES
        )

    def _open_writer(self) -> psycopg.Connection[Any]:
        conn = self._connect()
        try:
            found = pg_schema.upgrade(conn, self._name)  # waits for another node's upgrade: no timeout yet
            # Set by statement, not in the url's options: an operator's own options stay as given.
            conn.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
            conn.execute(f"SET idle_in_transaction_session_timeout = {IDLE_IN_TRANSACTION_MS}")
        except BaseException:
            conn.close()
            raise
        if 0 < found < pg_schema.VERSION:
            log.info("%s: upgraded from schema version %d to %d", self._name, found, pg_schema.VERSION)
        return conn

    @contextmanager
    def _reader(self) -> Iterator[Db]:
        if self._writer.reading_connection() is not None:
            with self._writer.turn_read() as db:  # a savepoint: a failed read never breaks the turn silently
                yield db
            return
        with self._pool.connection() as conn:
            yield PgDb(conn)

    def _probe(self) -> None:
        with self._pool.connection() as conn:
            conn.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")

    def lacks_room(self, error: BaseException | None) -> bool:
        """Whether ``error`` (or its cause) is PostgreSQL refusing a write for lack of room (class 53)."""
        return pg_errors.lacks_room(error)

    def unreachable(self, error: BaseException | None) -> bool:
        """Whether ``error`` (or its cause) is the database out of reach: refused, lost, shutting down."""
        return pg_errors.unreachable(error)

    def close(self) -> None:
        self.blob_files.close()
        self._writer.close()
        self._pool.close()


def _reason(error: psycopg.Error) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
