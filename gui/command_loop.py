"""The window's side of the worker: commands out with their busy texts, events back in bounded batches.

The window never waits. :meth:`CommandLoop.do` hands a typed
:class:`~gui.worker.Command` to the worker and returns; the worker's outcomes and
the engine's events are drained on the Tk thread with ``after``, at most
:data:`EVENTS_PER_TICK` a tick and no more once :data:`TICK_BUDGET` has been spent
(at least one), so a flood of events never freezes the window: drawing a bubble
costs about a millisecond, so a count alone let a tick of 50 bubbles hold the
window for 50 to 100 ms on a busy machine.
A command's continuation (``then`` or ``failed``) runs here; an outcome nobody
asked for, and an error the engine reported, go to ``report``.
"""

from __future__ import annotations

import logging
import queue
import time
import tkinter as tk
from collections.abc import Callable
from typing import TypeVar

from gui.view_models.wording import error_text
from gui.worker import (
    Command,
    CommandDone,
    CommandFailed,
    CommandOutcome,
    EngineWorker,
    Submitted,
    WorkerEvent,
)
from net.client.core import events as ev

log = logging.getLogger(__name__)

#: Events handled per tick of the drain loop, and how soon the next tick comes.
EVENTS_PER_TICK = 50
#: Seconds of handling after which a tick stops taking events (the next tick comes at once).
TICK_BUDGET = 0.025
BUSY_TICK_MS = 5
IDLE_TICK_MS = 50

T = TypeVar("T")


class CommandLoop:
    """Runs commands on ``worker`` and drains its events on ``root``'s loop until :meth:`stop`."""

    def __init__(
        self,
        root: tk.Misc,
        worker: EngineWorker,
        *,
        show_busy: Callable[[str | None], None],
        report: Callable[[str, str], None],
        handle: Callable[[ev.Event], None],
        after_batch: Callable[[], None],
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._root, self._worker, self._clock = root, worker, clock
        self._show_busy, self._report, self._handle, self._after_batch = (
            show_busy,
            report,
            handle,
            after_batch,
        )
        #: Commands on the worker, each with the busy text it shows (None: it shows none).
        self._pending: dict[Submitted, str | None] = {}
        self._after_id: str | None = None
        self._stopped = False

    def start(self) -> None:
        self._worker.start()
        self._after_id = self._root.after(IDLE_TICK_MS, self._drain)

    def stop(self) -> None:
        """No more ticks; the worker itself is the app's to stop (after its controllers close)."""
        self._stopped = True
        if self._after_id is not None:
            self._root.after_cancel(self._after_id)
            self._after_id = None

    def do(self, command: Command[T], *, busy: str | None = None) -> None:
        """Run ``command`` on the worker; its ``then(result)`` or ``failed(code, text)`` run here later."""
        self._pending[command] = busy
        if busy:
            self._show_busy(busy)
        if not self._worker.alive:  # the engine could not start (its start error is already shown)
            text = "Parley's engine is not running, so this cannot be done. Close Parley and start it again."
            self._worker.events.put(CommandFailed(command, "engine_stopped", text))
            return
        self._worker.submit(command)

    @property
    def busy(self) -> bool:
        return any(self._pending.values())

    @property
    def busy_text(self) -> str | None:
        """The busy text of the oldest command still running that shows one."""
        return next((b for b in self._pending.values() if b), None)

    def _drain(self) -> None:
        self._after_id = None
        handled = 0
        stop_at = self._clock() + TICK_BUDGET
        while handled < EVENTS_PER_TICK and (handled == 0 or self._clock() < stop_at):
            try:
                event = self._worker.events.get_nowait()
            except queue.Empty:
                break
            handled += 1
            try:
                self._dispatch(event)
            except Exception:
                log.exception("handling %s failed", type(event).__name__)
                self._report("internal", "")
        self._after_batch()
        if not self._stopped:
            more = not self._worker.events.empty()
            self._after_id = self._root.after(BUSY_TICK_MS if more else IDLE_TICK_MS, self._drain)

    def _dispatch(self, event: WorkerEvent) -> None:
        if isinstance(event, CommandOutcome):
            busy = self._pending.pop(event.command, None)
            if busy and not self.busy:
                self._show_busy(None)
            if isinstance(event, CommandDone):
                event.deliver()
            elif isinstance(event, CommandFailed) and event.command.failed is not None:
                event.command.failed(event.code, error_text(event.code, event.message))
            elif isinstance(event, CommandFailed):
                self._report(event.code, event.message)
        elif isinstance(event, ev.ErrorReported):
            self._report(event.code, event.message)
        else:
            self._handle(event)
