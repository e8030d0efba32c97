"""``python main.py bench --group-size N``: a group's figures beside the 1:1 figures of the same run."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from net.bench.group_bench import GroupOptions, GroupReport, KindFigures, Sample, format_group_report

ROOT = Path(__file__).resolve().parents[3]


def _sample(kind: str, server_us: float, sender_ms: float) -> Sample:
    return Sample(kind, 10, 40, 40, 2.0, (5.0, 7.0, 9.0), sender_ms, server_us, 0, 0)


def test_the_figures_are_medians_of_the_rounds_and_the_verdicts_compare_them() -> None:
    group = KindFigures.of("group", [_sample("group", 400.0, 50.0), _sample("group", 800.0, 90.0)] * 2)
    pairs = KindFigures.of("1:1", [_sample("1:1", 2000.0, 300.0)])
    assert group.copies_per_second == 20.0
    assert group.server_us_per_copy == 15.0  # (400 + 800) / 2 µs over 40 copies
    assert group.sender_ms_per_message == 7.0  # (50 + 90) / 2 ms over 10 messages
    report = GroupReport(GroupOptions(size=5, messages=10, rounds=2), group, pairs)
    assert report.clean
    text = format_group_report(report, ["head"])
    assert "a group message costs its sender ≤ 10 ms of CPU: 7.00 ms, met" in text
    assert "15.0 µs of its CPU per group copy, 50.0 µs per 1:1 message, met" in text


def test_the_sender_cpu_is_split_into_sending_and_taking_the_receipts_back() -> None:
    split = Sample("group", 10, 40, 40, 2.0, (5.0,), 80.0, 400.0, 0, 0, sending_cpu_ms=30.0)
    group = KindFigures.of("group", [split])
    assert (group.sending_ms_per_message, group.receipts_ms_per_message) == (3.0, 5.0)
    report = GroupReport(GroupOptions(size=5, messages=10), group, KindFigures.of("1:1", [split]))
    assert report.to_json()["group"]["sending_cpu_ms_per_message"] == 3.0
    assert report.to_json()["group"]["receipts_cpu_ms_per_message"] == 5.0
    text = format_group_report(report, ["head"])
    assert "sending a group message (seal + send) ≤ 10 ms of CPU: 3.00 ms, met" in text
    assert "of it taking the receipts back, ms" in text


def test_a_lost_copy_makes_the_report_unclean() -> None:
    lost = Sample("group", 10, 40, 39, 2.0, (5.0,), 50.0, 400.0, 1, 0)
    report = GroupReport(GroupOptions(size=5), KindFigures.of("group", [lost]), KindFigures.of("1:1", [lost]))
    assert not report.clean


def test_the_group_bench_runs_and_every_figure_is_a_number() -> None:
    command = [sys.executable, "main.py", "bench", "--group-size", "4", "--group-messages", "3"]
    command += ["--group-rounds", "2", "--window", "2", "--json"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=400, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert (report["group_size"], report["copies_per_message"], report["rounds"]) == (4, 3, 2)
    assert report["clean"] is True
    assert report["undecryptable"] == 0
    for kind in ("group", "one_to_one"):
        figures = report[kind]
        assert figures["samples"] == 2
        assert (figures["lost"], figures["duplicated"]) == (0, 0)
        numbers = [
            figures["copies_per_second"],
            figures["latency_ms"]["p50"],
            figures["latency_ms"]["p99"],
            figures["sender_cpu_ms_per_message"],
            figures["sending_cpu_ms_per_message"],
            figures["receipts_cpu_ms_per_message"],
            figures["server_cpu_us_per_copy"],
        ]
        assert all(isinstance(v, float) and math.isfinite(v) and v >= 0 for v in numbers), numbers
        assert 0 < figures["sending_cpu_ms_per_message"] <= figures["sender_cpu_ms_per_message"]
        assert figures["copies_per_second"] > 0
        assert figures["latency_ms"]["p50"] <= figures["latency_ms"]["p99"]


def test_a_group_of_more_than_a_hundred_is_refused_in_words() -> None:
    command = [sys.executable, "main.py", "bench", "--group-size", "101"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "--group-size must be 2 to 100" in result.stderr
