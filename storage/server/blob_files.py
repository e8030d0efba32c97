"""The bytes of the server's blobs: one file per blob in a folder of the data directory.

A file is named after its blob's row number (``<number>.blob``), never after its
id (the id is a capability; the store keeps only its hash). A put writes its piece
in place with ``pwrite`` at its offset, and a get reads one piece with ``pread``:
nothing ever reads or writes a whole blob at once. Only :meth:`BlobFiles.seal`
(the finish of an upload, run away from the server's event loop) reads a file
through, in bounded chunks, to hash it, after syncing it and the folder to the disk.

The file holds exactly the bytes received so far: puts only ever write at its
end (or rewrite bytes it has), so its size is the upload's ``received``, and no
database write is needed per piece. A write that finds the disk full is cut back
and raises the ``OSError`` (ENOSPC) it met, which the server answers ``storage_full``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from storage.server.records import BlobGone

FOLDER = "blobs"
_HASH_CHUNK = 1024 * 1024


class BlobFiles:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(mode=0o700, exist_ok=True)
        self.folder = folder

    def path(self, number: int) -> Path:
        return self.folder / f"{number}.blob"

    def held(self, number: int) -> int:
        """The bytes the blob's file holds (0 before its first write)."""
        try:
            return os.stat(self.path(number)).st_size
        except FileNotFoundError:
            return 0

    def write(self, number: int, offset: int, data: bytes | memoryview) -> None:
        """Put ``data`` at ``offset`` of the blob's file (made on the first write), without syncing.

        A write that fails (a full disk) is undone: the file is cut back to ``offset``, so what it
        holds is always what whole puts gave it.
        """
        view = memoryview(data)
        fd = os.open(self.path(number), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            start = offset
            try:
                while view:
                    written = os.pwrite(fd, view, offset)
                    view, offset = view[written:], offset + written
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, start)  # cutting back needs no room
                raise
        finally:
            os.close(fd)

    def read(self, number: int, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset``; :class:`BlobGone` if the file is missing or shorter."""
        try:
            fd = os.open(self.path(number), os.O_RDONLY)
        except FileNotFoundError:
            raise BlobGone("the blob's file is missing") from None
        try:
            data = os.pread(fd, length, offset)
        finally:
            os.close(fd)
        if len(data) != length:
            raise BlobGone("the blob's file is shorter than its record")
        return data

    def seal(self, number: int) -> bytes:
        """Sync the blob's file and the folder to the disk, then give the SHA-256 of the file (blocking)."""
        digest = hashlib.sha256()
        try:
            fd = os.open(self.path(number), os.O_RDONLY)
        except FileNotFoundError:
            raise BlobGone("the blob's file is missing") from None
        try:
            os.fsync(fd)
            while chunk := os.read(fd, _HASH_CHUNK):
                digest.update(chunk)
        finally:
            os.close(fd)
        folder = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder)  # the file's name, made by its first put, is durable too
        finally:
            os.close(folder)
        return digest.digest()

    def delete(self, number: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(number).unlink()
