"""Reconnect backoff: exponential ceilings, full jitter within them, a cap, and a reset."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from net.client.core.backoff import Backoff


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _fixed(fraction: float) -> Callable[[int], bytes]:
    value = int(fraction * 2**32).to_bytes(4, "big")
    return lambda n: value[:n]


def test_ceilings_double_up_to_the_cap() -> None:
    backoff = Backoff(base=0.5, cap=4.0, clock=Clock(), random=_fixed(0.0))
    ceilings = []
    for _ in range(6):
        ceilings.append(backoff.ceiling())
        backoff.failed()
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_the_wait_is_a_random_share_of_the_ceiling_and_due_after_it() -> None:
    clock = Clock()
    backoff = Backoff(base=1.0, cap=60.0, clock=clock, random=_fixed(0.5))
    backoff.failed()
    backoff.failed()
    wait = backoff.failed()  # third failure: ceiling 4 s, half of it
    assert wait == pytest.approx(2.0)
    assert not backoff.due()
    assert backoff.remaining() == pytest.approx(2.0)
    clock.now += 2.0
    assert backoff.due()


def test_real_randomness_stays_within_the_ceiling() -> None:
    backoff = Backoff(base=1.0, cap=8.0, clock=Clock())
    for _ in range(50):
        ceiling = backoff.ceiling()
        assert 0.0 <= backoff.failed() <= ceiling


def test_reset_after_a_success() -> None:
    backoff = Backoff(base=1.0, cap=8.0, clock=Clock(), random=_fixed(0.9))
    backoff.failed()
    backoff.failed()
    backoff.reset()
    assert backoff.failures == 0 and backoff.due() and backoff.ceiling() == 1.0


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Backoff(base=0.0, cap=1.0, clock=Clock())
    with pytest.raises(ValueError):
        Backoff(base=2.0, cap=1.0, clock=Clock())
