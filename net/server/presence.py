"""Who is online: one live session per logged-in (account, device).

A session is anything that can push a message to its client and end its
connection; the server's :class:`~net.server.peer_connection.PeerConnection` is the
real one (safe to call from any thread: it hands the work to the event loop),
tests may use others. A login of (account, d) displaces only an earlier session of
the same (account, d): an account's other devices stay online.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol


class Session(Protocol):
    peer: str
    phone: str | None
    #: The device this connection is logged in as (1 until a login says otherwise).
    device: int
    challenge: tuple[str, bytes] | None

    def push(self, kind: str, body: dict[str, Any]) -> bool:
        """Queue a push to the client; False if the connection is already gone or closing."""
        ...

    def end(self) -> None:
        """Close the connection once what is queued for it is written (from any thread)."""
        ...


class Presence:
    def __init__(self) -> None:
        self._online: dict[str, dict[int, Session]] = {}
        self._lock = threading.Lock()

    def claim(self, phone: str, session: Session) -> Session | None:
        """Make ``session`` the live one of (phone, its device); returns the one it displaced, if any."""
        with self._lock:
            devices = self._online.setdefault(phone, {})
            previous = devices.get(session.device)
            devices[session.device] = session
        return previous if previous is not session else None

    def release(self, phone: str, session: Session) -> None:
        """Forget ``session`` if it is still the live one of (phone, its device)."""
        with self._lock:
            devices = self._online.get(phone)
            if devices is not None and devices.get(session.device) is session:
                del devices[session.device]
                if not devices:
                    del self._online[phone]

    def take(self, phone: str, device: int) -> Session | None:
        """Remove and return the live session of (phone, device) (the device was unlinked)."""
        with self._lock:
            devices = self._online.get(phone)
            if devices is None:
                return None
            session = devices.pop(device, None)
            if not devices:
                del self._online[phone]
            return session

    def take_all(self, phone: str) -> list[Session]:
        """Remove and return every live session of the account (it was re-registered or deleted)."""
        with self._lock:
            return list(self._online.pop(phone, {}).values())

    def get(self, phone: str, device: int = 1) -> Session | None:
        with self._lock:
            devices = self._online.get(phone)
            return None if devices is None else devices.get(device)

    def all_of(self, phone: str) -> list[Session]:
        """The account's live sessions, one per device online, by device id."""
        with self._lock:
            devices = self._online.get(phone, {})
            return [devices[d] for d in sorted(devices)]

    def here(self, phone: str) -> list[Session]:
        """The account's sessions on this node (on one node: all of them; never a proxy of another node)."""
        return self.all_of(phone)

    def tick(self) -> None:
        """Called on every turn of the loop, inside its batch; on one node there is nothing to do."""

    def current(self, session: Session) -> bool:
        """Whether the store still backs ``session``'s login (on one node it always does: every change of
        an account ends its sessions at once). A node of a cluster reads the store, and ends the session
        with the reason when it does not."""
        return True

    def after_commit(self) -> None:
        """Called after every turn's commit, outside the batch: a node of a cluster reads to catch up."""

    @property
    def work_waiting(self) -> bool:
        """Whether work waits for the next turn (the loop does not sleep meanwhile)."""
        return False

    def next_due(self) -> float | None:
        """When (monotonic seconds) timed work is due next, if any."""
        return None

    def __len__(self) -> int:
        with self._lock:
            return sum(len(devices) for devices in self._online.values())
