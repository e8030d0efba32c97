"""When to try the server again after a drop: exponential backoff with full jitter.

The n-th retry waits a random time between zero and ``min(cap, base * 2**n)``
(the "full jitter" of AWS's architecture note), so many clients that lost the
same server do not all come back in the same instant. Time and randomness are
injected, so tests can check the schedule without waiting for it.
"""

from __future__ import annotations

from collections.abc import Callable

from crypto_core.encoding import RandomSource, default_random

Clock = Callable[[], float]


class Backoff:
    """The retry schedule of one connection; :meth:`reset` after a success."""

    def __init__(
        self,
        *,
        base: float = 0.5,
        cap: float = 60.0,
        clock: Clock,
        random: RandomSource = default_random,
    ) -> None:
        if base <= 0 or cap < base:
            raise ValueError("backoff needs 0 < base <= cap")
        self.base = base
        self.cap = cap
        self._clock = clock
        self._random = random
        self.failures = 0
        self.next_attempt = 0.0

    def ceiling(self) -> float:
        """The longest the next wait may be, given the failures so far."""
        return min(self.cap, self.base * 2.0 ** min(self.failures, 32))

    def failed(self) -> float:
        """Count a failure and schedule the next attempt; returns the wait chosen."""
        fraction = int.from_bytes(self._random(4), "big") / 2**32
        wait = fraction * self.ceiling()
        self.failures += 1
        self.next_attempt = self._clock() + wait
        return wait

    def due(self) -> bool:
        return self._clock() >= self.next_attempt

    def remaining(self) -> float:
        return max(0.0, self.next_attempt - self._clock())

    def reset(self) -> None:
        self.failures = 0
        self.next_attempt = 0.0
