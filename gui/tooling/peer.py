"""A second profile without a window: the other side of a conversation, for tests and screenshots.

It runs the same client engine on the same :class:`~gui.worker.EngineWorker`
as the app, and offers blocking calls with timeouts, so a script can say
"register Bob", "send Alice a message" and wait for what the engine reports.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from gui.engine import Engine
from gui.worker import (
    Command,
    CommandDone,
    CommandFailed,
    CommandOutcome,
    EngineFactory,
    EngineWorker,
    WorkerEvent,
)
from net.client.core import events as ev

PEER_TIMEOUT = 60.0

T = TypeVar("T")


class PeerError(Exception):
    """The engine refused a call; ``code`` is the engine's."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class HeadlessPeer:
    def __init__(self, make_engine: EngineFactory) -> None:
        self.worker = EngineWorker(make_engine)
        self.worker.start()
        self.events: list[WorkerEvent] = []

    @classmethod
    def with_profiles(cls, profiles_root: Path) -> HeadlessPeer:
        from net.client.messenger import Messenger

        return cls(lambda emit: Messenger(profiles_root, emit))

    def call(
        self, fn: Callable[[Engine], T], *, polls: bool | None = None, timeout: float = PEER_TIMEOUT
    ) -> T:
        """Run ``fn(engine)`` on the peer's worker and return its result (or raise :class:`PeerError`)."""
        results: list[T] = []
        command = Command("peer", fn, results.append, polls=polls)
        self.worker.submit(command)
        found = self._next(lambda e: isinstance(e, CommandOutcome) and e.command is command, timeout)
        if isinstance(found, CommandFailed):
            raise PeerError(found.code, found.message)
        assert isinstance(found, CommandDone)
        found.deliver()
        return results[0]

    def wait_for(
        self, predicate: Callable[[WorkerEvent], bool], timeout: float = PEER_TIMEOUT
    ) -> WorkerEvent:
        """The first engine event (already seen or still to come) for which ``predicate`` holds."""
        for event in self.events:
            if predicate(event):
                self.events.remove(event)
                return event
        return self._next(predicate, timeout)

    def _next(self, predicate: Callable[[WorkerEvent], bool], timeout: float) -> WorkerEvent:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the peer's engine did not report in time")
            try:
                event = self.worker.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if predicate(event):
                return event
            self.events.append(event)

    def register(self, name: str, passphrase: str, host: str, port: int, phone: str, email: str) -> None:
        """Create a profile, trust the server on first contact, register with the dev code, go online."""
        self.call(lambda engine: engine.create_profile(name, passphrase))
        self.connect(host, port)
        self.call(lambda engine: engine.register_start(phone, email))
        sent = self.wait_for(lambda e: isinstance(e, ev.CodeSent))
        assert isinstance(sent, ev.CodeSent)
        if not sent.dev_code:
            raise PeerError("no_dev_code", "the server must run with --dev-codes for a headless peer")
        code = sent.dev_code
        self.call(lambda engine: engine.register_finish(code), polls=True)

    def connect(self, host: str, port: int) -> None:
        def connect(engine: Engine) -> None:
            engine.set_server(host, port)
            engine.connect()

        try:
            self.call(connect, polls=True)
        except PeerError as exc:
            if exc.code not in ("server_key_unknown", "server_key_changed"):
                raise
        unknown = next((e for e in self.events if isinstance(e, ev.ServerKeyUnknown)), None)
        if unknown is not None:
            self.events.remove(unknown)

            def accept(engine: Engine) -> None:
                engine.accept_server_key(unknown.fingerprint)
                engine.connect()

            self.call(accept, polls=True)

    def stop(self) -> None:
        self.worker.stop()
