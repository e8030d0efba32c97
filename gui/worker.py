"""The worker thread: it owns the client engine, and nothing else touches it.

The window puts :class:`Command` objects on one queue; the worker runs each
against the engine and posts the outcome (:class:`CommandDone` or
:class:`CommandFailed`) to the event queue, where the engine's own events land
too, in the order they happened. A ``Command[T]`` is typed end to end: its
``call`` against :class:`gui.engine.Engine` returns a ``T`` and its ``then``
takes that ``T``, so mypy checks both sides of the GUI/engine boundary.
Between commands, while the app is online, the worker services the network
with ``poll``; a new command interrupts a running poll through ``wakeup()``,
the engine's one thread-safe door besides ``stop()``.

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
from typing import Generic, Protocol, TypeVar

from gui.engine import Engine
from net.client.core.events import ErrorReported, Event

log = logging.getLogger(__name__)

#: How long one poll may run when nothing happens; a command cuts it short.
POLL_SECONDS = 0.25
#: After a poll itself fails, wait this long before the next, so that a broken state cannot spin.
POLL_FAILURE_PAUSE = 1.0
_INTERNAL = "internal"

T = TypeVar("T")
#: What runs on the Tk thread when a command fails: ``failed(code, words for a person)``.
Failed = Callable[[str, str], None]
#: Builds the engine on the worker thread; its argument is where the engine emits its events.
EngineFactory = Callable[[Callable[[Event], None]], Engine]


@dataclass(frozen=True, eq=False)
class Command(Generic[T]):
    """Run ``call(engine)`` on the worker; ``then(result)`` or ``failed(code, text)`` run on the Tk thread.

    ``polls`` switches network servicing on or off after success. Commands
    compare by identity: two "typing" commands are two commands, and an outcome
    names the very command it belongs to.
    """

    name: str
    call: Callable[[Engine], T]
    then: Callable[[T], None] | None = None
    failed: Failed | None = None
    polls: bool | None = None

    def run(self, engine: Engine) -> CommandDone[T]:
        return CommandDone(self, self.call(engine))

    def __repr__(self) -> str:  # arguments (passphrases, texts) live in the closure and stay out of reprs
        return f"Command({self.name!r})"


class Submitted(Protocol):
    """A command as the worker and the window see it once its result type no longer matters."""

    @property
    def name(self) -> str: ...
    @property
    def failed(self) -> Failed | None: ...
    @property
    def polls(self) -> bool | None: ...
    def run(self, engine: Engine) -> CommandOutcome: ...


class CommandOutcome:
    """How a command ended, whatever its result type: the window hands it back to its own command."""

    __slots__ = ()
    command: Submitted


@dataclass(frozen=True, eq=False)
class CommandDone(CommandOutcome, Generic[T]):
    command: Command[T]
    result: T

    def deliver(self) -> None:
        """Hand the result to the command's continuation (on the Tk thread)."""
        if self.command.then is not None:
            self.command.then(self.result)

    def __repr__(self) -> str:
        return f"CommandDone({self.command.name!r})"


@dataclass(frozen=True, eq=False)
class CommandFailed(CommandOutcome):
    command: Submitted
    code: str
    message: str

    def __repr__(self) -> str:
        return f"CommandFailed({self.command.name!r}, {self.code!r})"


WorkerEvent = Event | CommandOutcome


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
        self._commands: queue.SimpleQueue[Submitted | None] = queue.SimpleQueue()
        self._make_engine = make_engine
        self._poll_seconds = poll_seconds
        self._engine: Engine | None = None
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._polling = False
        self._thread = threading.Thread(target=self._run, name="parley-engine", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the client engine did not start in time")

    def submit(self, command: Submitted) -> None:
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
            engine = self._make_engine(self.events.put)
        except Exception as exc:
            code, message = _describe(exc)
            log.exception("the client engine could not start")
            self.events.put(ErrorReported(code, message, "start"))
            self._ready.set()
            return
        self._engine = engine
        self._ready.set()
        try:
            while not self._stopping.is_set():
                if not self._run_pending_commands(engine):
                    break
                if self._polling:
                    self._poll(engine)
        finally:
            try:
                engine.close()
            except Exception:
                log.exception("the client engine did not close cleanly")

    def _run_pending_commands(self, engine: Engine) -> bool:
        """Run what waits (offline: wait for the next command); False once stop was asked for."""
        command = self._next_nowait() if self._polling else self._commands.get()
        while command is not None:
            self._execute(engine, command)
            if self._stopping.is_set():
                return False
            command = self._next_nowait()
        return not self._stopping.is_set()

    def _next_nowait(self) -> Submitted | None:
        try:
            return self._commands.get_nowait()
        except queue.Empty:
            return None

    def _execute(self, engine: Engine, command: Submitted) -> None:
        try:
            done = command.run(engine)
        except Exception as exc:
            code, message = _describe(exc)
            if code == _INTERNAL:
                log.exception("command %s failed", command.name)
            self.events.put(CommandFailed(command, code, message))
            return
        if command.polls is not None:
            self._polling = command.polls
        self.events.put(done)

    def _poll(self, engine: Engine) -> None:
        try:
            engine.poll(self._poll_seconds)
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
                self._execute(engine, command)
