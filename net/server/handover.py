"""Work handed to the server loop's thread from other threads: a queue of calls and a wake-up.

Only the loop's thread touches sockets and TLS objects. Another thread (the
server's stop, the end of a request's blocking work) appends a call here; a byte
on a socket pair wakes the loop's selector, and the loop runs the calls at the
start of its next turn, inside the turn's batch.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import selectors
import socket
import threading
from collections.abc import Callable

log = logging.getLogger("parley.server")


class Handover:
    def __init__(self, selector: selectors.BaseSelector) -> None:
        self._wake_in, self._wake_out = socket.socketpair()
        self._wake_in.setblocking(False)
        self._wake_out.setblocking(False)
        selector.register(self._wake_in, selectors.EVENT_READ, self._drain_wakeups)
        self._calls: collections.deque[Callable[[], None]] = collections.deque()
        #: The loop's thread: a call made on it needs no wake-up.
        self.thread_id: int | None = None

    def call_soon_threadsafe(self, call: Callable[[], None]) -> None:
        self._calls.append(call)
        if threading.get_ident() != self.thread_id:
            # A full pipe wakes the loop just as well; a closed one means the loop has ended.
            with contextlib.suppress(OSError):
                self._wake_out.send(b"\0")

    @property
    def waiting(self) -> bool:
        return bool(self._calls)

    def run_calls(self) -> None:
        for _ in range(len(self._calls)):  # calls queued meanwhile wait for the next turn
            call = self._calls.popleft()
            try:
                call()
            except Exception as exc:
                log.error("a handed-over call failed: %s", type(exc).__name__)
                log.debug("details", exc_info=True)

    def _drain_wakeups(self) -> None:
        try:
            while self._wake_in.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def close(self) -> None:
        self._wake_in.close()
        self._wake_out.close()
