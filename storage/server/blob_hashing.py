"""SHA-256 of uploads as their pieces arrive, on a thread of its own, so that a finish need not read back.

``blob_finish`` must answer with the digest of everything the file holds. Read
back and hashed at the finish, a 100 MiB blob costs some 80 ms after its last
piece; hashed as the pieces are written (each handed to this thread, which
hashes while the loop goes on: hashlib lets go of the GIL for big buffers), the
finish has only the sync left. A running hash is kept only while the pieces come
in order from offset 0 (as puts do); anything else, or a server that restarted
in the middle of an upload, has none, and the finish reads the file back as
before. The digest is used only when it covers exactly the bytes the file holds.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from typing import Any

_WAIT = 60.0  # seconds a finish waits for the pieces handed over before it reads the file instead


class _Running:
    __slots__ = ("digest", "fed", "hashed")

    def __init__(self) -> None:
        self.digest: Any = hashlib.sha256()
        self.fed = 0  # bytes handed to the thread
        self.hashed = 0  # bytes it has hashed


class RunningHashes:
    def __init__(self) -> None:
        self._running: dict[int, _Running] = {}
        self._changed = threading.Condition()
        self._work: queue.SimpleQueue[tuple[_Running, memoryview] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def written(self, number: int, offset: int, data: memoryview) -> None:
        """``data`` was written at ``offset`` of blob ``number``'s file (a whole piece, after the write)."""
        with self._changed:
            running = self._running.get(number)
            if running is None or running.fed != offset:
                if offset != 0:
                    self._running.pop(number, None)  # out of order: the finish reads the file
                    return
                running = self._running[number] = _Running()
            running.fed += len(data)
            if self._thread is None:
                self._thread = threading.Thread(target=self._hash, name="blob-hashing", daemon=True)
                self._thread.start()
        self._work.put((running, data))

    def take(self, number: int, size: int) -> bytes | None:
        """The SHA-256 of blob ``number``'s first ``size`` bytes if they were all hashed here, else None.

        Waits for the pieces handed over to be hashed; the blob's running hash is forgotten.
        """
        with self._changed:
            running = self._running.pop(number, None)
            if running is None:
                return None
            done = self._changed.wait_for(lambda: running.hashed == running.fed, timeout=_WAIT)
        return running.digest.digest() if done and running.fed == size else None

    def forget(self, number: int) -> None:
        with self._changed:
            self._running.pop(number, None)

    def close(self) -> None:
        with self._changed:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._work.put(None)
            thread.join(10.0)

    def _hash(self) -> None:
        while (item := self._work.get()) is not None:
            running, data = item
            running.digest.update(data)  # outside the lock: big buffers are hashed without the GIL
            with self._changed:
                running.hashed += len(data)
                self._changed.notify_all()
