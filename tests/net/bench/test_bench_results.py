"""net.bench.results: figures summed over workers, server cost per message, the ratio and the bottleneck."""

from __future__ import annotations

import math
from array import array
from typing import Any

from net.bench.results import PhaseResult, Report, latencies_of
from net.bench.stats import ProcessSample


def _answer(latencies: list[float], **counts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sent": 100, "accepted": 100, "refused": 0, "received": 100, "duplicated": 0, "undecryptable": 0,
        "lost": 0, "delivered_in_window": 50, "latencies": array("d", latencies).tobytes(),
        "cpu_seconds": 1.0, "lag_seconds": 0.0, "drained": True, "errors": [],
        "copies_accepted": 100, "copies_received": 100, "copies_in_window": 50,
    }  # fmt: skip
    base.update(counts)
    return base


def _phase(answers: list[dict[str, Any]], **kwargs: Any) -> PhaseResult:
    return PhaseResult.of(
        "parley", answers, clients=8, mode="closed loop, window 1", duration=2.0, size=64, **kwargs
    )


def test_counts_and_latencies_are_summed_over_workers() -> None:
    answers = [_answer([1.0, 2.0]), _answer([3.0], lost=1, received=99, errors=["send refused: queue_full"])]
    phase = _phase(answers, server_before=None, server_after=None)
    assert (phase.sent, phase.received, phase.lost, phase.workers) == (200, 199, 1, 2)
    assert phase.delivered_per_second == 50.0  # 100 delivered in the 2 s window
    assert phase.latency_ms.count == 3 and phase.latency_ms.max == 3.0
    assert phase.errors == ["send refused: queue_full"]
    assert not phase.clean
    assert phase.server_cpu_us_per_message is None and phase.server_peak_rss is None
    assert sorted(latencies_of(answers)) == [1.0, 2.0, 3.0]


def test_server_cpu_per_delivered_message_and_peak_memory() -> None:
    before = ProcessSample(cpu_seconds=10.0, rss=50, peak_rss=60, threads=5)
    after = ProcessSample(cpu_seconds=10.5, rss=70, peak_rss=80, threads=5)
    phase = _phase([_answer([1.0])], server_before=before, server_after=after)
    assert phase.server_cpu_us_per_message is not None
    assert math.isclose(phase.server_cpu_us_per_message, 0.5 / 50 * 1e6)
    assert phase.server_cpu_share == 0.25 and phase.server_peak_rss == 80
    assert phase.clean


def test_a_busy_or_late_generator_is_the_bottleneck() -> None:
    idle = _phase([_answer([1.0], cpu_seconds=0.5)], server_before=None, server_after=None)
    busy = _phase([_answer([1.0]), _answer([1.0], cpu_seconds=1.9)], server_before=None, server_after=None)
    late = _phase([_answer([1.0], cpu_seconds=0.5, lag_seconds=0.3)], server_before=None, server_after=None)
    assert not idle.generator_bound and busy.generator_bound and late.generator_bound


def test_the_ratio_needs_both_targets() -> None:
    parley = _phase([_answer([1.0])], server_before=None, server_after=None)
    relay = _phase([_answer([1.0], delivered_in_window=200)], server_before=None, server_after=None)
    relay.target = "relay"
    assert Report("c", "s", "m", phases=[parley]).ratio is None
    report = Report("c", "s", "m", phases=[parley, relay])
    assert report.ratio == 0.25
    assert report.to_json()["ratio"] == 0.25 and report.to_json()["phases"][1]["generator_bound"] is False


def test_with_devices_the_server_cost_is_per_message_and_per_copy_and_every_copy_must_arrive() -> None:
    before, after = ProcessSample(10.0, 0, 0, 1), ProcessSample(10.3, 0, 0, 1)
    copies = {"copies_accepted": 300, "copies_received": 300, "copies_in_window": 150}
    phase = _phase([_answer([1.0], **copies)], server_before=before, server_after=after, devices=2)
    assert phase.devices == 2 and (phase.copies_accepted, phase.copies_received) == (300, 300)
    assert phase.server_cpu_us_per_message is not None and phase.server_cpu_us_per_copy is not None
    assert math.isclose(phase.server_cpu_us_per_message, 0.3 / 50 * 1e6)  # 50 messages in the window
    assert math.isclose(phase.server_cpu_us_per_copy, 0.3 / 150 * 1e6)  # 150 copies in the window
    assert phase.every_copy_once and Report("c", "s", "m", phases=[phase]).clean
    short = _phase([_answer([1.0], **{**copies, "copies_received": 299})], server_before=None,
                   server_after=None, devices=2)  # fmt: skip
    assert short.clean is True and not short.every_copy_once  # the worker's lost would say so too
    assert not Report("c", "s", "m", phases=[short]).clean
