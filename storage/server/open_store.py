"""The one place that picks the server store's engine: an SQLite file in the data directory, or PostgreSQL.

Without a target the store is the SQLite file ``server.sqlite3`` in the data
directory, as a single server has always had it; a ``postgresql://`` url picks
:class:`~storage.server.pg_store.PostgresServerStore`, the store several server
processes share. Anything else is refused in words (:func:`check_target`). The
PostgreSQL driver is imported only for a PostgreSQL store.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from storage.server.interface import ServerStore
from storage.server.store import SqliteServerStore

log = logging.getLogger("parley.store")
STORE_FILE = "server.sqlite3"
_SCHEMES = ("postgresql://", "postgres://")


def check_target(target: str) -> str:
    """The url, if it names a PostgreSQL database; ValueError with a sentence for the operator if not.

    No error repeats the url, nor the driver's reading of it: it may hold a password.
    """
    if not target.startswith(_SCHEMES):
        raise ValueError(
            "--store takes a PostgreSQL url such as postgresql://USER@HOST:PORT/DATABASE"
            " (without --store the server keeps its SQLite file in the data directory)"
        )
    import psycopg  # only for a PostgreSQL store: a single SQLite server never loads the driver

    try:
        info = psycopg.conninfo.conninfo_to_dict(target)
    except psycopg.ProgrammingError:
        raise ValueError(
            "--store: the url cannot be read: it must be postgresql://USER@HOST:PORT/DATABASE, with"
            " only libpq's parameters after a '?'"
        ) from None
    if not info.get("host"):
        raise ValueError("--store: the url names no host (postgresql://USER@HOST:PORT/DATABASE)")
    if not info.get("dbname"):
        raise ValueError("--store: the url names no database (postgresql://USER@HOST:PORT/DATABASE)")
    if info.get("password"):
        log.warning(
            "--store: the url holds a password, which every user of this machine can read in the process"
            " list; prefer a password file (PGPASSFILE, ~/.pgpass), PGPASSWORD or a service file"
        )
    return target


def open_store(target: str | None, data_dir: Path, **sqlite_options: Any) -> ServerStore:
    """The store ``target`` names (None: the SQLite file in ``data_dir``, opened with ``sqlite_options``)."""
    if target is None:
        return SqliteServerStore(data_dir / STORE_FILE, **sqlite_options)
    url = check_target(target)
    from storage.server.pg_store import PostgresServerStore  # the driver only when it is asked for

    return PostgresServerStore(url)
