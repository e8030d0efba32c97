"""The sliding-window rate limiter."""

from __future__ import annotations

from net.limits import Limits, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_up_to_the_limit_then_refuses() -> None:
    limiter = RateLimiter(3, 60.0, Clock())
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]


def test_keys_are_counted_apart() -> None:
    limiter = RateLimiter(1, 60.0, Clock())
    assert limiter.allow("a") and limiter.allow("b")
    assert not limiter.allow("a")


def test_the_window_slides() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 60.0, clock)
    assert limiter.allow("a")
    clock.now += 30
    assert limiter.allow("a")
    assert not limiter.allow("a")
    clock.now += 31  # the first event has left the window
    assert limiter.allow("a")
    assert not limiter.allow("a")


def test_idle_keys_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 10.0, clock)
    for i in range(100):
        limiter.allow(f"k{i}")
    clock.now += 11
    limiter.allow("new")
    assert len(limiter) == 1


def test_defaults_match_the_issue() -> None:
    limits = Limits()
    assert limits.max_frame == 1024 * 1024
    assert limits.queue_cap == 10_000
    assert limits.code_attempts == 5
    assert limits.code_lifetime == 600
