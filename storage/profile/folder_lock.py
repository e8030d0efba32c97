"""One profile, one window: an operating-system lock on a file in the profile's folder while it is open.

The lock is ``<root>/<id>/lock``, taken without waiting (``fcntl.flock`` on
POSIX, ``msvcrt.locking`` on Windows) when a profile is unlocked and released
when it is closed. The operating system drops it when the process ends, also
after a crash or a SIGKILL, so a lock can never outlive its window. The file
itself holds nothing; its presence means nothing (only the lock on it counts),
so it is never removed, which would race with a window taking it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from storage.profile.errors import ProfileError

LOCK_NAME = "lock"

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)


class ProfileInUse(ProfileError):
    """Another window (another process, or another open of it in this one) has this profile open."""

    code = "profile_in_use"

    def __init__(self) -> None:
        super().__init__("This profile is already open in another Parley window.")


class FolderLock:
    """The held lock of one profile folder; :meth:`release` is idempotent."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def take(cls, folder: Path) -> FolderLock:
        """Lock ``folder`` for this open, or :class:`ProfileInUse` at once (never waits)."""
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(folder / LOCK_NAME, flags, 0o600)
        if not _try_lock(fd):
            os.close(fd)
            raise ProfileInUse()
        return cls(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            _unlock(fd)
            os.close(fd)

    def __repr__(self) -> str:
        return f"FolderLock(held={self.held})"


def in_use(folder: Path) -> bool:
    """Whether another open holds ``folder``'s lock now (a look, for the list of profiles).

    The lock is taken and given back at once; a window that unlocks in that instant
    is told the profile is open and can try again.
    """
    if not folder.is_dir():
        return False
    try:
        lock = FolderLock.take(folder)
    except ProfileInUse:
        return True
    except OSError:
        return False  # a folder we cannot write to: the unlock will say why
    lock.release()
    return False
