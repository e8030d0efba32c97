"""Who is online: one live session per logged-in account (one device per account).

A session is anything that can push a message to its client and end its
connection; the server's :class:`~net.server.peer_connection.PeerConnection` is the
real one (safe to call from any thread: it hands the work to the event loop),
tests may use others.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol


class Session(Protocol):
    peer: str
    phone: str | None
    challenge: tuple[str, bytes] | None

    def push(self, kind: str, body: dict[str, Any]) -> bool:
        """Queue a push to the client; False if the connection is already gone or closing."""
        ...

    def end(self) -> None:
        """Close the connection once what is queued for it is written (from any thread)."""
        ...


class Presence:
    def __init__(self) -> None:
        self._online: dict[str, Session] = {}
        self._lock = threading.Lock()

    def claim(self, phone: str, session: Session) -> Session | None:
        """Make ``session`` the account's live one; returns the one it displaced, if any."""
        with self._lock:
            previous = self._online.get(phone)
            self._online[phone] = session
        return previous if previous is not session else None

    def release(self, phone: str, session: Session) -> None:
        """Forget ``session`` if it is still the account's live one."""
        with self._lock:
            if self._online.get(phone) is session:
                del self._online[phone]

    def take(self, phone: str) -> Session | None:
        """Remove and return the account's live session (it was re-registered or deleted)."""
        with self._lock:
            return self._online.pop(phone, None)

    def get(self, phone: str) -> Session | None:
        with self._lock:
            return self._online.get(phone)

    def __len__(self) -> int:
        with self._lock:
            return len(self._online)
