"""The write connection: one commit per batch, one failing job rolled back alone, other threads served."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage.server.batch_writer import BatchFailed, BatchWriter, SyncFailed, WriterClosed


def opener(path: Path, statements: list[str] | None = None) -> Callable[[], sqlite3.Connection]:
    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER UNIQUE)")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS child (v INTEGER REFERENCES t (v) DEFERRABLE INITIALLY DEFERRED)"
        )
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


@pytest.fixture
def statements() -> list[str]:
    return []


@pytest.fixture
def writer(path: Path, statements: list[str]) -> Iterator[BatchWriter]:
    w = BatchWriter(opener(path, statements))
    yield w
    w.close()


def test_outside_a_batch_a_result_is_returned_after_its_commit(writer: BatchWriter, path: Path) -> None:
    assert writer.run(insert(1)) == 1
    assert count(path) == 1  # another connection sees it: committed


def test_a_batch_commits_once_at_its_end(writer: BatchWriter, path: Path, statements: list[str]) -> None:
    with writer.batch():
        assert [writer.run(insert(v)) for v in range(50)] == [1] * 50
        assert count(path) == 0  # nothing is visible (or acknowledged) before the commit
    assert count(path) == 50
    assert statements.count("COMMIT") == 1


def test_a_failing_job_is_rolled_back_alone(writer: BatchWriter, path: Path, statements: list[str]) -> None:
    writer.run(insert(5))
    with writer.batch():
        writer.run(insert(4))
        with pytest.raises(sqlite3.IntegrityError):
            writer.run(insert(5))
        writer.run(insert(6))
    assert count(path) == 3
    assert statements.count("ROLLBACK TO job") == 1


def test_a_job_without_a_savepoint_refused_before_writing_costs_nothing_else(
    writer: BatchWriter, path: Path, statements: list[str]
) -> None:
    writer.run(insert(5))
    with writer.batch():
        writer.run(insert(4), savepoint=False)
        with pytest.raises(sqlite3.IntegrityError):
            writer.run(insert(5), savepoint=False)  # the failing statement undoes itself
        writer.run(insert(6), savepoint=False)
    assert count(path) == 3
    assert not any("SAVEPOINT" in s for s in statements)


def test_a_job_without_a_savepoint_that_fails_after_writing_fails_the_batch(
    writer: BatchWriter, path: Path
) -> None:
    def write_then_fail(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO t VALUES (2)")
        raise ValueError("refused too late")

    with pytest.raises(BatchFailed), writer.batch():
        writer.run(insert(1))
        with pytest.raises(ValueError):
            writer.run(write_then_fail, savepoint=False)
        with pytest.raises(BatchFailed):
            writer.run(insert(3))  # nothing more goes into a batch that cannot be committed whole
    assert count(path) == 0


def test_reads_inside_a_batch_see_its_writes(writer: BatchWriter) -> None:
    assert writer.reading_connection() is None
    with writer.batch():
        writer.run(insert(7))
        conn = writer.reading_connection()
        assert conn is not None
        assert conn.execute("SELECT v FROM t").fetchall() == [(7,)]


def test_another_thread_writes_after_the_batch_in_its_own_commit(writer: BatchWriter, path: Path) -> None:
    results: list[int] = []
    with writer.batch():
        writer.run(insert(1))
        other = threading.Thread(target=lambda: results.append(writer.run(insert(2))))
        other.start()
        assert writer.reading_connection() is not None
        other.join(0.2)  # it cannot get in while the batch is open
        assert results == []
    other.join(10)
    assert results == [1] and count(path) == 2
    assert writer.reading_connection() is None  # the batch belonged to this thread only


def test_a_failed_commit_is_reported_and_none_of_the_batch_is_kept(writer: BatchWriter, path: Path) -> None:
    with pytest.raises(BatchFailed), writer.batch():
        writer.run(insert(1))
        writer.run(lambda db: db.execute("INSERT INTO child VALUES (99)"))  # checked only at the commit
    assert count(path) == 0
    with writer.batch():  # the writer goes on working
        writer.run(insert(2))
    assert count(path) == 1


def test_close_refuses_later_writes(writer: BatchWriter) -> None:
    writer.close()
    with pytest.raises(WriterClosed):
        writer.run(insert(2))


def test_an_unopenable_database_fails_at_construction() -> None:
    def broken() -> sqlite3.Connection:
        raise sqlite3.OperationalError("cannot open")

    with pytest.raises(sqlite3.OperationalError):
        BatchWriter(broken)


def test_a_job_that_loses_the_whole_transaction_fails_the_batch(writer: BatchWriter, path: Path) -> None:
    # As SQLite does by itself on some I/O errors: the earlier jobs of the batch are gone too.
    with pytest.raises(BatchFailed), writer.batch():
        writer.run(insert(1))
        with pytest.raises(sqlite3.OperationalError):
            writer.run(lambda db: db.execute("ROLLBACK"))
        with pytest.raises(BatchFailed):
            writer.run(insert(2))  # nothing more goes into a broken batch
    assert count(path) == 0


def lose_the_transaction(error: bool) -> Callable[[sqlite3.Connection], None]:
    def job(db: sqlite3.Connection) -> None:
        db.execute("ROLLBACK")  # what SQLite does by itself on some I/O errors, then it reports one
        if error:
            raise sqlite3.OperationalError("disk I/O error")

    return job


@pytest.mark.parametrize("error", [True, False])
def test_a_job_without_a_savepoint_that_loses_the_whole_transaction_fails_the_batch(
    writer: BatchWriter, path: Path, error: bool
) -> None:
    with pytest.raises(BatchFailed), writer.batch():
        writer.run(insert(1), savepoint=False)
        with pytest.raises(sqlite3.OperationalError if error else BatchFailed):
            writer.run(lose_the_transaction(error), savepoint=False)
        with pytest.raises(BatchFailed):
            writer.run(insert(2), savepoint=False)  # not into a fresh transaction: the first write is gone
    assert count(path) == 0


def test_the_batch_counts_its_jobs_and_the_reads_that_saw_its_uncommitted_writes(writer: BatchWriter) -> None:
    with writer.batch():
        assert writer.dependents == 0
        own = writer.reading_connection()
        assert own is not None
        writer.note_read()  # nothing written yet: the read depends on nothing
        assert writer.dependents == 0
        writer.run(insert(1))
        assert writer.dependents == 1
        writer.run(insert(2), savepoint=False)
        writer.note_read()
        assert writer.dependents == 3
        seen: list[int] = []
        other = threading.Thread(target=lambda: (writer.note_read(), seen.append(writer.dependents)))
        other.start()
        other.join(10)
        assert seen == [3]  # another thread reads the last commit, not this batch
    with writer.batch():
        assert writer.dependents == 0  # each batch counts its own


class Syncs:
    """A writer's ``sync``: counts its calls, and what was committed when each came."""

    def __init__(self, path: Path, fail: bool = False) -> None:
        self.path = path
        self.fail = fail
        self.seen: list[int] = []

    def __call__(self) -> None:
        self.seen.append(count(self.path))  # called after the COMMIT: another connection sees it
        if self.fail:
            raise OSError(5, "Input/output error")


def test_a_batch_with_a_durable_job_is_synced_once_after_its_commit(path: Path) -> None:
    syncs = Syncs(path)
    writer = BatchWriter(opener(path), syncs)
    with writer.batch():
        writer.run(insert(1), durable=False)
        writer.run(insert(2))
        writer.run(insert(3), savepoint=False)
    assert syncs.seen == [3]
    writer.close()


def test_a_batch_of_jobs_that_need_no_sync_commits_without_one(path: Path) -> None:
    syncs = Syncs(path)
    writer = BatchWriter(opener(path), syncs)
    with writer.batch():
        writer.run(insert(1), durable=False)
        writer.run(insert(2), savepoint=False, durable=False)
    assert count(path) == 2 and syncs.seen == []
    with writer.batch():  # the next batch starts afresh: one durable job syncs it
        writer.run(insert(3))
    with writer.batch():
        writer.run(insert(4), durable=False)
    assert syncs.seen == [3]
    writer.close()


def test_a_write_outside_a_batch_is_synced_unless_it_says_otherwise(path: Path) -> None:
    syncs = Syncs(path)
    writer = BatchWriter(opener(path), syncs)
    writer.run(insert(1))
    writer.run(insert(2), durable=False)
    assert syncs.seen == [1]
    writer.close()


def test_a_failed_sync_stops_the_writer_so_that_no_reply_claims_it(path: Path) -> None:
    syncs = Syncs(path, fail=True)
    writer = BatchWriter(opener(path), syncs)
    with pytest.raises(SyncFailed, match="Input/output error") as failed, writer.batch():
        writer.run(insert(1))
    assert isinstance(failed.value.__cause__, OSError)
    # Committed and visible, perhaps not on the disk, and a later sync would not tell: nothing more is
    # written, not even what needs no sync, so no later reply (a repeat found "stored") claims it.
    with pytest.raises(SyncFailed), writer.batch():
        pass
    with pytest.raises(SyncFailed):
        writer.run(insert(2), durable=False)
    assert count(path) == 1 and syncs.seen == [1]
    writer.close()


def test_a_failed_sync_outside_a_batch_stops_the_writer_too(path: Path) -> None:
    writer = BatchWriter(opener(path), Syncs(path, fail=True))
    with pytest.raises(SyncFailed):
        writer.run(insert(1))
    with pytest.raises(SyncFailed):
        writer.run(insert(2))
    writer.close()


def test_a_broken_batch_has_no_sync_pending(path: Path) -> None:
    writer = BatchWriter(opener(path), Syncs(path))
    with pytest.raises(BatchFailed), writer.batch():
        writer.run(insert(1))
        assert writer.sync_pending
        with pytest.raises(BatchFailed):  # as SQLite does on an I/O error: the batch's writes are lost
            writer.run(lambda db: db.execute("ROLLBACK"), savepoint=False)
        assert not writer.sync_pending  # nothing worth waiting for more requests to share
    writer.close()


def test_without_a_sync_nothing_is_pending(path: Path) -> None:
    writer = BatchWriter(opener(path))
    with writer.batch():
        writer.run(insert(1))
        assert not writer.sync_pending  # the connection's own setting decides: nothing to wait for
    writer.close()
