"""Running out of room: how the server tells a full disk (or a full store quota) and gets out of it.

A write that fails for lack of room is not the server's fault and must not cost
anyone their connection: it is answered ``storage_full``. The first such failure
puts the :class:`SpaceGuard` in its *full* state, in which the server refuses
the writes that only add data (new messages, registrations, prekeys) before they
write anything, and keeps serving those that read or free room (login, fetch,
ack). On a full filesystem even a delete needs room (in WAL mode it appends
pages to the write-ahead log), so the guard keeps a *reserve*: a file of a few
MiB of zeros in the data directory, made at start and given back to the
filesystem the moment the disk is found full, so acknowledgements and the WAL
checkpoint can still be written.

The guard leaves the full state by itself: the server asks it to :meth:`check`
about once a second while full, and once the filesystem has the reserve's room
twice over (and, under a ``--max-store-mib`` quota, enough free pages in the
store) it makes the reserve again and accepts every write. It logs each change
of state once, in words, never per request.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("parley.store")

RESERVE_FILE = "space.reserve"
DEFAULT_RESERVE = 4 * 1024 * 1024
CHECK_INTERVAL = 1.0  # seconds between checks of the free room while full
MIN_FREE_TO_RESUME = 1024 * 1024  # the least room to leave the full state with, even without a reserve
SQLITE_FULL = 13
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_CHUNK = 256 * 1024
_CAUSES_LOOKED_AT = 8


def is_storage_full(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) is a write refused for lack of room.

    That is SQLite's ``SQLITE_FULL`` ("database or disk is full": the filesystem
    or the store's page cap) or ENOSPC / EDQUOT from the operating system.
    """
    for _ in range(_CAUSES_LOOKED_AT):
        if error is None:
            return False
        code = getattr(error, "sqlite_errorcode", None) if isinstance(error, sqlite3.Error) else None
        if code is not None and code & 0xFF == SQLITE_FULL:  # the extended codes keep it in their low byte
            return True
        if isinstance(error, OSError) and error.errno in _FULL_ERRNOS:
            return True
        error = error.__cause__ or error.__context__
    return False


def mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


class SpaceGuard:
    """The full state of one data directory, its reserve file, and the check that ends the full state.

    ``quota_room`` tells how many bytes the store may still grow by under its quota
    (None without one). ``full`` is a plain attribute: the server reads it on its hot path.
    """

    def __init__(
        self,
        directory: Path,
        *,
        reserve: int = DEFAULT_RESERVE,
        quota_room: Callable[[], int | None] = lambda: None,
        quota: int | None = None,
        free_space: Callable[[Path], int] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if reserve < 0:
            raise ValueError("the reserve cannot be negative")
        self.directory = directory
        self.reserve = reserve
        self.full = False
        self._quota_room = quota_room
        self._quota = quota
        self._free_space = free_space or filesystem_free
        self._clock = clock
        self._next_check = 0.0

    @property
    def reserve_path(self) -> Path:
        return self.directory / RESERVE_FILE

    @property
    def resume_free(self) -> int:
        """Free bytes the filesystem needs for the full state to end (the reserve is then made again)."""
        return self.reserve + max(self.reserve, MIN_FREE_TO_RESUME)

    @property
    def resume_room(self) -> int:
        """Bytes the store must be able to grow by under its quota for the full state to end."""
        assert self._quota is not None
        return min(MIN_FREE_TO_RESUME, self._quota // 8)

    def start(self) -> None:
        """Make the reserve (or keep the one a previous run left); start full if there is no room for it."""
        if not self._make_reserve():
            self._enter_full("no room for the reserve at start")

    def met_full(self, what: str) -> None:
        """A write failed for lack of room: enter the full state (once) and give the reserve back."""
        if not self.full:
            self._enter_full(what)

    def check_due(self) -> bool:
        """Whether it is time to look at the free room again (only while full)."""
        return self.full and self._clock() >= self._next_check

    def check(self) -> bool:
        """Leave the full state if there is room again; True when it left it."""
        if not self.full:
            return False
        self._next_check = self._clock() + CHECK_INTERVAL
        free = self._free_space(self.directory)
        if free < self.resume_free:
            return False
        room = self._quota_room()
        if room is not None and room < self.resume_room:
            return False
        if not self._make_reserve():
            return False
        self.full = False
        quota = "" if room is None else f", {mib(room)} left under the store's quota"
        log.warning("storage: room again (%s free%s): accepting every write again", mib(free), quota)
        return True

    def _enter_full(self, what: str) -> None:
        self.full = True
        self._next_check = self._clock() + CHECK_INTERVAL
        released = self._release_reserve()
        log.error(
            "storage: full (%s): refusing new messages, registrations and prekeys with storage_full"
            " until there is room again; login, fetch and ack go on%s",
            what,
            f"; gave back the {mib(released)} reserve" if released else "",
        )

    def _make_reserve(self) -> bool:
        path = self.reserve_path
        if self.reserve == 0:
            path.unlink(missing_ok=True)  # left by a run with a reserve: it would only take room
            return True
        try:
            if path.exists() and path.stat().st_size >= self.reserve:
                return True
            # Written zeros, not a sparse file: the room must be really taken to be really given back.
            with open(path, "wb") as out:
                zeros = bytes(_CHUNK)
                left = self.reserve
                while left > 0:
                    left -= out.write(zeros[: min(left, _CHUNK)])
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            if exc.errno not in _FULL_ERRNOS:
                log.error("storage: cannot make the reserve %s: %s", path.name, exc.strerror)
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)  # a part of a reserve is only in the way
            return False
        return True

    def _release_reserve(self) -> int:
        path = self.reserve_path
        try:
            size = path.stat().st_size
            path.unlink()
        except OSError:  # none there (or something else in its place): nothing to give back
            return 0
        return size


def filesystem_free(directory: Path) -> int:
    """Bytes an unprivileged writer may still put on the filesystem of ``directory``."""
    stats = os.statvfs(directory)
    return stats.f_bavail * stats.f_frsize
