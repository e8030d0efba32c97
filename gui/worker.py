"""The worker thread: it owns the client engine, and nothing else touches it.

The window puts :class:`Command` objects on one queue; the worker runs each
against the engine and posts the outcome (:class:`CommandDone` or
:class:`CommandFailed`) to the event queue, where the engine's own events land
too, in the order they happened. Between commands, while the app is online, the
worker services the network with ``poll``; a new command interrupts a running
poll through ``wakeup()``, the engine's one thread-safe door besides ``stop()``.

The engine is built on the worker thread, so that everything it opens (its
database, its connection) belongs to the thread that uses it. No widget is ever
touched here: the window drains the event queue on its own thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from net.events import ErrorReported, Event

log = logging.getLogger(__name__)

#: How long one poll may run when nothing happens; a command cuts it short.
POLL_SECONDS = 0.25
#: After a poll itself fails, wait this long before the next, so that a broken state cannot spin.
POLL_FAILURE_PAUSE = 1.0
_INTERNAL = "internal"


class Engine(Protocol):
    """What the worker needs of the client engine (net.messenger.Messenger has it all)."""

    def poll(self, timeout: float) -> None: ...
    def wakeup(self) -> None: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


EngineFactory = Callable[[Callable[[Event], None]], Any]


@dataclass(frozen=True)
class Command:
    """Run ``call(engine)`` on the worker. ``polls`` switches network servicing on or off after success."""

    tag: str
    call: Callable[[Any], object]
    polls: bool | None = None

    def __repr__(self) -> str:  # arguments (passphrases, texts) live in the closure and stay out of reprs
        return f"Command({self.tag!r})"


@dataclass(frozen=True)
class CommandDone:
    tag: str
    result: object

    def __repr__(self) -> str:
        return f"CommandDone({self.tag!r})"


@dataclass(frozen=True)
class CommandFailed:
    tag: str
    code: str
    message: str


WorkerEvent = Event | CommandDone | CommandFailed


def _describe(exc: BaseException) -> tuple[str, str]:
    """An engine error keeps its code and words; anything else is a bug here, said plainly."""
    code, message = getattr(exc, "code", None), getattr(exc, "message", None)
    if isinstance(code, str) and isinstance(message, str):
        return code, message
    return _INTERNAL, (
        f"Something went wrong inside Parley ({type(exc).__name__}). "
        "Your messages and keys are safe; please try again."
    )


class EngineWorker:
    def __init__(self, make_engine: EngineFactory, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.events: queue.SimpleQueue[WorkerEvent] = queue.SimpleQueue()
        self._commands: queue.SimpleQueue[Command | None] = queue.SimpleQueue()
        self._make_engine = make_engine
        self._poll_seconds = poll_seconds
        self._engine: Any = None
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._polling = False
        self._thread = threading.Thread(target=self._run, name="parley-engine", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the client engine did not start in time")

    def submit(self, command: Command) -> None:
        self._commands.put(command)
        self._interrupt()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the engine and the thread; True when the thread ended within ``timeout``."""
        self._stopping.set()
        self._commands.put(None)
        engine = self._engine
        if engine is not None:
            engine.stop()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _interrupt(self) -> None:
        engine = self._engine
        if engine is not None:
            engine.wakeup()

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        try:
            self._engine = self._make_engine(self.events.put)
        except Exception as exc:
            code, message = _describe(exc)
            log.exception("the client engine could not start")
            self.events.put(ErrorReported(code, message, "start"))
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stopping.is_set():
                if not self._run_pending_commands():
                    break
                if self._polling:
                    self._poll()
        finally:
            try:
                self._engine.close()
            except Exception:
                log.exception("the client engine did not close cleanly")

    def _run_pending_commands(self) -> bool:
        """Run what waits (offline: wait for the next command); False once stop was asked for."""
        command = self._next_nowait() if self._polling else self._commands.get()
        while command is not None:
            self._execute(command)
            if self._stopping.is_set():
                return False
            command = self._next_nowait()
        return not self._stopping.is_set()

    def _next_nowait(self) -> Command | None:
        try:
            return self._commands.get_nowait()
        except queue.Empty:
            return None

    def _execute(self, command: Command) -> None:
        try:
            result = command.call(self._engine)
        except Exception as exc:
            code, message = _describe(exc)
            if code == _INTERNAL:
                log.exception("command %s failed", command.tag)
            self.events.put(CommandFailed(command.tag, code, message))
            return
        if command.polls is not None:
            self._polling = command.polls
        self.events.put(CommandDone(command.tag, result))

    def _poll(self) -> None:
        try:
            self._engine.poll(self._poll_seconds)
        except Exception as exc:
            code, message = _describe(exc)
            log.warning("poll failed: %s", code)
            self.events.put(ErrorReported(code, message, "poll"))
            # Wait for a command (or stop) rather than polling a broken engine in a tight loop.
            try:
                command = self._commands.get(timeout=POLL_FAILURE_PAUSE)
            except queue.Empty:
                return
            if command is not None:
                self._execute(command)
