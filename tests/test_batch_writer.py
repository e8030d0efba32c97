"""The batching writer: results after commit, one failing job alone rolled back, batches under load."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.batch_writer import BatchWriter, WriterClosed


def opener(path: Path, statements: list[str] | None = None) -> Callable[[], sqlite3.Connection]:
    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER UNIQUE)")
        if statements is not None:
            conn.set_trace_callback(statements.append)
        return conn

    return connect


def count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]


def insert(value: int) -> Callable[[sqlite3.Connection], int]:
    return lambda db: db.execute("INSERT INTO t VALUES (?)", (value,)).rowcount


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "db.sqlite3"


def test_a_result_is_returned_after_it_is_committed(path: Path) -> None:
    writer = BatchWriter(opener(path))
    try:
        assert writer.run(insert(1)) == 1
        assert count(path) == 1  # another connection sees it: committed
    finally:
        writer.close()


def test_a_failing_job_is_rolled_back_alone_and_the_batch_commits(path: Path) -> None:
    statements: list[str] = []
    writer = BatchWriter(opener(path, statements))
    gate = threading.Event()
    try:
        writer.run(insert(5))
        held = writer.submit(lambda db: gate.wait(10))
        futures = [writer.submit(insert(v)) for v in (4, 5, 6)]
        gate.set()
        assert held.result(10)
        assert futures[0].result(10) == 1 and futures[2].result(10) == 1
        with pytest.raises(sqlite3.IntegrityError):
            futures[1].result(10)
        assert count(path) == 3
        assert statements.count("ROLLBACK TO job") == 1
    finally:
        writer.close()


def test_jobs_that_arrive_together_share_one_commit(path: Path) -> None:
    statements: list[str] = []
    writer = BatchWriter(opener(path, statements))
    gate = threading.Event()
    try:
        held = writer.submit(lambda db: gate.wait(10))
        futures = [writer.submit(insert(v)) for v in range(50)]
        gate.set()
        held.result(10)
        assert [f.result(10) for f in futures] == [1] * 50
        assert count(path) == 50
        assert statements.count("COMMIT") <= 2  # at most: the held job alone, then all fifty together
    finally:
        writer.close()


def test_close_finishes_what_was_handed_in_then_refuses(path: Path) -> None:
    writer = BatchWriter(opener(path))
    future = writer.submit(insert(1))
    writer.close()
    assert future.result(10) == 1
    with pytest.raises(WriterClosed):
        writer.run(insert(2))


def test_an_unopenable_database_fails_at_construction() -> None:
    def broken() -> sqlite3.Connection:
        raise sqlite3.OperationalError("cannot open")

    with pytest.raises(sqlite3.OperationalError):
        BatchWriter(broken)
