"""The sliding-window rate limiter, in memory and persisted in a real store file."""

from __future__ import annotations

from store_support import OpenStore

from net.server.limits import Limits, PersistedLimiter, RateLimiter


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


def test_exceeded_counts_nothing_and_count_counts_past_the_limit() -> None:
    limiter = RateLimiter(2, 60.0, Clock())
    assert not limiter.exceeded("a") and not limiter.exceeded("a")
    limiter.count("a")
    limiter.count("a")
    assert limiter.exceeded("a") and not limiter.allow("a")
    limiter.count("a")  # an event that happened anyway is still counted
    assert not limiter.exceeded("b")


def test_remaining_says_how_many_more_events_a_key_may_count() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 60.0, clock)
    assert limiter.remaining("a") == 3
    limiter.count("a")
    assert limiter.remaining("a") == 2 and limiter.remaining("b") == 3
    for _ in range(4):
        limiter.count("a")
    assert limiter.remaining("a") == 0  # past the limit, never below nothing
    clock.now += 61
    assert limiter.remaining("a") == 3


def test_a_persisted_limiter_starts_with_the_counts_of_the_last_run(open_test_store: OpenStore) -> None:
    clock = Clock()
    clock.now = 1_700_000_000.0
    store = open_test_store()
    first = PersistedLimiter(store.rate_events, "logins", 3, 60.0, clock)
    assert first.allow("a") and first.allow("a")
    clock.now += 30
    first.count("a")
    assert first.allow("b")
    store.close()
    reopened = open_test_store()
    try:
        again = PersistedLimiter(reopened.rate_events, "logins", 3, 60.0, clock)
        assert again.exceeded("a") and not again.allow("a")
        assert again.allow("b") and again.allow("b") and not again.allow("b")
        other = PersistedLimiter(reopened.rate_events, "codes", 3, 60.0, clock)  # names are kept apart
        assert not other.exceeded("a")
        clock.now += 31  # the first two events of "a" have left the window; the third has not
        later = PersistedLimiter(reopened.rate_events, "logins", 3, 60.0, clock)
        assert later.allow("a") and later.allow("a") and not later.allow("a")
    finally:
        reopened.close()
