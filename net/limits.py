"""The server's limits, and a sliding-window rate limiter for the per-phone and per-account ones.

Every limit has a default here and a flag in ``python main.py server``; PROTOCOL.md
lists them. Counters live in memory: a restart forgets them, which errs on the side
of letting people in, never on the side of losing data.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from net.frames import DEFAULT_MAX_FRAME


@dataclass(frozen=True)
class Limits:
    max_frame: int = DEFAULT_MAX_FRAME
    idle_timeout: float = 300.0
    handshake_timeout: float = 10.0
    # A client that takes nothing for this long while output waits for it is closed, so a reader that
    # stopped cannot pin memory (its buffered output is also capped, see net/server_connection.py).
    write_timeout: float = 10.0
    # Codes count per number *and address*, so a stranger's starts never use up the owner's; per address
    # over all numbers; and a number's live codes are capped (a start past the cap is refused, never
    # made room for by evicting someone's code).
    codes_per_hour: int = 5
    codes_per_address: int = 20
    codes_waiting: int = 10
    code_attempts: int = 5
    code_lifetime: float = 600.0
    # Wrong registration-lock passphrases per account, across requesters, before the lock refuses
    # every attempt for ``lock_refusal`` seconds; a lock lapses after ``lock_inactivity`` without login.
    lock_attempts: int = 5
    lock_refusal: float = 24 * 3600.0
    lock_inactivity: float = 7 * 24 * 3600.0
    logins_per_minute: int = 10
    bundles_per_hour: int = 100
    queue_cap: int = 10_000
    prekeys_per_account: int = 1000


def source_address(peer: str) -> str:
    """The part of a connection's ``host:port`` that per-address limits count by.

    An IPv4 address counts by itself; an IPv6 address by its /64, since one
    machine is usually given a whole /64 and could otherwise walk through it.
    """
    host = peer.rsplit(":", 1)[0].strip("[]") if ":" in peer else peer
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class RateLimiter:
    """At most ``limit`` events per key in any ``window`` seconds. Thread-safe; memory bounded by use."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def allow(self, key: str) -> bool:
        """Count one event for ``key`` and say whether it is within the limit (refused ones do not count)."""
        now = self._clock()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            times = self._events.setdefault(key, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True

    def _sweep(self, now: float) -> None:
        # Drop keys whose every event has left the window, so idle keys do not pile up.
        stale = [key for key, times in self._events.items() if not times or times[-1] <= now - self.window]
        for key in stale:
            del self._events[key]
        self._next_sweep = now + self.window

    def __len__(self) -> int:
        return len(self._events)
