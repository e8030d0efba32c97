"""Client ids: the time first, so that they sort in the order they were made; random bits after it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from known_answers import counting_random

from net.protocol.client_ids import time_ordered_id


def test_a_known_id() -> None:
    made = time_ordered_id("m-", 1_764_000_000_123, lambda n: bytes(range(n)))
    assert made == "m-" + "019ab697e87b" + "0001020304050607"


@given(st.lists(st.integers(min_value=0, max_value=16**12 - 1), min_size=2, max_size=50))
def test_ids_sort_in_time_order_and_fit_the_wire(times: list[int]) -> None:
    random = counting_random()
    made = [(now, time_ordered_id("m-", now, random)) for now in times]
    by_text = sorted(made, key=lambda pair: pair[1])
    assert [now for now, _ in by_text] == sorted(times)
    for _, client_id in made:
        assert re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", client_id)


def test_two_ids_of_the_same_millisecond_differ() -> None:
    random = counting_random()
    assert time_ordered_id("m-", 5, random) != time_ordered_id("m-", 5, random)


@pytest.mark.parametrize(("now", "shown"), [(-1, "0" * 12), (16**12, "f" * 12)])
def test_a_clock_out_of_range_still_gives_a_unique_id(now: int, shown: str) -> None:
    random = counting_random()
    first, second = time_ordered_id("m-", now, random), time_ordered_id("m-", now, random)
    assert first.startswith("m-" + shown) and first != second
