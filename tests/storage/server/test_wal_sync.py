"""The store's own sync of its write-ahead log: after the turns that hold a durable write, and only those."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from store_support import register

from storage.server.store import SqliteServerStore
from storage.server.wal_sync import WalSync

NOW = 1_000_000


def test_it_syncs_the_log_beside_the_database_and_closes_it(tmp_path: Path) -> None:
    database = tmp_path / "server.sqlite3"
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (v)")
    sync = WalSync(database)
    assert sync.path == tmp_path / "server.sqlite3-wal" and "server.sqlite3-wal" in repr(sync)
    sync()
    sync()
    assert sync.syncs == 2
    fds = len(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").exists() else None
    sync.close()
    if fds is not None:
        assert len(os.listdir("/proc/self/fd")) == fds - 1  # the one file it kept open
    sync.close()  # twice is harmless
    conn.close()


def test_a_missing_log_is_an_error_in_words(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        WalSync(tmp_path / "nothing.sqlite3")()


@pytest.fixture
def store(tmp_path: Path) -> SqliteServerStore:
    s = SqliteServerStore(tmp_path / "server.sqlite3")
    yield s  # type: ignore[misc]
    s.close()


def test_the_connection_never_syncs_a_commit_itself(store: SqliteServerStore) -> None:
    with store._writer.batch():  # the write connection's own setting is the point here
        conn = store._writer.reading_connection()
        assert conn is not None
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL; the sync is WalSync's


def test_a_send_syncs_its_turn_and_a_turn_of_acknowledgements_does_not(store: SqliteServerStore) -> None:
    register(store, "+441234000001")
    register(store, "+441234000002")
    assert store.wal_sync is not None
    before = store.wal_sync.syncs
    with store.group_commit():
        first = store.enqueue("+441234000001", "m-1", "+441234000002", b"body", NOW, 100)
        store.enqueue("+441234000001", "m-2", "+441234000002", b"body", NOW, 100)
    assert store.wal_sync.syncs == before + 1  # one sync for the turn, after its commit
    with store.group_commit():
        assert store.ack("+441234000002", [first.id]) == 1
    assert store.wal_sync.syncs == before + 1  # acknowledgements alone: committed, not synced
    with store.group_commit():
        store.ack("+441234000002", [first.id + 1])
        store.enqueue("+441234000002", "m-3", "+441234000001", b"body", NOW, 100)
    assert store.wal_sync.syncs == before + 2  # with a send: synced, the acknowledgement with it
    assert store.queued_count("+441234000002") == 0


def test_a_store_that_does_not_sync_has_no_wal_sync(tmp_path: Path) -> None:
    store = SqliteServerStore(tmp_path / "server.sqlite3", synchronous="NORMAL")
    assert store.wal_sync is None
    store.close()
