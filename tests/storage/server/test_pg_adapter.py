"""pg_adapter: the shared SQL translated for PostgreSQL once per statement text, and PgDb on a real server."""

from __future__ import annotations

import psycopg

from storage.server.pg_adapter import PgDb, translate
from storage.server.sql import FOR_UPDATE, SKIP_LOCKED, returning


def test_placeholders_and_markers_become_postgresql_s() -> None:
    assert translate("SELECT a FROM t WHERE b = ? AND c = ?") == "SELECT a FROM t WHERE b = %s AND c = %s"
    assert translate("SELECT 1" + FOR_UPDATE) == "SELECT 1 FOR UPDATE"
    assert translate("SELECT 1 LIMIT 1" + SKIP_LOCKED) == "SELECT 1 LIMIT 1 FOR UPDATE SKIP LOCKED"
    assert translate("INSERT INTO t VALUES (?)" + returning("id")) == "INSERT INTO t VALUES (%s) RETURNING id"
    assert translate("SELECT '5%'") == "SELECT '5%%'"  # a literal percent stays one


def test_a_statement_is_translated_once() -> None:
    sql = "SELECT ? -- cached"
    translate(sql)
    hits = translate.cache_info().hits
    translate(sql)
    assert translate.cache_info().hits == hits + 1


def test_pgdb_runs_the_shared_sql(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        db = PgDb(conn)
        db.execute("CREATE SEQUENCE message_ids")
        db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY DEFAULT nextval('message_ids'), x TEXT)")
        assert db.last_message_id() == 0
        assert db.insert("INSERT INTO t (x) VALUES (?)" + returning("id"), ("a",)) == 1
        db.executemany("INSERT INTO t (x) VALUES (?)", [("b",), ("c",)])
        assert db.last_message_id() == 3
        assert [row[0] for row in db.execute("SELECT x FROM t WHERE id > ? ORDER BY id", (1,))] == ["b", "c"]
        assert db.execute("DELETE FROM t WHERE x = ?", ("c",)).rowcount == 1


def test_a_lock_is_held_to_the_end_of_the_transaction(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as one, psycopg.connect(postgres_url) as two:
        one.execute("BEGIN")
        PgDb(one).lock("sent c1 +1 +2")
        two.execute("SET lock_timeout = '200ms'")
        try:
            PgDb(two).lock("sent c1 +1 +2")
            raise AssertionError("the second took a lock the first holds")
        except psycopg.errors.LockNotAvailable:
            two.rollback()
        one.execute("COMMIT")
        PgDb(two).lock("sent c1 +1 +2")  # free once the first committed
