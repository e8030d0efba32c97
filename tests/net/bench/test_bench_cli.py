"""``python main.py bench`` for real (a smoke run of a second or two), its flags and its table."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from net.bench.cli import EXIT_ERROR, add_bench_arguments, format_report, options_from_args, run_bench
from net.bench.flows import start_server
from net.bench.results import IdleResult, PhaseResult, Report
from net.bench.stats import LatencySummary

ROOT = Path(__file__).resolve().parents[3]


def _bench(*flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "bench", *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_smoke_run_against_a_started_server_and_the_relay() -> None:
    done = _bench("--clients", "4", "--duration", "1", "--warmup", "0.3", "--workers", "1", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [p["target"] for p in report["phases"]] == ["parley", "relay"]
    for phase in report["phases"]:
        assert phase["lost"] == phase["duplicated"] == phase["undecryptable"] == 0
        assert phase["received"] == phase["accepted"] == phase["sent"] > 0
        assert phase["delivered_per_second"] > 0 and phase["latency_ms"]["p99"] > 0
    parley = report["phases"][0]
    assert parley["server_cpu_us_per_message"] > 0 and parley["server_peak_rss"] > 0
    assert report["ratio"] > 0 and report["clean"] is True


def test_lean_run_against_a_started_server_and_the_relay_loses_nothing() -> None:
    done = _bench(
        "--lean", "--clients", "4", "--duration", "1", "--warmup", "0.3", "--workers", "1", "--json"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["lean"] is True and report["clean"] is True
    assert [p["target"] for p in report["phases"]] == ["parley", "relay"]
    for phase in report["phases"]:
        assert phase["lost"] == phase["duplicated"] == phase["undecryptable"] == phase["refused"] == 0
        assert phase["received"] == phase["accepted"] == phase["sent"] > 0 and phase["drained"] is True
    assert report["phases"][0]["server_cpu_us_per_message"] > 0
    assert "lean clients" in done.stderr  # the progress line while registering


def test_smoke_run_of_idle_connections_prints_a_table() -> None:
    done = _bench("--connections", "20", "--duration", "0.5", "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert "20 logged-in TLS connections" in done.stdout
    assert "KiB per connection" in done.stdout and "keepalive round trips" in done.stdout


def test_a_server_that_is_not_there_is_a_clear_error() -> None:
    done = _bench("--server", "127.0.0.1:1", "--clients", "2", "--duration", "0.2", "--no-baseline")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("parley bench: ")


def _parse(*flags: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_bench_arguments(parser)
    return parser.parse_args(list(flags))


@pytest.mark.parametrize(
    "flags",
    [("--server", "nowhere"), ("--clients", "0"), ("--rate", "-5"), ("--rate", "10", "--window", "2")],
)
def test_bad_flags_are_refused_by_the_parser(flags: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit):
        _parse(*flags)


def test_flags_become_options() -> None:
    options = options_from_args(_parse("--server", "[::1]:5000", "--rate", "3000", "--clients", "500"))
    assert options.server == ("::1", 5000) and options.rate == 3000 and options.clients == 500
    assert options.mode == "open loop, 3000 msg/s"
    with pytest.raises(ValueError, match="--size"):
        options_from_args(_parse("--size", "8"))


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (("--devices", "2"), "--devices 2"),
        (("--cluster", "2"), "--cluster 2"),
        (("--connections", "10"), "--connections"),
    ],
)
def test_lean_refuses_the_modes_it_does_not_cover(flags: tuple[str, ...], named: str) -> None:
    with pytest.raises(ValueError, match=f"--lean is for the text load of one device each, not for {named}"):
        options_from_args(_parse("--lean", *flags))
    options = options_from_args(_parse("--lean", "--rate", "1000", "--sync", "normal", "--size", "64"))
    assert options.lean and options.baseline and options.rate == 1000
    assert not options_from_args(_parse()).lean


@pytest.mark.parametrize("flags", [("--group-size", "3"), ("--attachment-size", "1MiB")])
def test_lean_refuses_groups_and_attachments_before_starting_anything(
    flags: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_bench(_parse("--lean", *flags), ["bench", "--lean", *flags]) == EXIT_ERROR
    assert "--lean is for the text load, not for groups or attachments" in capsys.readouterr().err


def _phase(target: str, per_second: float, lost: int = 0) -> PhaseResult:
    return PhaseResult(
        target=target, clients=4, workers=1, mode="closed loop, window 1", duration=2.0, size=256,
        sent=10, accepted=10, refused=0, received=10 - lost, lost=lost, duplicated=0, undecryptable=0,
        delivered_per_second=per_second, latency_ms=LatencySummary(10, 1.0, 2.0, 3.0, 4.0),
        server_cpu_us_per_message=None if target == "relay" else 250.0, server_cpu_share=0.5,
        server_peak_rss=50 * 2**20, generator_cpu_share=0.95, generator_lag_seconds=0.0, drained=True,
    )  # fmt: skip


def test_the_table_shows_figures_ratio_and_bottleneck() -> None:
    report = Report("python main.py bench", "2026-11-25 20:00 UTC", "a machine")
    report.phases = [_phase("parley", 1500.0), _phase("relay", 3000.0)]
    text = format_report(report)
    assert "Parley (TLS, SQLite)" in text and "raw relay (TCP)" in text
    assert "1,500" in text and "3,000" in text
    assert "0.50" in text  # the ratio
    assert "1.0 / 2.0 / 3.0 / 4.0" in text
    assert "the clients were the bottleneck" in text  # 95% busy
    assert text.endswith("all messages arrived once and decrypted")


def test_a_lean_run_says_so_in_its_header_and_its_json() -> None:
    report = Report("python main.py bench --lean", "2026-11-25 20:00 UTC", "a machine", lean=True)
    report.phases = [_phase("parley", 1500.0)]
    lines = format_report(report).splitlines()
    assert lines[4].endswith("; lean clients: no end-to-end cryptography in the load tool")
    assert lines[-1] == "all messages arrived once and intact"
    assert report.to_json()["lean"] is True
    plain = Report("c", "s", "m", phases=[_phase("parley", 1500.0)])
    assert "lean" not in format_report(plain) and plain.to_json()["lean"] is False


def test_faults_are_shown_and_json_has_no_nan() -> None:
    report = Report("c", "s", "m", phases=[_phase("parley", 10.0, lost=2)])
    report.phases[0].latency_ms = LatencySummary.of([])
    assert "FAULTS" in format_report(report)
    data = report.to_json()
    assert data["clean"] is False and data["phases"][0]["latency_ms"]["p50"] is None
    json.dumps(data, allow_nan=False)


def test_idle_figures_per_connection() -> None:
    idle = IdleResult(1000, 2, 3.5, 100 * 2**20, 150 * 2**20, 1005, LatencySummary(5, 0.2, 0.4, 0.9, 1.0))
    assert idle.bytes_per_connection is not None
    assert math.isclose(idle.bytes_per_connection, 50 * 2**20 / 1000)
    text = format_report(Report("c", "s", "m", idle=idle))
    assert "51.2 KiB per connection" in text and "p99 0.90" in text


def test_ctrl_c_stops_the_run_and_everything_it_started() -> None:
    bench = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "bench",
            "--clients",
            "4",
            "--duration",
            "60",
            "--warmup",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    try:
        assert bench.stderr is not None
        seen = b""
        while b"parley:" not in seen:  # the progress line: the load is running
            ready, _, _ = select.select([bench.stderr], [], [], 120)
            assert ready, "the run never started"
            chunk = os.read(bench.stderr.fileno(), 4096)
            assert chunk, "the run ended before it started"
            seen += chunk
        children = _children(bench.pid)
        assert len(children) >= 3  # the server and at least one worker (and the spawn tracker)
        os.killpg(bench.pid, signal.SIGINT)
        assert bench.wait(timeout=60) == 130
        assert all(_ends(pid, timeout=30) for pid in children)
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait(timeout=30)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def _ends(pid: int, timeout: float) -> bool:
    """Wait for a process that is not our child to end: a pidfd becomes readable when it does."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


@pytest.mark.parametrize("devices", ["0", "6", "two"])
def test_devices_beyond_an_account_are_refused_by_the_parser(
    devices: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        _parse("--devices", devices)
    assert f"expected 1 to 5 devices, not '{devices}'" in capsys.readouterr().err


def test_devices_and_rounds_become_options() -> None:
    options = options_from_args(_parse("--devices", "3", "--rounds", "2"))
    assert (options.devices, options.rounds) == (3, 2)
    assert (options_from_args(_parse()).devices, options_from_args(_parse()).rounds) == (1, 1)
    with pytest.raises(ValueError, match="--devices"):
        options_from_args(_parse("--devices", "2", "--connections", "10"))


def test_commit_wait_goes_to_the_started_server_only() -> None:
    assert options_from_args(_parse()).commit_wait is None  # the server's own default
    options = options_from_args(_parse("--commit-wait", "1.5", "--lean"))
    assert options.commit_wait == 1.5
    with pytest.raises(ValueError, match="--commit-wait is for the server the bench starts"):
        options_from_args(_parse("--commit-wait", "1", "--server", "127.0.0.1:4000"))
    for text in ("-1", "11", "nan", "soon"):
        with pytest.raises(SystemExit):
            _parse("--commit-wait", text)
    with contextlib.ExitStack() as stack:
        _, pid = start_server(options, stack, lambda _line: None)
        assert pid is not None
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert command[command.index(b"--commit-wait") + 1] == b"1.5"
