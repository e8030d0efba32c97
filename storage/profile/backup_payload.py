"""The payload of a profile's backup (container version 3): the database snapshot, then the files.

The backup carries the sealed copies of the profile's pictures and files as they lie in
``files/`` (each still sealed under the key in its attachment row, which travels inside the
snapshot), so nothing is decrypted to make or restore a backup. Only copies that are whole go
in (``<name>.sealed``; a ``.part`` is a transfer under way and stays out). Layout, integers
big-endian::

    8 bytes   the snapshot's size s
    s bytes   the snapshot (a SQLCipher database, :mod:`storage.profile.snapshot`)
    then, for each file:
      1 byte    the length n of its name (1 to 64)
      n bytes   its random name (lowercase hex digits, as ``files/`` names it), ASCII
      8 bytes   its size z
      z bytes   its sealed copy, byte for byte
    1 byte    0x00: the end

All of it travels inside the backup's sealed stream, so no byte can change unnoticed; this
layer only checks that what opened is well formed (a name of hex digits and so no path, no name
twice, the end where it must be). A backup of container version 1 or 2 has the snapshot alone
as its payload, and restores with no files.

After the snapshot is rebuilt, :func:`settle` makes the rows say what the new folder holds:
a transfer that was moving when the backup was made is PAUSED (the person resumes it; its
``.part`` never travels), a copy whose size is not the one its row's plaintext size seals to is
removed, and a DONE row whose copy is not there (left out, or missing when the backup was
made) is FAILED with words, so resuming it downloads it again while the server keeps its blob.
A backup of version 1 or 2 carried no files by design: its rows keep what they said ("not
here"), and nothing is called missing.

:class:`PayloadReader` is the payload as a stream to seal and :class:`PayloadWriter` takes it
apart into a new profile's folder: both hold at most one piece of a chunk, whatever the sizes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from crypto_core.backup import BackupDamaged
from crypto_core.stream import sealed_size
from storage.profile import database
from storage.profile.attachments import FILES_FOLDER, MOVING, SEALED
from storage.profile.errors import ProfileError
from storage.profile.header import fsync_folder

_SIZE = struct.Struct(">Q")
_NAME = re.compile(r"[0-9a-f]{1,64}")
#: Larger than any file the profile keeps (100 MiB) or any database it could: a bigger size is damage.
_MAX_SIZE = 1 << 44


@dataclass(frozen=True)
class BackedFile:
    """One sealed copy to carry: its random name, its path and its size when listed."""

    name: str
    path: Path
    size: int


def framing_size(files: list[BackedFile]) -> int:
    """The bytes the layout adds to the snapshot and the files (for the progress's total)."""
    return _SIZE.size + sum(1 + len(item.name) + _SIZE.size for item in files) + 1


class FileChanged(ProfileError):
    """A file to back up got shorter while it was read (it should not: the engine waits meanwhile)."""

    def __init__(self) -> None:
        super().__init__("a file of the profile changed while the backup was made; make the backup again")


class PayloadReader:
    """The payload as a readable stream: the snapshot's size and bytes, each file framed, the end."""

    def __init__(self, snapshot: BinaryIO, snapshot_size: int, files: list[BackedFile]) -> None:
        self._snapshot = snapshot
        self._queue: list[tuple[bytes, Path | None, int]] = [(_SIZE.pack(snapshot_size), None, snapshot_size)]
        for item in files:
            name = item.name.encode("ascii")
            self._queue.append((bytes([len(name)]) + name + _SIZE.pack(item.size), item.path, item.size))
        self._queue.append((b"\x00", None, 0))
        self._head = b""
        self._file: BinaryIO | None = None
        self._left = 0

    def read(self, size: int) -> bytes:
        while not self._head and not self._left:
            self.close()
            if not self._queue:
                return b""
            self._head, path, self._left = self._queue.pop(0)
            self._file = self._snapshot if path is None else path.open("rb")
        if self._head:
            out, self._head = self._head[:size], self._head[size:]
            return out
        assert self._file is not None
        data = self._file.read(min(size, self._left))
        if not data:
            raise FileChanged()
        self._left -= len(data)
        return data

    def close(self) -> None:
        """Close the file being read (the snapshot is the caller's to close)."""
        if self._file is not None and self._file is not self._snapshot:
            self._file.close()
        self._file = None


class PayloadWriter:
    """Takes a payload apart: the snapshot into ``<part>/profile.db``, each file into ``<part>/files/``.

    The ``.part`` folder is made with the first byte. With ``framed`` False (a backup of
    container version 1 or 2) everything is the snapshot. :meth:`finish` checks the payload ended
    where it must and syncs every file and folder; on an error the caller removes the folder.
    """

    def __init__(self, part: Path, *, framed: bool) -> None:
        self.part = part
        self.framed = framed
        #: The names of the files written, in order.
        self.files: list[str] = []
        self._file: BinaryIO | None = None
        self._left = 0
        self._buffer = b""
        self._names: set[str] = set()
        self._state = "size" if framed else "snapshot"
        self._started = False

    def write(self, data: bytes) -> int:
        if not data:
            return 0
        if not self._started:
            self.part.mkdir(mode=0o700)
            self._started = True
            if not self.framed:
                self._open(self.part / database.DATABASE_NAME)
        if not self.framed:
            assert self._file is not None
            self._file.write(data)
            return len(data)
        view = memoryview(data)
        while view:
            if self._left:
                piece = view[: self._left]
                assert self._file is not None
                self._file.write(piece)
                self._left -= len(piece)
                view = view[len(piece) :]
                if not self._left:
                    self._done_file()
                continue
            view = self._take_header(view)
        return len(data)

    def _take_header(self, view: memoryview) -> memoryview:
        """Gather the next header (the snapshot's size, or a file's entry or the end); the rest."""
        if self._state == "end":
            raise BackupDamaged("payload")  # bytes after the end
        if self._state == "size":
            need = _SIZE.size
        else:  # an entry: its first byte says how long the rest is
            need = 1 if not self._buffer else 1 + self._buffer[0] + _SIZE.size
        take = need - len(self._buffer)
        self._buffer += bytes(view[:take])
        view = view[take:]
        if len(self._buffer) < need:
            return view
        if self._state == "size":
            self._begin(self.part / database.DATABASE_NAME, _SIZE.unpack(self._buffer)[0])
            self._state = "entry"
        elif self._buffer == b"\x00":
            self._state = "end"
        elif len(self._buffer) == 1:
            return view  # the name's length is known; the rest of the entry comes next
        else:
            name = self._buffer[1 : -_SIZE.size].decode("ascii", errors="replace")
            if not _NAME.fullmatch(name) or name in self._names:
                raise BackupDamaged("payload")
            folder = self.part / FILES_FOLDER
            folder.mkdir(mode=0o700, exist_ok=True)
            self._names.add(name)
            self.files.append(name)
            self._begin(folder / f"{name}{SEALED}", _SIZE.unpack(self._buffer[-_SIZE.size :])[0])
        self._buffer = b""
        return view

    def _begin(self, path: Path, size: int) -> None:
        if size > _MAX_SIZE:
            raise BackupDamaged("payload")
        self._open(path)
        self._left = size
        if not size:
            self._done_file()

    def _open(self, path: Path) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        self._file = os.fdopen(fd, "wb")

    def _done_file(self) -> None:
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None

    def finish(self) -> None:
        """The payload is whole: its end came (framed) or it held a snapshot (not); all synced."""
        if not self._started:
            raise BackupDamaged("payload")  # a sealed stream with an empty payload holds no profile
        if self.framed:
            if self._state != "end" or self._left:
                raise BackupDamaged("payload")
        else:
            self._done_file()
        folder = self.part / FILES_FOLDER
        if folder.is_dir():
            fsync_folder(folder, strict=True)

    def close(self) -> None:
        if self._file is not None and not self._file.closed:
            self._file.close()


#: Why a restored picture or file is FAILED, in words (shown with its message).
NOT_IN_BACKUP = "This file was not in the backup this profile was restored from; download it again."
NOT_WHOLE = "This file's copy in the backup was not whole, so it was left out; download it again."


def settle(conn: sqlite3.Connection, part: Path, *, framed: bool) -> list[str]:
    """Make the attachment rows match the restored ``files/`` (see above); the names of copies dropped.

    Runs inside the restore's transaction on the rebuilt database (schema step 6 or later).
    """
    folder = part / FILES_FOLDER
    dropped: list[str] = []
    rows = conn.execute("SELECT message, spec, state, file FROM attachments").fetchall()
    for message, spec_text, state, name in rows:
        path = folder / f"{name}{SEALED}"
        expected = _sealed_size_of(spec_text)
        with contextlib.suppress(FileNotFoundError):
            if expected is not None and path.stat().st_size != expected:
                path.unlink()
                dropped.append(str(name))
        if state in MOVING:
            conn.execute("UPDATE attachments SET state = 'paused', error = '' WHERE message = ?", (message,))
        elif state == "done" and framed and not path.exists():
            words = NOT_WHOLE if str(name) in dropped else NOT_IN_BACKUP
            conn.execute(
                "UPDATE attachments SET state = 'failed', error = ? WHERE message = ?", (words, message)
            )
    return dropped


def _sealed_size_of(spec_text: object) -> int | None:
    """What the row's file takes sealed, from its plaintext size; None when the row does not say."""
    try:
        spec = json.loads(spec_text) if isinstance(spec_text, (str, bytes)) else None
    except ValueError:
        return None
    size = spec.get("size") if isinstance(spec, dict) else None
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return None
    return sealed_size(size)
