"""``python main.py bench --attachment-size``: Parley's transfers beside raw TLS, and texts meanwhile."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from net.bench.attachment_bench import AttachmentReport, format_attachment_report
from net.bench.stats import LatencySummary

ROOT = Path(__file__).resolve().parents[3]


def _report() -> AttachmentReport:
    report = AttachmentReport(size=10 * 2**20, sealed=10 * 2**20 + 2568, rounds=3, window=4, piece=512 * 1024)
    report.mb_per_second = {
        "parley upload": [100.0, 300.0, 200.0],
        "raw upload": [500.0, 300.0, 400.0],
        "parley download": [150.0, 150.0, 250.0],
        "raw download": [300.0, 300.0, 300.0],
    }
    report.texts_idle = LatencySummary.of([1.0, 2.0, 3.0])
    report.texts_during_transfers = LatencySummary.of([2.0, 4.0, 8.0])
    return report


def test_the_figures_are_medians_and_the_ratio_is_of_the_medians() -> None:
    report = _report()
    assert report.median("parley upload") == 200.0 and report.median("raw upload") == 400.0
    assert report.ratio("upload") == 0.5 and report.ratio("download") == 0.5
    shown = format_attachment_report(report, ["header"])
    assert "Parley / raw" in shown and "0.50" in shown
    assert "texts during transfers, ms (3): p50 4.0, p99 8.0" in shown
    figures = report.to_json()
    assert figures["ratio_to_raw"] == {"upload": 0.5, "download": 0.5}
    assert figures["medians_mb_per_second"]["raw download"] == 300.0


def test_a_figure_with_nothing_measured_is_null_in_json() -> None:
    report = _report()
    report.texts_idle = LatencySummary.of([])
    assert report.to_json()["texts_idle"]["p99"] is None
    json.dumps(report.to_json(), allow_nan=False)


def test_lost_texts_make_the_report_unclean() -> None:
    report = _report()
    assert report.clean
    report.texts_lost = 1
    assert not report.clean and "texts lost: 1" in format_attachment_report(report, [])


def test_the_attachment_bench_runs_and_every_figure_is_a_number() -> None:
    command = [sys.executable, "main.py", "bench", "--attachment-size", "1MiB", "--attachment-rounds", "2"]
    result = subprocess.run([*command, "--json"], cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert (report["size"], report["rounds"], report["piece"]) == (2**20, 2, 512 * 1024)
    for kind, values in report["mb_per_second"].items():
        assert len(values) == 2 and all(math.isfinite(v) and v > 0 for v in values), kind
    assert all(math.isfinite(v) and v > 0 for v in report["ratio_to_raw"].values())
    for kind in ("texts_idle", "texts_during_transfers"):
        assert report[kind]["count"] > 0 and 0 < report[kind]["p50"] <= report[kind]["p99"]
    assert report["texts_lost"] == 0 and report["texts_refused"] == 0


def test_a_size_that_is_not_one_is_refused_in_words() -> None:
    command = [sys.executable, "main.py", "bench", "--attachment-size", "ten"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "is not a size" in result.stderr
