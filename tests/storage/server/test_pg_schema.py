"""pg_schema: step 1 makes the whole current shape; nodes starting at once upgrade once; newer is refused."""

from __future__ import annotations

import threading

import psycopg
import pytest

from storage.server import pg_schema
from storage.server.records import SchemaMismatch

TABLES = {
    "meta", "accounts", "pending_codes", "guards", "devices", "device_keys", "one_time_prekeys",
    "kem_prekeys", "queues", "sender_queues", "messages", "sent", "rate_events", "blobs", "blob_pieces",
}  # fmt: skip


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def test_a_new_database_gets_every_table_and_the_version(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert pg_schema.upgrade(conn, "test") == 0
        assert pg_schema.database_version(conn) == pg_schema.VERSION
        assert pg_schema.upgrade(conn, "test") == pg_schema.VERSION  # nothing more to do
    assert tables(postgres_url) == TABLES


def test_three_nodes_starting_at_once_upgrade_once(postgres_url: str) -> None:
    found: list[int | BaseException] = []
    start = threading.Barrier(3)

    def node() -> None:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            start.wait(10)
            try:
                found.append(pg_schema.upgrade(conn, "test"))
            except BaseException as exc:
                found.append(exc)

    threads = [threading.Thread(target=node) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(isinstance(f, int) for f in found), found
    assert sorted(f for f in found if isinstance(f, int)) == [0, pg_schema.VERSION, pg_schema.VERSION]


@pytest.mark.parametrize(
    ("value", "words"), [("99", "schema version 99"), ("x", "no readable schema version")]
)
def test_a_newer_or_unreadable_version_is_refused_and_nothing_changes(
    postgres_url: str, value: str, words: str
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        pg_schema.upgrade(conn, "test")
        conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (value,))
        with pytest.raises(SchemaMismatch, match=words):
            pg_schema.upgrade(conn, "the test database")
        assert conn.execute("SELECT value FROM meta").fetchone() == (value,)
