"""Sizes and durations as an operator writes them on the command line."""

from __future__ import annotations

import pytest

from net.server.amounts import parse_duration, parse_size


def test_sizes_take_binary_units() -> None:
    assert parse_size("1048576") == 1048576
    assert parse_size("512KiB") == parse_size("512k") == 512 * 1024
    assert parse_size("100MiB") == parse_size("100 M") == 100 * 1024**2
    assert parse_size("1GiB") == 1024**3
    assert parse_size("10B") == 10


def test_durations_take_seconds_minutes_hours_days() -> None:
    assert parse_duration("90") == parse_duration("90s") == 90.0
    assert parse_duration("15m") == 900.0
    assert parse_duration("24h") == parse_duration("1d") == 86400.0
    assert parse_duration("0.5s") == 0.5


@pytest.mark.parametrize("text", ["", "ten", "-1", "1.5MiB", "5TB", "1 0"])
def test_a_size_that_is_not_one_says_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


@pytest.mark.parametrize("text", ["", "a day", "-1d", "1w", "1e3"])
def test_a_duration_that_is_not_one_says_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)
