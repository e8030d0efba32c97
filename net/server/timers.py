"""Deadlines of many connections in one heap, without an entry per reset.

A connection's idle deadline moves with every read; pushing a heap entry each
time would grow the heap with the traffic. Instead each connection has at most
one *live* entry, remembered in its ``wake_at``: when the entry comes due, the
loop asks the connection for its real deadline and either closes it or schedules
a new look at that later time. Only a deadline that moves *earlier* (output that
stops draining) pushes a second entry; the older one is then stale and skipped.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from typing import Protocol


class Timed(Protocol):
    wake_at: float  # 0.0 when no live entry is in the heap
    closed: bool


class Deadlines:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timed]] = []
        self._order = itertools.count()  # ties are broken by age, never by comparing connections

    def __len__(self) -> int:
        return len(self._heap)

    def schedule(self, item: Timed, when: float) -> None:
        """Look at ``item`` at ``when``, unless a look is already due no later than that."""
        if item.wake_at and item.wake_at <= when:
            return
        item.wake_at = when
        heapq.heappush(self._heap, (when, next(self._order), item))

    def next_time(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def due(self, now: float) -> Iterator[Timed]:
        """The items whose live entry is due by ``now``; each is taken out of the heap."""
        heap = self._heap
        while heap and heap[0][0] <= now:
            when, _, item = heapq.heappop(heap)
            if item.closed or when != item.wake_at:
                continue  # a stale entry: an earlier look replaced it, or the item is gone
            item.wake_at = 0.0
            yield item
