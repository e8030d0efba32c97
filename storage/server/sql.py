"""The SQL the server store's jobs run, written once for SQLite and PostgreSQL, and what runs it.

Every job of ``storage/server/*.py`` takes a :class:`Db`: on SQLite the
``sqlite3`` connection itself (a :class:`SqliteDb`, a subclass that adds only the two
engine-specific operations below, so that every ``execute`` is SQLite's own, with
no wrapper in between), on PostgreSQL a thin adapter (``storage/server/pg_adapter.py``).
The statements keep to what both engines read alike: ``?`` placeholders (the adapter
turns them into ``%s``), ``ON CONFLICT``, ``RETURNING``, ``COALESCE``, integer flags
compared with ``= 0`` / ``<> 0``, every selected column grouped or aggregated.

Row locks that matter only with several writers are written as markers, SQL comments
that SQLite skips (it has one writer at a time) and the adapter turns into the clause:
:data:`FOR_UPDATE` for a read whose row is then written, :data:`SKIP_LOCKED` for taking
one of many rows that two nodes may want at once (a one-time prekey).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

#: Lock the rows read until the commit (PostgreSQL); nothing on SQLite, whose writer is alone.
FOR_UPDATE = " /*pg: FOR UPDATE*/"
#: Lock the rows read and skip those another transaction holds (PostgreSQL); nothing on SQLite.
SKIP_LOCKED = " /*pg: FOR UPDATE SKIP LOCKED*/"


def returning(column: str) -> str:
    """The end of an INSERT whose new key :meth:`Db.insert` gives (SQLite reads it without a RETURNING)."""
    return f" /*pg: RETURNING {column}*/"


class Statement(Protocol):
    """What a job reads from a statement it ran."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Db(Protocol):
    """A connection as a job sees it: statements, and the two things the engines do differently."""

    def execute(self, sql: str, parameters: Any = (), /) -> Statement: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Statement: ...

    #: Whether other servers write to the same database at once (so :meth:`lock` does something).
    shared: bool

    def insert(self, sql: str, parameters: Any, /) -> int:
        """Run an INSERT of one row whose SQL ends with :func:`returning` its key; that new key."""

    def lock(self, key: str) -> None:
        """Hold ``key`` until the transaction ends, against other writers of the same key (several nodes)."""

    def one_of(self, values: Sequence[int]) -> tuple[str, tuple[Any, ...]]:
        """A condition's end that matches any of ``values``, with its parameters: ``IN (?, …)`` on SQLite,
        ``= ANY(?)`` with one array on PostgreSQL (one statement text for every count: prepared once)."""

    def try_lock(self, key: str) -> bool:
        """Take ``key`` to the transaction's end unless another writer holds it; whether it was taken.

        For maintenance one server does at a time: the sweeps, pruning."""

    def last_message_id(self) -> int:
        """The highest message id ever given (0 before the first): ids are never given twice."""


class Writer(Protocol):
    """The store's write side: group commit of one loop turn, and jobs (see ``batch_writer.py``)."""

    dependents: int

    def batch(self) -> AbstractContextManager[None]: ...

    def run(self, job: Callable[[Db], T], *, savepoint: bool = True, durable: bool = True) -> T: ...

    @property
    def sync_pending(self) -> bool: ...

    def reading_connection(self) -> Db | None: ...

    def note_read(self) -> None: ...

    def close(self) -> None: ...


Reader = Callable[[], AbstractContextManager[Db]]


class SqliteDb(sqlite3.Connection):
    """A ``sqlite3`` connection (``factory=SqliteDb``) with the two operations of :class:`Db` SQLite adds.

    One writer at a time holds the file (``BEGIN IMMEDIATE``), so :meth:`lock` has nothing to do.
    """

    shared = False

    def insert(self, sql: str, parameters: Any, /) -> int:
        row_id = self.execute(sql, parameters).lastrowid  # SQLite's own, cheaper than RETURNING
        assert row_id is not None
        return row_id

    def lock(self, key: str) -> None:
        return None

    def try_lock(self, key: str) -> bool:
        return True

    def one_of(self, values: Sequence[int]) -> tuple[str, tuple[Any, ...]]:
        return f"IN ({','.join('?' * len(values))})", tuple(values)

    def last_message_id(self) -> int:
        row = self.execute("SELECT seq FROM sqlite_sequence WHERE name = 'messages'").fetchone()
        return int(row[0]) if row else 0
