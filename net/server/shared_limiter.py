"""A rate limiter that counts through the store, for several server processes sharing one database.

A :class:`~net.server.limits.PersistedLimiter` counts in memory and only writes its events
down, so each node would count alone: three nodes behind one address would let a
stranger try three times the failed logins, codes or lookups a limit allows. When the
server's store is shared (a PostgreSQL ``--store``), every limiter is a
:class:`SharedLimiter` instead: it writes each event to the store as the persisted one does
(inside the turn's group commit) and asks the store how many events *all* nodes counted in
the window (:meth:`~storage.server.interface.RateEventLog.rate_count`) before it allows one.

Inside one node's turn a check and the counts before it agree: on the loop's thread the
store counts through the open batch, which holds the turn's own events. Between nodes a
count is seen once its turn commits, a few milliseconds later, so two nodes that check the
same key in the same instant may both allow the last event: a limit is exceeded by at
most the events of the other nodes' open turns, never by a node's own. A single SQLite
node keeps counting in memory, which is faster and sees everything at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from net.server.limits import RateLimiter
from storage.server.interface import RateEventLog


class SharedLimiter(RateLimiter):
    """At most ``limit`` events per key in any ``window`` seconds, counted over every node of one store.

    The same calls as :class:`~net.server.limits.RateLimiter`; times are wall-clock seconds, so the
    nodes' clocks must agree (NTP keeps them within milliseconds, far below any window here).
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

    def allow(self, key: str) -> bool:
        now = self._clock()
        if self._counted_since(key, now) >= self.limit:
            return False
        self._record(key, now)
        return True

    def exceeded(self, key: str) -> bool:
        return self._counted_since(key, self._clock()) >= self.limit

    def remaining(self, key: str) -> int:
        return max(0, self.limit - self._counted_since(key, self._clock()))

    def count(self, key: str) -> None:
        self._record(key, self._clock())

    def _counted_since(self, key: str, now: float) -> int:
        return self._events_kept.rate_count(self.name, key, int((now - self.window) * 1000))

    def _record(self, key: str, now: float) -> None:
        at = int(now * 1000)
        self._events_kept.record(self.name, key, at, at + int(self.window * 1000))

    def __len__(self) -> int:
        return 0  # nothing is kept in memory
