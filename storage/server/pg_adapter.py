"""The shared SQL of the server store run on a psycopg 3 connection: a thin :class:`~storage.server.sql.Db`.

The statements are written once, for SQLite's ``sqlite3`` (``storage/server/sql.py``);
here each statement text is translated once and the translation cached: ``?``
placeholders become ``%s`` (a literal ``%`` is doubled), and the markers SQLite skips
(``/*pg: FOR UPDATE SKIP LOCKED*/``, ``/*pg: RETURNING id*/``) become their clauses.
psycopg prepares a statement on the server once it has run a few times, so the
shared statements cost no parsing per call either.

:meth:`PgDb.lock` is a transaction-level advisory lock on a hash of the key, held to
the commit: what makes a second node's same send wait for the first's commit, then
find it a duplicate.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

import psycopg

from storage.server.sql import Statement

_MARKER = re.compile(r"/\*pg: (.*?)\*/")


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """The statement as PostgreSQL reads it (cached per statement text)."""
    return _MARKER.sub(r"\1", sql.replace("%", "%%").replace("?", "%s"))


class PgDb:
    """A psycopg connection seen as a :class:`~storage.server.sql.Db`."""

    __slots__ = ("conn",)
    shared = True

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Any = (), /) -> Statement:
        return self.conn.execute(translate(sql), parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Statement:
        cursor = self.conn.cursor()
        cursor.executemany(translate(sql), parameters)
        return cursor

    def insert(self, sql: str, parameters: Any, /) -> int:
        row = self.conn.execute(translate(sql), parameters).fetchone()
        assert row is not None
        return int(row[0])

    def lock(self, key: str) -> None:
        self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))

    def try_lock(self, key: str) -> bool:
        sql = "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))"
        row = self.conn.execute(sql, (key,)).fetchone()
        return bool(row and row[0])

    def last_message_id(self) -> int:
        row = self.conn.execute(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM message_ids"
        ).fetchone()
        return int(row[0]) if row else 0
