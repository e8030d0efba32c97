"""The folder an export is written into: new or empty, hidden until complete, owner-only, synced.

The caller names a folder that does not exist yet (or is empty); anything else
is refused with :class:`ExportError`, so an export never mixes with or
overwrites other files. Everything is written into a hidden folder beside it
(``.<name>.<random>.partial``), each file synced, then the folder is renamed
into place and its parent synced: a folder of that name holds a complete export
or there is none. Files are owner-only (0600, folder 0700). A full disk is
:class:`ExportDiskFull` (a ``DiskFull``), and nothing is left.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from crypto_core.encoding import RandomSource
from crypto_core.errors import CryptoError
from crypto_core.stream import decrypt_file
from storage.profile.errors import DiskFull, ProfileError


class ExportError(ProfileError):
    """The export could not be made as asked (the folder is not empty, no such conversation...)."""

    code = "export_failed"

    def __init__(self, message: str, *, code: str = "export_failed") -> None:
        super().__init__(message)
        self.code = code  # folder_not_empty, not_a_folder, unknown_contact, or this default


class ExportDiskFull(DiskFull):
    def __init__(self, folder: Path) -> None:
        ProfileError.__init__(
            self, f"there is no room on the disk for the export {folder.name}: nothing of it was kept"
        )


def check_folder(out: Path) -> None:
    """Raise :class:`ExportError` unless ``out`` is a folder an export may be written to (new or empty)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ExportError(
            f"{out.name} exists and is not a folder; name a new folder for the export", code="not_a_folder"
        )
    if out.is_dir() and any(out.iterdir()):
        raise ExportError(
            f"the folder {out.name} is not empty; name a new or empty folder for the export",
            code="folder_not_empty",
        )


class ExportFolder:
    """The hidden folder an export is written into, renamed into place only when complete."""

    def __init__(self, target: Path, random: RandomSource) -> None:
        self.target = target.absolute()
        check_folder(self.target)
        self.files: list[str] = []
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.partial = self.target.parent / f".{self.target.name}.{random(8).hex()}.partial"
            self.partial.mkdir(mode=0o700)
        except OSError as exc:
            raise self.error(exc) from None

    def error(self, exc: OSError) -> ProfileError:
        """What a failed write of the export is to the person: a full disk, or the failure in words."""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return ExportDiskFull(self.target)
        return ExportError(
            f"could not write the export {self.target.name}: {(exc.strerror or 'error').lower()}"
        )

    def write(self, name: str, pieces: Iterable[str]) -> None:
        """A new owner-only file of UTF-8 text in the hidden folder, synced before it counts as written."""
        fd = os.open(
            self.partial / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600
        )
        with os.fdopen(fd, "wb") as file:
            _write_text(file, pieces)
            file.flush()
            os.fsync(file.fileno())
        self.files.append(name)

    def write_decrypted(self, name: str, sealed: Path, key: bytes) -> None:
        """A new owner-only file (``name`` may be in ``files/``): ``sealed`` opened under ``key``, synced.

        A copy that does not open raises the stream's one opaque error, and nothing of it stays.
        """
        path = self.partial / name
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        try:
            with os.fdopen(fd, "wb") as file, sealed.open("rb") as source:
                decrypt_file(key, source, file)
                file.flush()
                os.fsync(file.fileno())
        except CryptoError:
            path.unlink(missing_ok=True)
            raise
        self.files.append(name)

    def finish(self) -> None:
        """Rename the complete export into its place, and sync the parent so the rename lasts."""
        if self.target.is_dir():
            self.target.rmdir()  # empty, as checked; fails if something appeared meanwhile
        os.rename(self.partial, self.target)
        if os.name == "posix":
            fd = os.open(self.target.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def discard(self) -> None:
        """Remove the hidden folder and all that was written into it (an export that did not finish)."""
        shutil.rmtree(self.partial, ignore_errors=True)


def _write_text(file: BinaryIO, pieces: Iterable[str]) -> None:
    buffered: list[str] = []
    size = 0
    for piece in pieces:
        buffered.append(piece)
        size += len(piece)
        if size > 1 << 16:
            file.write("".join(buffered).encode("utf-8"))
            buffered, size = [], 0
    file.write("".join(buffered).encode("utf-8"))
