"""net.bench.table: the copies and the every-device line of a run with linked devices."""

from __future__ import annotations

from net.bench.results import PhaseResult, Report
from net.bench.stats import LatencySummary
from net.bench.table import format_report


def _phase(devices: int, round: int, copies_received: int) -> PhaseResult:
    copies = 10 * (2 * devices - 1)
    return PhaseResult(
        target="devices" if devices > 1 else "parley", clients=4, workers=1, mode="closed loop, window 1",
        duration=2.0, size=256, sent=10, accepted=10, refused=0, received=10, lost=copies - copies_received,
        duplicated=0, undecryptable=0, delivered_per_second=5.0,
        latency_ms=LatencySummary(10, 1.0, 2.0, 3.0, 4.0),
        server_cpu_us_per_message=300.0, server_cpu_share=0.5, server_peak_rss=2**20, generator_cpu_share=0.2,
        generator_lag_seconds=0.0, drained=True, devices=devices, round=round, copies_accepted=copies,
        copies_received=copies_received, server_cpu_us_per_copy=100.0,
    )  # fmt: skip


def test_a_devices_run_shows_its_copies_beside_the_one_device_run() -> None:
    report = Report("c", "s", "m", phases=[_phase(1, 1, 10), _phase(2, 1, 30)])
    text = format_report(report)
    assert "Parley (TLS, SQLite)" in text and "Parley, 2 devices each" in text
    assert "10 / 10" in text and "30 / 30" in text  # copies stored / decrypted
    assert "server CPU per copy stored, µs" in text
    assert "devices 2: 10 messages, each on every device once (30 copies), lost 0, duplicated 0" in text
    assert report.clean and text.endswith("all messages arrived once and decrypted")


def test_rounds_are_numbered_and_a_missing_copy_is_a_fault() -> None:
    report = Report("c", "s", "m", phases=[_phase(2, 1, 30), _phase(1, 1, 10), _phase(2, 2, 29)])
    text = format_report(report)
    assert "Parley, 1 device each #1" in text and "Parley, 2 devices each #2" in text
    assert "devices 2 #2: FAULTS: 29 of 30 copies decrypted, lost 1" in text
    assert not report.clean and "FAULTS" in text.splitlines()[-1]


def test_a_one_device_run_has_no_device_rows() -> None:
    text = format_report(Report("c", "s", "m", phases=[_phase(1, 1, 10)]))
    assert "copies" not in text and "devices" not in text
