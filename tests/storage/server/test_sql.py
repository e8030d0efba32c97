"""sql: the markers SQLite reads as comments, and SqliteDb's two engine-specific operations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from store_support import ALICE, BOB, register

from storage.server.sql import FOR_UPDATE, SKIP_LOCKED, SqliteDb, returning
from storage.server.store import SqliteServerStore


def test_sqlite_skips_the_markers_and_gives_the_new_id_without_returning() -> None:
    db = sqlite3.connect(":memory:", factory=SqliteDb, isolation_level=None)
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT)")
    assert db.insert("INSERT INTO t (x) VALUES (?)" + returning("id"), ("a",)) == 1
    assert db.insert("INSERT INTO t (x) VALUES (?)" + returning("id"), ("b",)) == 2
    assert db.execute("SELECT x FROM t WHERE id = ?" + FOR_UPDATE, (2,)).fetchone() == ("b",)
    assert db.execute("SELECT x FROM t ORDER BY id LIMIT 1" + SKIP_LOCKED).fetchone() == ("a",)
    db.lock("anything")  # one writer at a time: nothing to hold


def test_the_last_message_id_counts_acknowledged_messages_too(tmp_path: Path) -> None:
    store = SqliteServerStore(tmp_path / "s.sqlite3")
    try:
        register(store, ALICE)
        register(store, BOB, tag="b")
        sent = store.enqueue(ALICE, "c", BOB, b"x", 1, 10)
        store.ack(BOB, [sent.id])
        with store._reader() as db:
            assert db.last_message_id() == sent.id  # gone from the table, never given again
    finally:
        store.close()
