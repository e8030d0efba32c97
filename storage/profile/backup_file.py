"""Backup files on disk: written atomically, read back, both as streams with progress.

The container is :mod:`crypto_core.backup` (a clear header with the Argon2id
parameters, then a sealed stream under a key from the backup passphrase); this
module only moves its bytes between a file and a byte stream:

* :func:`write_backup` reads a byte stream (the profile's snapshot) to its end and
  writes it sealed to a new file: first to a temporary file beside the target
  (``.<name>.<random>.partial``, owner-only), then ``fsync``, rename over the
  target, ``fsync`` of the folder. A full disk, an error or an interruption
  removes the temporary file and leaves an earlier backup of the same name as
  it was; only a complete, synced backup ever carries the name.
* :func:`read_backup` checks the passphrase against the header first
  (``WrongPassphrase`` before a single byte reaches the caller's stream), then
  writes the payload into the caller's stream chunk by chunk. Only when it
  returns is the backup known to be whole: on an error the caller discards what
  it got.

Errors in words: ``WrongPassphrase``; :class:`~crypto_core.backup.NotABackup`,
:class:`~crypto_core.backup.BackupTooNew` and
:class:`~crypto_core.backup.BackupDamaged` from crypto_core, unchanged;
:class:`BackupDiskFull` (a :class:`~storage.profile.errors.DiskFull`) when the
disk, a quota or the file system's largest file size is reached; and
:class:`BackupFileError` for any other failure of the file itself (a missing
folder, no permission), naming the file and the system's reason.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from crypto_core import backup
from crypto_core.backup import HEADER_SIZE, Manifest
from crypto_core.encoding import RandomSource, default_random
from crypto_core.sealing import DEFAULT_PARAMS, KdfParams
from crypto_core.stream import Progress, Readable, Writable
from storage.profile.errors import DiskFull, ProfileError
from storage.profile.header import fsync_folder

#: OSError numbers that mean "no room": the disk, a quota, the file system's largest file (FAT32: 4 GiB).
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
PARTIAL_SUFFIX = ".partial"


class BackupDiskFull(DiskFull):
    """The backup did not fit where it was to be written; nothing of it stays there."""

    def __init__(self, path: Path) -> None:
        ProfileError.__init__(
            self,
            f"there is no room for the backup {path.name} on its disk: nothing of it was kept, and an "
            "earlier backup of that name is unchanged; free some space or choose another disk",
        )
        self.path = path


class BackupFileError(ProfileError):
    """The backup file could not be written or read, for a reason the system gives (a missing folder...)."""

    code = "backup_file"


class _FileFailed(Exception):
    """This module's own file failed (as opposed to the caller's stream): carries the system's error."""

    def __init__(self, error: OSError) -> None:
        super().__init__()
        self.error = error


class _Guarded:
    """The backup file, with its errors told apart from those of the caller's stream."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file

    def write(self, data: bytes) -> int:
        try:
            return self._file.write(data)
        except OSError as exc:
            raise _FileFailed(exc) from None

    def read(self, size: int) -> bytes:
        try:
            return self._file.read(size)
        except OSError as exc:
            raise _FileFailed(exc) from None


def _written_error(path: Path, error: OSError) -> ProfileError:
    if error.errno in _NO_ROOM:
        return BackupDiskFull(path)
    return BackupFileError(f"could not write the backup {path.name}: {_reason(error)}")


def _read_error(path: Path, error: OSError) -> ProfileError:
    return BackupFileError(f"could not read the backup {path.name}: {_reason(error)}")


def _reason(error: OSError) -> str:
    return (error.strerror or "input/output error").lower()


def write_backup(
    path: Path,
    source: Readable,
    passphrase: str,
    *,
    manifest: Mapping[str, Any] | None = None,
    total: int | None = None,
    progress: Progress | None = None,
    params: KdfParams = DEFAULT_PARAMS,
    random: RandomSource = default_random,
    version: int = backup.VERSION,
) -> int:
    """Seal everything ``source`` holds into a new backup file at ``path``; the file's size in bytes.

    ``progress`` hears ``(payload bytes read, payload total)`` (the total from ``total``,
    or from a seekable ``source``). An existing file at ``path`` is replaced only
    once the new one is complete and synced. Errors of ``source`` itself pass unchanged.
    """
    path = Path(path)
    folder = path.parent
    partial = folder / f".{path.name}.{random(8).hex()}{PARTIAL_SUFFIX}"
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except OSError as exc:
        raise _written_error(path, exc) from None
    try:
        try:
            with os.fdopen(fd, "wb") as file:
                guarded = _Guarded(file)
                backup.seal(
                    passphrase,
                    source,
                    guarded,
                    manifest=manifest,
                    params=params,
                    total=total,
                    progress=progress,
                    random=random,
                    version=version,
                )
                try:
                    file.flush()
                    os.fsync(file.fileno())
                except OSError as exc:
                    raise _FileFailed(exc) from None
            size = partial.stat().st_size
            os.replace(partial, path)
        except _FileFailed as failed:
            raise _written_error(path, failed.error) from None
        except OSError as exc:
            # stat or replace: this module's own files; or no room for what closing the file flushes
            # (it replaces the _FileFailed of the write that failed first).
            if exc.filename is not None or exc.errno in _NO_ROOM:
                raise _written_error(path, exc) from None
            raise
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    fsync_folder(folder, strict=True)
    return size


def read_backup(
    path: Path, passphrase: str, target: Writable, *, progress: Progress | None = None
) -> Manifest:
    """Open the backup at ``path`` and write its payload into ``target``; its manifest.

    ``WrongPassphrase`` comes before anything is written to ``target``. ``progress``
    hears ``(backup bytes read after the header, their total)``. Errors of ``target``
    itself pass unchanged.
    """
    return read_backup_into(path, passphrase, lambda _manifest, _version: target, progress=progress)


#: Chooses where a payload goes from the backup's manifest and container version (its layout).
TargetFor = Callable[[Manifest, int], Writable]


class _Deferred:
    """The caller's target, chosen when the first payload byte comes (the manifest has opened by then)."""

    def __init__(self, opener: backup.BackupOpener, target_for: TargetFor) -> None:
        self._opener = opener
        self._target_for = target_for
        self._target: Writable | None = None

    def write(self, data: bytes) -> int:
        if not data:
            return 0
        if self._target is None:
            if self._opener.manifest is None:  # the payload comes only after the manifest
                raise backup.BackupDamaged("file")
            self._target = self._target_for(self._opener.manifest, self._opener.version)
        self._target.write(data)
        return len(data)


def read_backup_into(
    path: Path, passphrase: str, target_for: TargetFor, *, progress: Progress | None = None
) -> Manifest:
    """:func:`read_backup` into the target ``target_for`` chooses once the manifest has opened.

    ``target_for`` is not called for a backup whose payload is empty.
    """
    path = Path(path)
    try:
        file = path.open("rb")
        size = os.fstat(file.fileno()).st_size
    except OSError as exc:
        raise _read_error(path, exc) from None
    with file:
        guarded = _Guarded(file)
        try:
            opener = backup.open_header(passphrase, guarded)
            return backup.open_into(
                opener,
                guarded,
                _Deferred(opener, target_for),
                total=max(0, size - HEADER_SIZE),
                progress=progress,
            )
        except _FileFailed as failed:
            raise _read_error(path, failed.error) from None


def check_backup(path: Path, passphrase: str, *, progress: Progress | None = None) -> Manifest:
    """Read a whole backup without keeping its payload: its manifest if every chunk opens."""
    return read_backup(path, passphrase, _Discard(), progress=progress)


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)
