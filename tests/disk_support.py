"""A disk that fills up, for tests: a real small tmpfs where the machine allows it, else SQLite's page cap.

As root, :class:`SmallDisk` mounts a tmpfs of a few MiB and fills it with a
file until the kernel says ENOSPC, so SQLite fails exactly as on a full disk.
Where mounting is refused it falls back to ``PRAGMA max_page_count`` on the
profile's own connection, which makes SQLite fail the same way (SQLITE_FULL,
"database or disk is full"). Test-only; the engine has no such hook.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import subprocess
from pathlib import Path
from types import TracebackType

from engine_support import Person

SIZE = "8m"
_CHUNK = 64 * 1024


def profile_connection(person: Person) -> sqlite3.Connection:
    """The unlocked profile's own SQLite connection (reached through the engine, for tests only)."""
    ctx = person.engine._ctx
    assert ctx is not None, "unlock the profile first"
    return ctx.profile._vault.conn


class SmallDisk:
    def __init__(self, root: Path, *, tmpfs: bool = True) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.mounted = False
        if tmpfs and os.geteuid() == 0:
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs", str(root)],
                capture_output=True,
                timeout=30,
            )
            self.mounted = done.returncode == 0
        self._filler = root / "filler"

    def fill(self, conn: sqlite3.Connection) -> None:
        """From now on, the profile's next write that needs more room fails; call on ``conn``'s own thread."""
        # An emptied write-ahead log: every later commit must grow it, and there is no room left.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        if self.mounted:
            with self._filler.open("ab", buffering=0) as file:
                for size in (_CHUNK, 4096, 512, 1):  # to the last byte the filesystem has
                    try:
                        while file.write(b"\0" * size):
                            pass
                    except OSError as exc:
                        assert exc.errno == errno.ENOSPC
        else:
            (pages,) = conn.execute("PRAGMA page_count").fetchone()
            conn.execute(f"PRAGMA max_page_count = {pages}").fetchall()

    def free(self, conn: sqlite3.Connection) -> None:
        if self.mounted:
            self._filler.unlink(missing_ok=True)
        else:
            conn.execute("PRAGMA max_page_count = 1073741823").fetchall()

    def close(self) -> None:
        if self.mounted:
            with contextlib.suppress(subprocess.SubprocessError):
                done = subprocess.run(["umount", str(self.root)], capture_output=True, timeout=30)
                if done.returncode != 0:
                    subprocess.run(["umount", "-l", str(self.root)], capture_output=True, timeout=30)
            self.mounted = False

    def __enter__(self) -> SmallDisk:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
