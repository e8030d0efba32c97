"""The comparison's table and JSON, from fixed figures: medians over rounds, lost added up, notes in words."""

from __future__ import annotations

import json
import math

from net.bench.peers.peer_table import Summary, comparison_json, format_comparison, summaries
from net.bench.peers.runs import Comparison, Load, PeerOptions, Run
from net.bench.results import PhaseResult
from net.bench.stats import LatencySummary

LOW, HIGH = Load(100, 1000.0), Load(500, 3000.0)
TITLES = {"prosody": "Prosody 0.12.3", "parley-full": "Parley, lean clients, --sync full"}


def _phase(target: str, round: int, cpu: float, p50: float, p99: float, **more: object) -> PhaseResult:
    fields: dict[str, object] = dict(
        target=target, clients=100, workers=2, mode="open loop, 1000 msg/s", duration=20.0, size=256,
        sent=20_000, accepted=20_000, refused=0, received=20_000, lost=0, duplicated=0, undecryptable=0,
        delivered_per_second=1000.0, latency_ms=LatencySummary(20_000, p50, p50 * 2, p99, p99 * 3),
        server_cpu_us_per_message=cpu, server_cpu_share=cpu / 1000, server_peak_rss=20 * 2**20 + round,
        generator_cpu_share=0.3, generator_lag_seconds=0.0, drained=True, round=round,
    )  # fmt: skip
    fields.update(more)
    return PhaseResult(**fields)  # type: ignore[arg-type]


def _comparison() -> Comparison:
    options = PeerOptions(
        rounds=3, loads=(LOW, HIGH), systems=("prosody", "ejabberd", "parley-full"), workers=2
    )
    comparison = Comparison("2026-12-02 07:00 UTC", "a machine", "python -m net.bench.peers", options)
    comparison.titles = dict(TITLES)
    comparison.missing = {"ejabberd": "ejabberd is not installed: apt-get install ejabberd"}
    figures = {
        "prosody": [(330, 1.2, 4.0), (310, 1.1, 4.4), (323, 1.3, 5.0)],
        "parley-full": [(420, 1.3, 2.6)] * 3,
    }
    for system, rounds in figures.items():
        for index, (cpu, p50, p99) in enumerate(rounds, start=1):
            more: dict[str, object] = (
                {"lost": 2, "accepted": 20_000} if (system, index) == ("prosody", 2) else {}
            )
            comparison.runs.append(Run(system, LOW, index, _phase(system, index, cpu, p50, p99, **more)))
    comparison.runs.append(
        Run("prosody", HIGH, 1, _phase("prosody", 1, 302, 50.0, 320.0, generator_cpu_share=0.95))
    )
    comparison.runs.append(
        Run("parley-full", HIGH, 1, None, "BenchError: the server did not start: no output")
    )
    return comparison


def test_the_medians_are_over_rounds_and_lost_is_added_up() -> None:
    rows = summaries(_comparison())
    prosody = rows[LOW][0]
    assert prosody.system == "prosody" and prosody.rounds == 3
    assert prosody.cpu_us_per_message == 323 and prosody.cpu_us_by_round == (330, 310, 323)
    assert (prosody.p50_ms, prosody.p99_ms) == (1.2, 4.4)
    assert prosody.lost == 2  # one round's loss, not hidden by the median of 0, 2, 0
    assert prosody.peak_rss == 20 * 2**20 + 2
    assert [s.system for s in rows[LOW]] == ["prosody", "parley-full"]  # the missing system has no row
    assert [s.system for s in rows[HIGH]] == ["prosody"]  # the failed run has no figures
    assert rows[HIGH][0].client_bound_rounds == 1


def test_the_table_shows_each_load_each_system_and_says_what_is_missing_or_failed() -> None:
    text = format_comparison(_comparison())
    lines = text.splitlines()
    assert lines[0] == "Parley beside Prosody and ejabberd, 2026-12-02 07:00 UTC"
    assert "medians of 3 round(s), lost added up" in lines[3]
    low = lines.index("100 clients, 1,000 msg/s")
    header = lines[low + 1].split()
    assert header[:4] == ["system", "server", "CPU,", "µs/msg"]
    prosody = lines[low + 2]
    assert prosody.startswith("Prosody 0.12.3")
    assert prosody.split()[2:] == ["323", "330", "/", "310", "/", "323", "1.2", "4.4", "1,000", "2", "20.0"]
    assert lines[low + 3].startswith("Parley, lean clients, --sync full")
    assert lines[low + 3].split()[5:] == [
        "420",
        "420",
        "/",
        "420",
        "/",
        "420",
        "1.3",
        "2.6",
        "1,000",
        "0",
        "20.0",
    ]
    high = lines.index("500 clients, 3,000 msg/s")
    assert lines[high + 2].split()[2:4] == ["302", "302"]
    assert any("Prosody 0.12.3: in 1 of 1 round(s) the clients could not keep up" in ln for ln in lines)
    assert "missing: ejabberd: ejabberd is not installed: apt-get install ejabberd" in lines
    assert (
        "failed: parley-full at 500 clients, 3,000 msg/s, round 1:"
        " BenchError: the server did not start: no output" in lines
    )
    # Columns line up: every row of a load is as wide as its header.
    assert len({len(lines[low + i]) for i in (1, 2, 3)}) == 1


def test_json_has_the_medians_every_round_and_no_nan() -> None:
    comparison = _comparison()
    comparison.runs.append(Run("prosody", HIGH, 2, _phase("prosody", 2, math.nan, math.nan, math.nan)))
    data = json.loads(json.dumps(comparison_json(comparison), allow_nan=False))
    assert data["titles"] == TITLES and data["missing"] == comparison.missing
    assert data["options"]["rounds"] == 3 and data["options"]["loads"][0] == {"clients": 100, "rate": 1000.0}
    low, high = data["loads"]
    assert (low["clients"], low["rate"]) == (100, 1000.0)
    assert low["medians"][0]["cpu_us_per_message"] == 323 and low["medians"][0]["lost"] == 2
    assert [r["round"] for r in low["rounds"] if r["system"] == "prosody"] == [1, 2, 3]
    assert low["rounds"][1]["phase"]["lost"] == 2
    assert high["rounds"][1]["failure"].startswith("BenchError")
    assert high["rounds"][2]["phase"]["server_cpu_us_per_message"] is None
    assert high["medians"][0]["cpu_us_by_round"] == [302, None]  # a NaN round is left out of the median
    assert high["medians"][0]["cpu_us_per_message"] == 302


def test_a_summary_of_rounds_without_figures_has_none() -> None:
    summary = Summary.of(
        "prosody", [_phase("prosody", 1, math.nan, math.nan, math.nan, server_peak_rss=None)]
    )
    assert summary.cpu_us_per_message is None and summary.peak_rss is None and summary.p99_ms is None
