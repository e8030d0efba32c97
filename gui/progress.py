"""Progress of a long command (a backup, a restore, an export), from the worker thread to the window.

The engine calls a progress function on the worker thread, once per chunk it
moves: thousands of times a second for a fast disk. Posting each call to the
event queue would flood it and the window would draw bars nobody sees, so the
worker side only *records* the latest ``(done, total)`` under a lock
(:meth:`ProgressChannel.report`), and the window *polls* it with ``after`` at a
fixed rate (:class:`ProgressWatcher`, 20 times a second): however fast the
engine reports, the window draws at most that often, and the last value it
draws is the latest one. No widget is ever touched on the worker thread.
"""

from __future__ import annotations

import threading
import tkinter as tk
from collections.abc import Callable

#: How often the window looks at a running command's progress: at most 20 redraws a second.
POLL_MS = 50

Shown = Callable[[int, int], None]


class ProgressChannel:
    """The latest ``(done, total)`` a command reported: written on the worker thread, read on the Tk one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: tuple[int, int] | None = None
        self._fresh = False
        #: How many times the engine reported (read by tests and the throttle's own check).
        self.reports = 0

    def report(self, done: int, total: int) -> None:
        """The engine's progress function: cheap, thread-safe, never blocks on the window."""
        with self._lock:
            self._latest = (max(0, done), max(0, total))
            self._fresh = True
            self.reports += 1

    def take(self) -> tuple[int, int] | None:
        """The latest value if it changed since the last ``take``, else None."""
        with self._lock:
            if not self._fresh:
                return None
            self._fresh = False
            return self._latest

    @property
    def latest(self) -> tuple[int, int] | None:
        with self._lock:
            return self._latest


class ProgressWatcher:
    """Polls a channel on the Tk thread and hands fresh values to ``shown``, until :meth:`stop`."""

    def __init__(self, widget: tk.Misc, channel: ProgressChannel, shown: Shown, *, every_ms: int = POLL_MS):
        self._widget, self._channel, self._shown, self._every = widget, channel, shown, every_ms
        self._after: str | None = None
        #: How many values were handed to ``shown``: the redraws, at most one per poll.
        self.redraws = 0

    def start(self) -> None:
        if self._after is None:
            self._after = self._widget.after(self._every, self._tick)

    def stop(self) -> None:
        """Stop polling, after handing over the last value the engine reported, if it is new."""
        if self._after is not None:
            self._widget.after_cancel(self._after)
            self._after = None
        self._hand_over()

    @property
    def running(self) -> bool:
        return self._after is not None

    def _tick(self) -> None:
        self._after = None
        self._hand_over()
        if self._widget.winfo_exists():
            self._after = self._widget.after(self._every, self._tick)

    def _hand_over(self) -> None:
        value = self._channel.take()
        if value is not None and self._widget.winfo_exists():
            self.redraws += 1
            self._shown(*value)
