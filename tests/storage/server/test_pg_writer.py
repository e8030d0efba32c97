"""pg_writer: the group commit on PostgreSQL: a savepoint per job, one commit per batch, a new connection
only between batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from storage.server.batch_writer import WriterClosed
from storage.server.pg_writer import PgWriter
from storage.server.records import BatchFailed
from storage.server.sql import Db


@pytest.fixture
def writer(postgres_url: str) -> Iterator[PgWriter]:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        # Deferred: a duplicate is found only by the commit.
        conn.execute("CREATE TABLE t (x INTEGER UNIQUE DEFERRABLE INITIALLY DEFERRED)")
    made = PgWriter(lambda: psycopg.connect(postgres_url, autocommit=True))
    yield made
    made.close()


def insert(x: int) -> Any:
    def job(db: Db) -> None:
        db.execute("INSERT INTO t VALUES (?)", (x,))
        if x < 0:
            raise ValueError("a refusal after a write")

    return job


def rows(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT x FROM t ORDER BY x")]


def test_a_refused_job_is_undone_alone_and_the_batch_commits_once(
    writer: PgWriter, postgres_url: str
) -> None:
    with writer.batch():
        assert writer.reading_connection() is None  # nothing written yet: reads go elsewhere
        writer.run(insert(1), savepoint=False)  # a savepoint all the same: PostgreSQL needs one
        with pytest.raises(ValueError):
            writer.run(insert(-1))
        writer.run(insert(2))
        assert writer.reading_connection() is not None
        assert rows(postgres_url) == []  # not committed before the batch ends
        assert writer.dependents == 3
    assert rows(postgres_url) == [1, 2]


def test_a_failed_commit_is_batch_failed_and_keeps_nothing(writer: PgWriter, postgres_url: str) -> None:
    with pytest.raises(BatchFailed), writer.batch():
        writer.run(insert(5))
        writer.run(insert(5))
    assert rows(postgres_url) == []
    writer.run(insert(6))  # the next transaction is fine
    assert rows(postgres_url) == [6]


def test_outside_a_batch_a_job_commits_and_a_dropped_connection_is_made_again(
    writer: PgWriter, postgres_url: str
) -> None:
    writer.run(insert(1))
    assert rows(postgres_url) == [1]
    own = writer.reading_connection()
    assert own is None
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    with pytest.raises(psycopg.OperationalError):
        writer.run(insert(2))  # finds the connection gone
    writer.run(insert(3))  # on a new one
    assert rows(postgres_url) == [1, 3]


def test_a_closed_writer_refuses(writer: PgWriter) -> None:
    writer.close()
    with pytest.raises(WriterClosed):
        writer.run(insert(1))
    with pytest.raises(WriterClosed), writer.batch():
        pass


def test_a_turn_whose_transaction_broke_unseen_fails_instead_of_committing_nothing(
    writer: PgWriter, postgres_url: str
) -> None:
    with pytest.raises(BatchFailed), writer.batch():
        writer.run(insert(1))
        own = writer.reading_connection()
        assert own is not None
        with pytest.raises(psycopg.errors.DivisionByZero):
            own.execute("SELECT 1 / 0")  # outside any savepoint: the whole transaction is aborted
    assert rows(postgres_url) == []
    writer.run(insert(2))
    assert rows(postgres_url) == [2]
