"""net.bench.flows: how clients are spread over processes (pairs stay together)."""

from __future__ import annotations

import pytest

from net.bench.flows import Options, split


@pytest.mark.parametrize(("count", "parts"), [(10, 1), (10, 3), (500, 2), (6, 4), (2, 5)])
def test_pairs_are_never_split_across_processes(count: int, parts: int) -> None:
    items = [str(i) for i in range(count)]
    chunks = split(items, parts, even=True)
    assert [x for c in chunks for x in c] == items
    assert all(len(c) % 2 == 0 and c for c in chunks)
    assert len(chunks) <= parts
    assert max(map(len, chunks)) - min(map(len, chunks)) <= 2


def test_idle_connections_are_spread_evenly() -> None:
    chunks = split([str(i) for i in range(10_001)], 2, even=False)
    assert [len(c) for c in chunks] == [5001, 5000]


def test_the_mode_is_described() -> None:
    assert Options(window=4).mode == "closed loop, window 4"
    assert Options(rate=1000.0).mode == "open loop, 1000 msg/s"


@pytest.mark.parametrize(
    ("others", "named"),
    [
        ({"devices": 3}, "--devices 3"),
        ({"cluster": 2}, "--cluster 2"),
        ({"connections": 100}, "--connections"),
        ({"devices": 2, "cluster": 3}, "--devices 2 or --cluster 3"),
    ],
)
def test_lean_options_refuse_what_lean_clients_do_not_cover(others: dict[str, int], named: str) -> None:
    with pytest.raises(ValueError, match=f"not for {named}$"):
        Options(lean=True, **others)  # type: ignore[arg-type]
    assert Options(**others).lean is False  # type: ignore[arg-type]
    assert Options(lean=True, baseline=False, clients=4, rate=100.0).lean
