"""The server's limits, and the sliding-window rate limiters that count per phone, account or address.

Every limit has a default here and a flag in ``python main.py server``; net/protocol/PROTOCOL.md
lists them. A :class:`RateLimiter` counts in memory; a :class:`PersistedLimiter`
also writes each event it counts to the server's store (inside the loop's group
commit, so no extra sync) and reads them back when the server starts, so a restart,
even a killed process, forgets no count. The server uses persisted ones, or, when
other nodes share its store, :class:`~net.server.shared_limiter.SharedLimiter` ones,
which count every node's events through the store.
"""

from __future__ import annotations

import functools
import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from net.protocol.frames import DEFAULT_MAX_FRAME
from storage.server.interface import RateEventLog

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_frame: int = DEFAULT_MAX_FRAME
    idle_timeout: float = 300.0
    handshake_timeout: float = 10.0
    # A client that takes nothing for this long while output waits for it is closed, so a reader that
    # stopped cannot pin memory (its buffered output is also capped, see net/server/peer_connection.py).
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
    # Failed logins only: a correct signature always logs in (see Service._login).
    logins_per_minute: int = 10  # per phone number
    address_logins_per_minute: int = 30  # per source address
    bundles_per_hour: int = 500  # per fetching account: 100 contacts' bundles of 5 devices each
    # One-time prekeys handed out per hour; past either, a bundle comes without them.
    prekeys_per_target: int = 50  # per account whose prekeys they are, whoever fetches
    prekeys_per_address: int = 100  # per fetching source address
    prekeys_low: int = 25  # a fetch that takes a kind below this pushes prekeys_low to the owner
    queue_cap: int = 10_000  # messages waiting per recipient
    queue_cap_per_sender: int = 1000  # messages one sender may have waiting for one recipient
    queue_bytes: int = 100 * MIB  # body bytes waiting per recipient
    # unknown_account answers (get_bundle, send) per hour; past either, lookups are refused.
    unknown_per_account: int = 20
    unknown_per_address: int = 100
    prekeys_per_account: int = 1000
    # Blobs (net/protocol/PROTOCOL.md, "Blobs"): sizes in bytes, times in seconds.
    blob_max_size: int = 100 * MIB  # the largest file: a blob may hold its sealed form (blob_service.py)
    blob_quota: int = 1024 * MIB  # bytes of live blobs per account, by their declared sizes
    blob_lifetime: float = 30 * 24 * 3600.0  # from blob_start
    blob_idle: float = 24 * 3600.0  # an unfinished upload without a put for this long dies
    blob_starts_per_hour: int = 300  # per account
    # Devices (net/protocol/PROTOCOL.md, "Devices").
    max_devices: int = 5  # live devices per account
    link_opens_per_address: int = 20  # link codes asked for per hour, per source address
    link_joins_per_account: int = 10  # link codes tried per hour, per joining account
    link_joins_per_address: int = 10  # ... and per source address


@functools.lru_cache(maxsize=4096)  # asked on every send; a connection's peer never changes
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
            if self._current(key, now) >= self.limit:
                return False
            self._events.setdefault(key, deque()).append(now)
        self._counted(key, now)
        return True

    def exceeded(self, key: str) -> bool:
        """Whether the next event for ``key`` would be refused; counts nothing."""
        if self.limit > 0 and key not in self._events:  # asked on every send: most keys never counted
            return False
        now = self._clock()
        with self._lock:
            return self._current(key, now) >= self.limit

    def remaining(self, key: str) -> int:
        """How many more events ``key`` may count before the limit refuses; counts nothing."""
        now = self._clock()
        with self._lock:
            return max(0, self.limit - self._current(key, now))

    def count(self, key: str) -> None:
        """Count one event for ``key`` whatever the limit says (for events that happen anyway)."""
        now = self._clock()
        with self._lock:
            self._current(key, now)
            self._events.setdefault(key, deque()).append(now)
        self._counted(key, now)

    def _current(self, key: str, now: float) -> int:
        if now >= self._next_sweep:
            self._sweep(now)
        times = self._events.get(key)
        if times is None:  # asking creates nothing: most keys asked about never count an event
            return 0
        while times and times[0] <= now - self.window:
            times.popleft()
        return len(times)

    def _counted(self, key: str, now: float) -> None:
        """Called with each event counted, outside the lock (a persisted limiter writes it down)."""

    def _sweep(self, now: float) -> None:
        # Drop keys whose every event has left the window, so idle keys do not pile up.
        stale = [key for key, times in self._events.items() if not times or times[-1] <= now - self.window]
        for key in stale:
            del self._events[key]
        self._next_sweep = now + self.window

    def __len__(self) -> int:
        return len(self._events)


class PersistedLimiter(RateLimiter):
    """A :class:`RateLimiter` whose events are kept in the store under ``name``; times are wall-clock seconds.

    It is a drop-in for ``RateLimiter(limit, window)``: the same ``allow(key)``, and it starts
    with the events of the last ``window`` that an earlier run of the server counted.
    """

    def __init__(
        self,
        events: RateEventLog,
        name: str,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(limit, window, clock)
        self.name = name
        self._events_kept = events
        now = clock()
        for key, at, count in events.load(name, int(now * 1000)):
            self._events.setdefault(key, deque()).extend([at / 1000] * count)

    def _counted(self, key: str, now: float) -> None:
        at = int(now * 1000)
        self._events_kept.record(self.name, key, at, at + int(self.window * 1000))
