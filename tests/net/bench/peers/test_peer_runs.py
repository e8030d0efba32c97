"""The comparison's runs: loads, the rotating order, what is missing, and a short real comparison."""

from __future__ import annotations

from pathlib import Path

import pytest

from net.bench.peers import ejabberd, runs
from net.bench.peers.runs import Comparison, Load, PeerOptions, compare, missing_systems, rotated


def test_a_load_is_clients_and_rate() -> None:
    assert Load.parse("500:3000") == Load(500, 3000.0)
    assert Load.parse("100:2.5e3") == Load(100, 2500.0)
    assert str(Load(500, 3000.0)) == "500 clients, 3,000 msg/s"
    for bad in ("500", "500:", "x:10", "501:10", "0:10", "4:0", "4:-1", ":10"):
        with pytest.raises(ValueError, match="CLIENTS:RATE"):
            Load.parse(bad)
    assert PeerOptions().loads == (Load(100, 1000.0), Load(500, 3000.0))


def test_each_round_starts_one_system_later() -> None:
    systems = ["a", "b", "c"]
    assert [rotated(systems, r) for r in (1, 2, 3, 4)] == [
        ["a", "b", "c"],
        ["b", "c", "a"],
        ["c", "a", "b"],
        ["a", "b", "c"],
    ]
    assert rotated([], 2) == []


def test_a_system_the_machine_lacks_is_said_with_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert missing_systems(runs.SYSTEMS) == {}  # this machine has both packages
    monkeypatch.setenv("PATH", str(tmp_path))  # no prosody on it
    monkeypatch.setattr(ejabberd, "LIBRARIES", tmp_path)  # no ejabberd application there
    assert missing_systems(runs.SYSTEMS) == {
        "prosody": "prosody is not installed: apt-get install prosody",
        "ejabberd": "ejabberd is not installed: apt-get install ejabberd",
        "ejabberd-nobusy": "ejabberd is not installed: apt-get install ejabberd",
    }


def test_titles_name_each_system_with_its_version() -> None:
    titles = runs.titles()
    assert titles["prosody"] == "Prosody 0.12.3"
    assert titles["ejabberd"].startswith("ejabberd 23.01 (OTP ") and "VM defaults" in titles["ejabberd"]
    assert titles["ejabberd-nobusy"] == "ejabberd 23.01, schedulers not busy-waiting"
    assert titles["parley-full"] == "Parley, lean clients, --sync full"


def test_the_parley_runs_get_the_bench_options_of_the_load() -> None:
    peer = PeerOptions(duration=7.0, warmup=1.5, workers=3)
    options = peer.bench_options(Load(40, 400.0), lean=True, sync="normal")
    assert (options.clients, options.rate, options.duration, options.warmup) == (40, 400.0, 7.0, 1.5)
    assert (options.workers, options.baseline, options.sync, options.size) == (3, False, "normal", 256)
    assert options.lean and not peer.bench_options(Load(40, 400.0)).lean
    with pytest.raises(ValueError, match="no such system"):
        runs.run_one("openfire", Load(2, 1.0), PeerOptions(), lambda _line: None, 1)


def test_a_short_comparison_alternates_and_measures_every_system() -> None:
    options = PeerOptions(
        rounds=2,
        duration=1.0,
        warmup=0.2,
        loads=(Load(4, 100.0),),
        systems=("prosody", "parley-full"),
        workers=1,
        drain_timeout=10.0,
    )
    comparison = compare(Comparison("now", "here", "cmd", options), lambda _line: None)
    assert [(r.system, r.round) for r in comparison.runs] == [
        ("prosody", 1),
        ("parley-full", 1),
        ("parley-full", 2),
        ("prosody", 2),
    ]
    for run in comparison.runs:
        assert run.failure is None and run.phase is not None
        phase = run.phase
        assert phase.target == run.system and phase.round == run.round
        assert phase.clean and phase.received == phase.sent > 10
        # /proc counts CPU in ticks of 10 ms: a short window of a light server may read 0.
        assert phase.server_cpu_us_per_message is not None and phase.server_cpu_us_per_message >= 0
        assert phase.server_peak_rss is not None and phase.server_peak_rss > 2**20
    assert sum(r.phase.server_cpu_us_per_message or 0 for r in comparison.runs if r.phase) > 0
