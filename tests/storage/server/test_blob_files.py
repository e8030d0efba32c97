"""Blob bytes as files: written in place, read in ranges, synced and hashed, private to the server."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from storage.server.blob_files import BlobFiles
from storage.server.records import BlobGone


def test_pieces_land_at_their_offsets_and_a_range_reads_back(tmp_path: Path) -> None:
    files = BlobFiles(tmp_path / "blobs")
    files.write(7, 0, b"hello ")
    files.write(7, 6, memoryview(b"world"))
    files.write(7, 0, b"H")  # in place, the rest untouched
    assert files.path(7).read_bytes() == b"Hello world"
    assert files.read(7, 6, 5) == b"world"
    assert files.held(7, 100) == 11 and files.held(7, 3) == 3 and files.held(8, 5) == 0


def test_a_missing_or_short_file_is_blob_gone(tmp_path: Path) -> None:
    files = BlobFiles(tmp_path / "blobs")
    with pytest.raises(BlobGone):
        files.read(1, 0, 1)
    with pytest.raises(BlobGone):
        files.seal(1)
    files.write(1, 0, b"abc")
    with pytest.raises(BlobGone):
        files.read(1, 1, 5)


def test_seal_gives_the_sha256_of_the_whole_file(tmp_path: Path) -> None:
    files = BlobFiles(tmp_path / "blobs")
    data = bytes(range(256)) * 9000  # more than one chunk of the hash
    for offset in range(0, len(data), 100_000):
        files.write(3, offset, data[offset : offset + 100_000])
    assert files.seal(3) == hashlib.sha256(data).digest()


def test_the_folder_and_files_are_the_owners_only_and_delete_is_quiet(tmp_path: Path) -> None:
    files = BlobFiles(tmp_path / "blobs")
    files.write(2, 0, b"x")
    assert stat.S_IMODE((tmp_path / "blobs").stat().st_mode) == 0o700
    assert stat.S_IMODE(files.path(2).stat().st_mode) == 0o600
    files.delete(2)
    files.delete(2)
    assert not files.path(2).exists()
