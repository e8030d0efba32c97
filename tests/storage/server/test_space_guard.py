"""The full state: which errors mean "no room", the reserve file, and leaving the state by itself."""

from __future__ import annotations

import errno
import logging
import sqlite3
from pathlib import Path

import pytest

from storage.server.batch_writer import BatchFailed, BatchWriter
from storage.server.space_guard import (
    CHECK_INTERVAL,
    MIN_FREE_TO_RESUME,
    RESERVE_FILE,
    SpaceGuard,
    is_storage_full,
)

MIB = 1024 * 1024


class Room:
    """Free bytes on the 'filesystem' and a clock, both set by the test."""

    def __init__(self, free: int) -> None:
        self.free = free
        self.now = 100.0

    def free_space(self, _directory: Path) -> int:
        return self.free

    def clock(self) -> float:
        return self.now


def a_real_sqlite_full_error(tmp_path: Path) -> sqlite3.Error:
    db = sqlite3.connect(tmp_path / "capped.sqlite3")
    db.execute("CREATE TABLE t (b BLOB)")
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    try:
        db.execute("INSERT INTO t VALUES (?)", (bytes(100_000),))
    except sqlite3.Error as exc:
        return exc
    finally:
        db.close()
    raise AssertionError("SQLite stored past its page cap")


def test_sqlite_full_and_enospc_are_storage_full_other_errors_are_not(tmp_path: Path) -> None:
    full = a_real_sqlite_full_error(tmp_path)
    assert is_storage_full(full)
    assert is_storage_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_storage_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    try:
        raise BatchFailed("a batch of writes was not committed") from full
    except BatchFailed as wrapped:
        assert is_storage_full(wrapped)  # the batch's failure says why through its cause
    assert not is_storage_full(sqlite3.OperationalError("disk I/O error"))
    assert not is_storage_full(OSError(errno.EIO, "Input/output error"))
    assert not is_storage_full(ValueError("nothing to do with room"))
    assert not is_storage_full(None)


def test_a_full_batch_reports_storage_full(tmp_path: Path) -> None:
    writer = BatchWriter(lambda: sqlite3.connect(tmp_path / "b.sqlite3", isolation_level=None))
    writer.run(lambda db: db.execute("CREATE TABLE t (b BLOB)"))
    cap = writer.run(lambda db: db.execute("PRAGMA page_count").fetchone()[0])
    writer.run(lambda db: db.execute(f"PRAGMA max_page_count = {cap}"))
    with pytest.raises(BatchFailed) as failed, writer.batch(), pytest.raises(sqlite3.Error):
        writer.run(lambda db: db.execute("INSERT INTO t VALUES (?)", (bytes(100_000),)))
    assert is_storage_full(failed.value)
    writer.close()


def test_the_reserve_is_made_at_start_and_given_back_when_the_disk_is_full(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    room = Room(free=100 * MIB)
    guard = SpaceGuard(tmp_path, reserve=2 * MIB, free_space=room.free_space, clock=room.clock)
    guard.start()
    assert (tmp_path / RESERVE_FILE).stat().st_size == 2 * MIB and not guard.full
    guard.met_full("a commit failed")
    guard.met_full("another one")  # already full: nothing more happens, nothing more is logged
    assert guard.full and not (tmp_path / RESERVE_FILE).exists()
    assert caplog.text.count("storage: full") == 1 and "gave back the 2.0 MiB reserve" in caplog.text


def test_the_full_state_ends_only_with_twice_the_reserve_free_and_remakes_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="parley.store")
    room = Room(free=100 * MIB)
    guard = SpaceGuard(tmp_path, reserve=2 * MIB, free_space=room.free_space, clock=room.clock)
    guard.start()
    guard.met_full("a commit failed")
    room.free = 4 * MIB - 1
    assert not guard.check_due()  # looked at about once a second, not per request
    room.now += CHECK_INTERVAL
    assert guard.check_due() and not guard.check() and guard.full
    assert not guard.check_due()
    room.free = 4 * MIB
    room.now += CHECK_INTERVAL
    assert guard.check() and not guard.full
    assert (tmp_path / RESERVE_FILE).stat().st_size == 2 * MIB
    assert not guard.check_due() and not guard.check()  # not full: nothing to check
    assert caplog.text.count("storage: room again (4.0 MiB free)") == 1


def test_without_a_reserve_a_mib_free_is_enough_and_a_left_over_reserve_is_removed(tmp_path: Path) -> None:
    (tmp_path / RESERVE_FILE).write_bytes(bytes(1000))  # from a run that had one
    room = Room(free=MIN_FREE_TO_RESUME - 1)
    guard = SpaceGuard(tmp_path, reserve=0, free_space=room.free_space, clock=room.clock)
    guard.start()
    assert not (tmp_path / RESERVE_FILE).exists()
    guard.met_full("a commit failed")
    room.now += CHECK_INTERVAL
    assert not guard.check()
    room.free = MIN_FREE_TO_RESUME
    room.now += CHECK_INTERVAL
    assert guard.check()


def test_under_a_quota_the_store_needs_room_in_it_too(tmp_path: Path) -> None:
    room = Room(free=100 * MIB)
    quota_room = [0]
    guard = SpaceGuard(
        tmp_path,
        reserve=0,
        quota=4 * MIB,
        quota_room=lambda: quota_room[0],
        free_space=room.free_space,
        clock=room.clock,
    )
    guard.start()
    guard.met_full("a commit failed")
    assert guard.resume_room == MIB // 2  # an eighth of the quota, at most a MiB
    quota_room[0] = MIB // 2 - 1
    room.now += CHECK_INTERVAL
    assert not guard.check()
    quota_room[0] = MIB // 2
    room.now += CHECK_INTERVAL
    assert guard.check()


def test_a_reserve_that_cannot_be_made_starts_full_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / RESERVE_FILE).mkdir()  # in the way: the guard starts full rather than fail or pretend
    guard = SpaceGuard(tmp_path, reserve=MIB)
    guard.start()
    assert guard.full
    assert "cannot make the reserve space.reserve" in caplog.text and "no room for the reserve" in caplog.text


def test_a_negative_reserve_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="negative"):
        SpaceGuard(tmp_path, reserve=-1)
