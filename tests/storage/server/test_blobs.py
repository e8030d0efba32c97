"""The store's blob records on a real SQLite file, with their bytes in real files beside it, and in a real
PostgreSQL database, with their bytes in it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from store_support import ALICE, BOB, NOW, store

from storage.server.interface import ServerStore
from storage.server.records import BlobGone, BlobQuota, BlobRecord

__all__ = ["store"]  # the fixture, imported so pytest finds it here
KEY, OTHER_KEY, THIRD_KEY = b"k" * 32, b"o" * 32, b"t" * 32
LATER = NOW + 1000


def start(store: ServerStore, key: bytes = KEY, size: int = 100, *, owner: str = ALICE) -> BlobRecord:
    return store.blob_start(key, owner, size, now=NOW, expires=NOW + 10_000, deadline=NOW + 5_000, quota=1000)


def test_a_blob_is_written_in_pieces_at_its_offsets_and_read_back_in_ranges(store: ServerStore) -> None:
    blob = start(store, size=10)
    assert store.blob_write(blob, 0, b"01234", deadline=LATER + 5_000) == 5
    blob = store.blob(KEY, LATER)
    assert blob is not None and blob.received == 5 and not blob.done
    assert store.blob_write(blob, 5, memoryview(b"56789"), deadline=LATER + 5_000) == 10
    blob = store.blob(KEY, LATER)
    assert blob is not None
    assert store.blob_seal(blob) == hashlib.sha256(b"0123456789").digest()
    assert store.blob_done(blob, b"d" * 32, LATER)
    blob = store.blob(KEY, LATER)
    assert blob is not None and blob.done and blob.digest == b"d" * 32 and blob.deadline == NOW + 10_000
    assert store.blob_read(blob, 3, 4) == b"3456"
    assert store.blob_read(blob, 8, 100) == b"89"  # clipped at the end


def test_a_write_must_not_leave_a_gap_nor_pass_the_size(store: ServerStore) -> None:
    blob = start(store, size=10)
    with pytest.raises(ValueError):
        store.blob_write(blob, 1, b"x", deadline=LATER)
    with pytest.raises(ValueError):
        store.blob_write(blob, 0, b"x" * 11, deadline=LATER)
    assert store.blob_files.held(blob.number) == 0  # nothing was written


def test_the_quota_counts_the_declared_sizes_of_live_blobs_only(store: ServerStore) -> None:
    start(store, KEY, 600)
    with pytest.raises(BlobQuota) as caught:
        start(store, OTHER_KEY, 401)
    assert caught.value.used == 600
    start(store, OTHER_KEY, 400)  # exactly the quota
    start(store, THIRD_KEY, 1000, owner=BOB)  # another account has its own
    assert store.blob_usage(ALICE, NOW) == 1000
    first = store.blob(KEY, NOW)
    assert first is not None
    store.blob_drop(first)
    assert store.blob(KEY, NOW) is None and store.blob_usage(ALICE, NOW) == 400
    assert store.blob_usage(ALICE, NOW + 5_000) == 0  # their deadline passed: dead, counted nowhere


def test_a_dead_blob_is_found_by_nobody_and_cannot_be_finished(store: ServerStore) -> None:
    blob = store.blob_start(KEY, ALICE, 2, now=NOW, expires=NOW + 10**9, deadline=NOW + 5_000, quota=10)
    store.blob_write(blob, 0, b"x", deadline=NOW + 65_000)  # a put moves the upload's deadline
    assert store.blob(KEY, NOW + 64_999) is not None and store.blob(KEY, NOW + 65_000) is None
    assert not store.blob_done(blob, b"d" * 32, NOW + 65_000)


def test_puts_write_the_deadline_down_only_when_it_moved_a_minute(store: ServerStore) -> None:
    blob = store.blob_start(KEY, ALICE, 3, now=NOW, expires=NOW + 10**9, deadline=NOW + 5_000, quota=10)
    store.blob_write(blob, 0, b"a", deadline=NOW + 64_999)  # less than a minute later: not written
    found = store.blob(KEY, NOW)
    assert found is not None and found.deadline == NOW + 5_000 and found.received == 1
    store.blob_write(found, 1, b"b", deadline=NOW + 65_000)
    found = store.blob(KEY, NOW)
    assert found is not None and found.deadline == NOW + 65_000 and found.received == 2


def test_a_deadline_never_passes_the_expiry(store: ServerStore) -> None:
    blob = store.blob_start(KEY, ALICE, 1, now=NOW, expires=NOW + 90_000, deadline=NOW + 5_000, quota=10)
    store.blob_write(blob, 0, b"x", deadline=NOW + 999_999)
    found = store.blob(KEY, NOW)
    assert found is not None and found.deadline == NOW + 90_000


@pytest.mark.sqlite_only  # a blob file beside the SQLite file, cut short as by a power cut
def test_received_is_what_the_file_holds(store: ServerStore) -> None:
    # After a power cut the file may hold fewer bytes than were acknowledged before their sync.
    blob = start(store, size=10)
    store.blob_write(blob, 0, b"0123456789", deadline=LATER)
    os.truncate(store.blob_files.path(blob.number), 4)
    found = store.blob(KEY, NOW)
    assert found is not None and found.received == 4
    store.blob_write(found, 4, b"456789", deadline=LATER)
    assert store.blob_seal(found) == hashlib.sha256(b"0123456789").digest()


@pytest.mark.sqlite_only  # damage to a blob file beside the SQLite file
def test_a_finished_blob_whose_file_is_damaged_costs_only_itself(store: ServerStore) -> None:
    blobs = []
    for key in (KEY, OTHER_KEY):
        blob = start(store, key, size=4)
        store.blob_write(blob, 0, b"abcd", deadline=LATER)
        assert store.blob_done(blob, b"d" * 32, NOW)
        found = store.blob(key, NOW)
        assert found is not None
        blobs.append(found)
    os.truncate(store.blob_files.path(blobs[0].number), 2)
    with pytest.raises(BlobGone):
        store.blob_read(blobs[0], 0, 4)
    store.blob_files.path(blobs[0].number).unlink()
    with pytest.raises(BlobGone):
        store.blob_read(blobs[0], 0, 4)
    assert store.blob_read(blobs[1], 0, 4) == b"abcd"


def test_the_sweep_removes_dead_blobs_files_first_in_bounded_batches(store: ServerStore) -> None:
    numbers = []
    for n in range(5):
        blob = start(store, bytes([n]) * 32, size=1)
        store.blob_write(blob, 0, b"x", deadline=NOW + 5_000)
        numbers.append(blob.number)
    kept = store.blob_start(
        b"K" * 32, ALICE, 1, now=NOW, expires=NOW + 9_000, deadline=NOW + 9_000, quota=1000
    )
    store.blob_write(kept, 0, b"y", deadline=NOW + 9_000)
    assert store.sweep_blobs(NOW + 4_999, 10) == 0
    assert store.sweep_blobs(NOW + 5_000, 2) == 2  # a limit: the rest wait for the next batch
    assert store.sweep_blobs(NOW + 5_000, 2) == 2
    assert store.sweep_blobs(NOW + 5_000, 2) == 1
    assert store.sweep_blobs(NOW + 5_000, 2) == 0
    assert not any(store.blob_files.held(n) for n in numbers)
    assert store.blob_files.held(kept.number) == 1 and store.blob(b"K" * 32, NOW + 5_000) is not None


def test_a_sweep_cut_short_after_the_files_is_finished_by_the_next(store: ServerStore) -> None:
    blob = start(store, size=1)
    store.blob_write(blob, 0, b"x", deadline=NOW + 5_000)
    store.blob_files.delete(blob.number)  # as if the process died between the file and the row
    assert store.sweep_blobs(NOW + 5_000, 10) == 1
    assert store.sweep_blobs(NOW + 5_000, 10) == 0


@pytest.mark.sqlite_only  # the SQLite file's bytes; PostgreSQL keeps a blob's bytes in the database
def test_the_database_holds_the_key_hash_and_not_the_bytes(store: ServerStore, tmp_path: Path) -> None:
    blob = start(store, size=16)
    store.blob_write(blob, 0, b"sealed bytes 16.", deadline=LATER)
    database = b"".join(p.read_bytes() for p in tmp_path.glob("server.sqlite3*"))
    assert KEY in database and b"sealed bytes 16." not in database
    assert store.blob_files.path(blob.number).read_bytes() == b"sealed bytes 16."
    assert store.blob_files.path(blob.number).name == f"{blob.number}.blob"
