"""Running hashes of uploads: pieces hashed as they are written, on a thread, for the finish to take."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from storage.server.blob_files import BlobFiles
from storage.server.blob_hashing import RunningHashes


def test_pieces_written_in_order_give_the_digest_of_them_all() -> None:
    hashes = RunningHashes()
    try:
        pieces = [os.urandom(100_000) for _ in range(5)]
        offset = 0
        for piece in pieces:
            hashes.written(7, offset, memoryview(piece))
            offset += len(piece)
        assert hashes.take(7, offset) == hashlib.sha256(b"".join(pieces)).digest()
        assert hashes.take(7, offset) is None  # taken once
    finally:
        hashes.close()


def test_anything_but_pieces_in_order_from_the_start_gives_no_digest() -> None:
    hashes = RunningHashes()
    try:
        hashes.written(1, 0, memoryview(b"a" * 10))
        hashes.written(1, 20, memoryview(b"b" * 10))  # a gap
        assert hashes.take(1, 30) is None
        hashes.written(2, 5, memoryview(b"c"))  # never seen from 0 (a restart in between)
        assert hashes.take(2, 6) is None
        hashes.written(3, 0, memoryview(b"d" * 10))
        assert hashes.take(3, 11) is None  # the file holds more than was hashed
        hashes.written(4, 0, memoryview(b"e"))
        hashes.forget(4)
        assert hashes.take(4, 1) is None
    finally:
        hashes.close()


def test_the_finish_takes_the_running_digest_or_reads_the_file_back(tmp_path: Path) -> None:
    files = BlobFiles(tmp_path / "blobs")
    data = os.urandom(3 * 524_288 + 11)
    for offset in range(0, len(data), 524_288):
        files.write(9, offset, data[offset : offset + 524_288])
    # Bytes changed behind the store's back show that the running digest was used: it is what was written.
    with open(files.path(9), "r+b") as raw:
        raw.write(b"X")
    assert files.seal(9) == hashlib.sha256(data).digest()
    files.close()
    # After a restart nothing is running: the file is read back, as it is now.
    again = BlobFiles(tmp_path / "blobs")
    assert again.seal(9) == hashlib.sha256(b"X" + data[1:]).digest()
    again.close()
