"""Blob bytes as files: written in place, read in ranges, synced and hashed, private to the server."""

from __future__ import annotations

import errno
import hashlib
import stat
import subprocess
import sys
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
    assert files.held(7) == 11 and files.held(8) == 0


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


def test_a_write_that_fails_midway_is_cut_back_to_where_it_began(tmp_path: Path) -> None:
    # A file size limit makes the kernel refuse the write partway (EFBIG), as a full disk does (ENOSPC);
    # in a child process, so that the limit binds nothing else.
    script = f"""
import os, resource, signal, sys
from pathlib import Path
from storage.server.blob_files import BlobFiles
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
files = BlobFiles(Path({str(tmp_path / "blobs")!r}))
files.write(1, 0, b"k" * 1000)
resource.setrlimit(resource.RLIMIT_FSIZE, (1500, 1500))
try:
    files.write(1, 1000, b"x" * 4000)
except OSError as exc:
    print("refused", exc.errno, files.held(1))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[3],
    )
    assert done.stdout.split() == ["refused", str(errno.EFBIG), "1000"], done.stderr
    assert (tmp_path / "blobs" / "1.blob").read_bytes() == b"k" * 1000
