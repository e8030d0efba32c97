"""Backup files: written atomically with progress, read back, and every failure said in words."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from disk_support import SmallDisk

from crypto_core.backup import BackupDamaged, NotABackup
from crypto_core.errors import WrongPassphrase
from crypto_core.sealing import KdfParams
from storage.profile.backup_file import (
    PARTIAL_SUFFIX,
    BackupDiskFull,
    BackupFileError,
    check_backup,
    read_backup,
    write_backup,
)
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DiskFull

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
PASSPHRASE = "backup passphrase"
SNAPSHOT = hashlib.shake_256(b"a database snapshot").digest(300_000)
ROOT = Path(__file__).resolve().parents[3]


def _write(path: Path, data: bytes = SNAPSHOT, **kwargs: object) -> int:
    return write_backup(path, io.BytesIO(data), PASSPHRASE, params=FAST, **kwargs)  # type: ignore[arg-type]


def _partials(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(PARTIAL_SUFFIX)]


def test_a_backup_reads_back_with_its_manifest_and_progress_to_the_end(tmp_path: Path) -> None:
    path = tmp_path / "me.parley-backup"
    written: list[tuple[int, int | None]] = []
    size = _write(
        path, manifest={"kind": "profile", "schema": 3}, progress=lambda d, t: written.append((d, t))
    )
    assert size == path.stat().st_size
    assert written[0] == (0, len(SNAPSHOT)) and written[-1] == (len(SNAPSHOT), len(SNAPSHOT))
    assert [d for d, _ in written] == sorted(d for d, _ in written)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _partials(tmp_path) == []
    read: list[tuple[int, int | None]] = []
    out = io.BytesIO()
    manifest = read_backup(path, PASSPHRASE, out, progress=lambda d, t: read.append((d, t)))
    assert (manifest, out.getvalue()) == ({"kind": "profile", "schema": 3}, SNAPSHOT)
    assert read[-1][0] == read[-1][1] == size - 57
    assert check_backup(path, PASSPHRASE) == manifest
    assert SNAPSHOT[:64] not in path.read_bytes()


def test_a_new_backup_replaces_an_earlier_one_only_when_complete(tmp_path: Path) -> None:
    path = tmp_path / "me.parley-backup"
    _write(path, b"first")
    _write(path, b"second")
    out = io.BytesIO()
    read_backup(path, PASSPHRASE, out)
    assert out.getvalue() == b"second"


class _BrokenSnapshot(io.RawIOBase):
    """A snapshot stream that fails after some bytes, as a database read can."""

    def __init__(self, good: int, error: BaseException) -> None:
        self._left, self._error = good, error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            raise self._error
        n = min(len(buffer), self._left)
        buffer[:n] = b"s" * n
        self._left -= n
        return n


@pytest.mark.parametrize("error", [OSError(errno.EIO, "snapshot read failed"), KeyboardInterrupt()])
def test_a_failure_midway_leaves_the_earlier_backup_and_no_partial_file(
    tmp_path: Path, error: BaseException
) -> None:
    path = tmp_path / "me.parley-backup"
    _write(path, b"the earlier backup")
    before = path.read_bytes()
    with pytest.raises(type(error)):
        write_backup(path, _BrokenSnapshot(200_000, error), PASSPHRASE, params=FAST)
    assert path.read_bytes() == before
    assert _partials(tmp_path) == []


def test_a_full_disk_says_so_keeps_the_earlier_backup_and_recovers(tmp_path: Path) -> None:
    with SmallDisk(tmp_path / "disk") as disk:
        assert disk.mounted, "this test needs a tmpfs (root); test_a_file_size_limit covers the rest"
        path = disk.root / "me.parley-backup"
        _write(path, b"the earlier backup")
        before = path.read_bytes()
        big = os.urandom(12 * 1024 * 1024)  # more than the 8 MiB disk
        with pytest.raises(BackupDiskFull) as raised:
            _write(path, big)
        assert isinstance(raised.value, DiskFull) and raised.value.code == "disk_full"
        assert "no room for the backup me.parley-backup" in str(raised.value)
        assert "earlier backup of that name is unchanged" in str(raised.value)
        assert path.read_bytes() == before
        assert _partials(disk.root) == []
        _write(path, big[: 4 * 1024 * 1024])  # the room the failed attempt took is free again
        out = io.BytesIO()
        read_backup(path, PASSPHRASE, out)
        assert out.getvalue() == big[: 4 * 1024 * 1024]


def test_a_file_size_limit_is_a_full_disk_too(tmp_path: Path) -> None:
    # Like FAT32's 4 GiB: the system refuses to grow the file (EFBIG), here by RLIMIT_FSIZE in a child.
    script = textwrap.dedent(
        f"""
        import io, os, resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))
        from pathlib import Path
        from crypto_core.sealing import KdfParams
        from storage.profile.backup_file import write_backup, BackupDiskFull
        path = Path({str(tmp_path / "me.parley-backup")!r})
        try:
            write_backup(path, io.BytesIO(os.urandom(3_000_000)), "pw", params=KdfParams(8, 1, 1))
        except BackupDiskFull as exc:
            print("refused:", exc)
            sys.exit(0 if not any(p.name.endswith(".partial") for p in path.parent.iterdir()) else 3)
        sys.exit(2)
        """
    )

    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no room for the backup me.parley-backup" in done.stdout


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BackupFileError, match=r"could not write the backup me\.parley-backup: no such file"):
        _write(tmp_path / "missing" / "me.parley-backup")
    with pytest.raises(BackupFileError, match="could not read the backup nothing-here: no such file"):
        read_backup(tmp_path / "nothing-here", PASSPHRASE, io.BytesIO())


def test_a_wrong_passphrase_writes_nothing_to_the_target(tmp_path: Path) -> None:
    path = tmp_path / "me.parley-backup"
    _write(path)
    out = io.BytesIO()
    with pytest.raises(WrongPassphrase):
        read_backup(path, "not it", out)
    assert out.getvalue() == b""


def test_a_profile_or_a_text_file_is_not_a_backup(tmp_path: Path) -> None:
    profile = ProfileDirectory(tmp_path / "profiles", kdf_params=FAST).create("Me", "pw")
    profile.close()
    text = tmp_path / "notes.txt"
    text.write_text("shopping list\n")
    for path in (profile.path, text):
        with pytest.raises(NotABackup, match="not a Parley backup"):
            read_backup(path, PASSPHRASE, io.BytesIO())


@pytest.mark.parametrize("damage", ["flip", "cut"])
def test_a_damaged_backup_says_so(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "me.parley-backup"
    _write(path)
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    else:
        del data[len(data) - 20 :]
    path.write_bytes(bytes(data))
    with pytest.raises(BackupDamaged, match="damaged or incomplete"):
        read_backup(path, PASSPHRASE, io.BytesIO())


def test_the_callers_own_stream_errors_pass_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "me.parley-backup"
    _write(path)

    class FullTarget:
        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "the restored database's disk is full")

    with pytest.raises(OSError, match="restored database"):
        read_backup(path, PASSPHRASE, FullTarget())


def test_a_backup_file_written_before_stream_format_2_still_reads() -> None:
    # The frozen known answer of a two-chunk backup as Parley wrote it with stream format 1.
    vectors = Path(__file__).parents[2] / "vectors"
    path = vectors / "backup_v1_payload_65543.bin"
    known = json.loads((vectors / "backup.json").read_text(encoding="utf-8"))
    heard: list[tuple[int, int | None]] = []
    out = io.BytesIO()
    manifest = read_backup(path, known["passphrase"], out, progress=lambda d, t: heard.append((d, t)))
    assert manifest == known["manifest"]
    assert out.getvalue() == hashlib.shake_256(b"Parley stream vectors: payload 65543").digest(65543)
    assert heard[-1][0] == heard[-1][1] == path.stat().st_size - 57
