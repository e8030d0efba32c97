"""A rate limiter that counts through the store, for several server processes sharing one database.

A :class:`~net.server.limits.PersistedLimiter` counts in memory and only writes its events
down, so each node would count alone: three nodes behind one address would let a
stranger try three times the failed logins, codes or lookups a limit allows. When the
server's store is shared (a PostgreSQL ``--store``), every limiter is a
:class:`SharedLimiter` instead: it writes each event to the store as the persisted one does
(inside the turn's group commit) and asks the store how many events *all* nodes counted in
the window (:meth:`~storage.server.interface.RateEventLog.rate_count`) before it allows one.

A check and the count after it are one step across nodes: :meth:`SharedLimiter.allow`,
:meth:`~SharedLimiter.exceeded` and :meth:`~SharedLimiter.remaining` take the store's lock
on (limiter, key) (on PostgreSQL an advisory lock held to the turn's commit), so
another node's check of the same key waits until this turn, with the count it makes
after its check, has committed. A burst on N nodes at once thus passes no more than the
limit, not N times it. Inside one node's turn the store counts through the open batch,
so a check sees the events the same turn counted before it.

The checks on every send (:func:`any_exceeded`, for the ``unknown_account`` limits) only
glance: both keys in one query, without a lock, since they refuse and count nothing; the
answer they guard (an unknown number) is counted under the lock.
A single SQLite node keeps counting in memory, which is faster and sees everything at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

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
        at = int(now * 1000)
        return self._events_kept.take(self.name, key, self._since(now), self.limit, at, self._expiry(at))

    def exceeded(self, key: str) -> bool:
        """Whether the next event would be refused; the key stays locked to the turn's commit (see above)."""
        return self._locked_count(key) >= self.limit

    def remaining(self, key: str) -> int:
        return max(0, self.limit - self._locked_count(key))

    def since(self) -> int:
        """The start of the window now (ms): what :meth:`RateEventLog.glance` counts after."""
        return self._since(self._clock())

    def count(self, key: str) -> None:
        self._record(key, self._clock())

    def _locked_count(self, key: str) -> int:
        return self._events_kept.locked_count(self.name, key, self._since(self._clock()))

    def _since(self, now: float) -> int:
        return int((now - self.window) * 1000)

    def _expiry(self, at: int) -> int:
        return at + int(self.window * 1000)

    def _record(self, key: str, now: float) -> None:
        at = int(now * 1000)
        self._events_kept.record(self.name, key, at, self._expiry(at))

    def __len__(self) -> int:
        return 0  # nothing is kept in memory


def any_exceeded(checks: Sequence[tuple[RateLimiter, str]]) -> bool:
    """Whether any (limiter, key) of ``checks`` is past its limit: a glance that counts nothing."""
    return fewest_remaining(checks) == 0


def fewest_remaining(checks: Sequence[tuple[RateLimiter, str]]) -> int:
    """The fewest events any (limiter, key) of ``checks`` may still count: a glance that counts nothing.

    Shared limiters (all of one store) are read in one query, without a lock and without making the
    turn's replies wait on its commit; the others ask themselves (in memory).
    """
    shared = [(limiter, key) for limiter, key in checks if isinstance(limiter, SharedLimiter)]
    fewest = min(
        (limiter.remaining(key) for limiter, key in checks if not isinstance(limiter, SharedLimiter)),
        default=None,
    )
    if shared:
        asked = [(limiter.name, key, limiter.since()) for limiter, key in shared]
        counts = shared[0][0]._events_kept.glance(asked)
        left = min(max(0, limiter.limit - n) for (limiter, _), n in zip(shared, counts, strict=True))
        fewest = left if fewest is None else min(fewest, left)
    assert fewest is not None, "no limits to glance at"
    return fewest
