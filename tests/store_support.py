"""Shared by the server store's tests: a store on a real SQLite file or PostgreSQL database (``store_kind``),
test keys, and registering."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest

from net.bench.engines.postgres import binaries
from storage.server.interface import ServerStore
from storage.server.open_store import open_store
from storage.server.store import AccountKeys, CodeCheck, Registration, SqliteServerStore

ALICE, BOB = "+442079460001", "+442079460002"
HASH, OTHER = b"h" * 32, b"x" * 32
TOKEN, STRANGER = b"t" * 32, b"s" * 32  # hashes of two requesters' tokens
NOW = 1_000_000
HOUR = 3600 * 1000


def keys(tag: str = "a", one_time: int = 2, kem: int = 2) -> AccountKeys:
    return AccountKeys(
        identity={"sign": tag},
        signed_prekey={"id": 1, "tag": tag},
        kem_last_resort={"id": 9, "last_resort": True, "tag": tag},
        one_time_prekeys=[(i, {"id": i, "tag": tag}) for i in range(1, one_time + 1)],
        kem_prekeys=[(i, {"id": i, "last_resort": False, "tag": tag}) for i in range(10, 10 + kem)],
    )


#: Opens the test's store, again each time it is called: the same file or database, as a restart would.
OpenStore = Callable[..., ServerStore]


@pytest.fixture
def open_test_store(tmp_path: Path, store_target: Callable[[Path], str | None]) -> Iterator[OpenStore]:
    """Keywords go to the SQLite store (``max_bytes``, ``reserve``, ...); every store opened is closed."""
    opened: list[ServerStore] = []

    def open_again(**sqlite_options: Any) -> ServerStore:
        opened.append(open_store(store_target(tmp_path), tmp_path, **sqlite_options))
        return opened[-1]

    yield open_again
    for s in opened:
        s.close()


@pytest.fixture
def store(open_test_store: OpenStore) -> ServerStore:
    """The test's store: ``server.sqlite3`` in its temporary folder, or a PostgreSQL database of its own."""
    return open_test_store()


def rows(store: ServerStore, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """A read straight from the store's database, past the store, to see what it keeps (``?`` for values)."""
    if isinstance(store, SqliteServerStore):
        with closing(sqlite3.connect(store.path)) as db:
            return db.execute(sql, params).fetchall()
    with psycopg.connect(store.url, autocommit=True) as conn:
        return [tuple(row) for row in conn.execute(sql.replace("?", "%s"), params).fetchall()]


def dump(store: ServerStore) -> str:
    """Everything the store's database holds, as text (SQLite's iterdump, or pg_dump of the database)."""
    if isinstance(store, SqliteServerStore):
        with closing(sqlite3.connect(store.path)) as db:
            return "\n".join(db.iterdump())
    folder = binaries()
    program = str(folder / "pg_dump") if folder else "pg_dump"
    done = subprocess.run([program, "--data-only", store.url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def put(
    store: ServerStore,
    phone: str,
    code_hash: bytes = HASH,
    *,
    token: bytes = TOKEN,
    expires_at: int = NOW + 600_000,
    attempts: int = 5,
    email: str = "x@example.org",
    cap: int = 10,
) -> None:
    store.put_code(token, phone, email, code_hash, NOW, expires_at, attempts, cap)


def finish(
    store: ServerStore,
    phone: str,
    code_hash: bytes = HASH,
    account_keys: AccountKeys | None = None,
    *,
    token: bytes = TOKEN,
    now: int = NOW,
) -> Registration:
    return store.finish_registration(token, phone, code_hash, now, account_keys or keys(), keep_lock=False)


def register(store: ServerStore, phone: str, tag: str = "a", **kwargs: int) -> None:
    put(store, phone)
    assert finish(store, phone, HASH, keys(tag, **kwargs)).outcome is CodeCheck.ACCEPTED
