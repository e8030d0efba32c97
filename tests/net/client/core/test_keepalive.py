"""The keepalive and poll's wait on a fake clock: the ping interval, when one is due, how long poll waits."""

from __future__ import annotations

from fake_clock import FakeClock

from net.client.core.keepalive import PING_EVERY, next_ping_in, ping_due, ping_interval, poll_wait


def test_a_ping_is_due_once_nothing_was_sent_for_the_interval() -> None:
    assert not ping_due(10.0, 10.0 + PING_EVERY - 0.001, PING_EVERY)
    assert ping_due(10.0, 10.0 + PING_EVERY, PING_EVERY)


def test_the_interval_is_three_pings_per_idle_timeout_and_at_most_a_minute() -> None:
    assert abs(ping_interval(2.0) - 2 / 3) < 1e-9
    assert ping_interval(3600.0) == PING_EVERY


def test_the_next_ping_comes_closer_with_the_clock_and_never_below_zero() -> None:
    clock = FakeClock()
    sent = clock()
    clock.advance(0.5)
    assert abs(next_ping_in(sent, clock(), 2.0) - 1.5) < 1e-9
    clock.advance(5.0)
    assert next_ping_in(sent, clock(), 2.0) == 0.0
    assert next_ping_in(None, clock(), 2.0) == 2.0  # no connection: nothing to keep alive


def test_poll_waits_until_the_first_of_its_end_the_ping_and_the_reconnect() -> None:
    assert poll_wait(5.0, ping_in=2.0, reconnect_in=None, buffered=False) == 2.0
    assert poll_wait(1.0, ping_in=2.0, reconnect_in=None, buffered=False) == 1.0
    assert poll_wait(5.0, ping_in=2.0, reconnect_in=0.5, buffered=False) == 0.5
    assert poll_wait(5.0, ping_in=2.0, reconnect_in=-1.0, buffered=False) == 0.0  # overdue: at once
    assert poll_wait(5.0, ping_in=2.0, reconnect_in=None, buffered=True) == 0.0  # input is waiting already
