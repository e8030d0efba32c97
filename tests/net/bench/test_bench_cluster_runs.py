"""net.bench.cluster_runs: ``python main.py bench --cluster 2``, a short real run beside a single node."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _bench(*flags: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "main.py"), "bench", "--clients", "4", "--duration", "1"]
    command += ["--warmup", "0.2", "--workers", "1", "--window", "1", *flags]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_a_cluster_of_two_beside_one_node_in_alternating_rounds_with_cpu_per_process() -> None:
    done = _bench("--cluster", "2", "--rounds", "2", "--json")
    assert done.returncode in (0, 1), done.stderr[-2000:]  # 1: a fault, which the figures then show
    report = json.loads(done.stdout)
    phases = report["phases"]
    # alternating: the single node first in round 1, the cluster first in round 2
    assert [(p["target"], p["round"]) for p in phases] == [
        ("parley", 1),
        ("cluster", 1),
        ("cluster", 2),
        ("parley", 2),
    ]
    for phase in phases:
        assert phase["received"] > 0 and phase["lost"] == phase["duplicated"] == phase["undecryptable"] == 0
        assert phase["server_cpu_us_per_message"] is not None  # a node's, or the nodes' added up
    for phase in (p for p in phases if p["target"] == "cluster"):
        parts = phase["cpu_us_by_process"]
        assert list(parts) == ["node0", "node1", "PostgreSQL", "Redis", "HAProxy"]
        # Every process was read (PostgreSQL as its postmaster's tree); a second's CPU may be under a tick.
        assert all(value is not None and value >= 0 for value in parts.values()), parts
    assert all(p["cpu_us_by_process"] == {} for p in phases if p["target"] == "parley")
    assert any("connections HAProxy gave each node" in note for note in report["notes"])


def test_the_table_names_both_and_lists_each_process() -> None:
    done = _bench("--cluster", "1")
    assert done.returncode in (0, 1), done.stderr[-2000:]
    lines = done.stdout.splitlines()
    header = next(line for line in lines if "1 node, SQLite" in line)
    assert re.search(r"1 node, SQLite\s+1 node, PostgreSQL$", header), header
    for name in ("node0", "PostgreSQL", "Redis", "HAProxy"):
        row = next(line for line in lines if line.startswith(f"  {name} CPU per message, µs"))
        assert re.search(r"n/a\s+[\d,]+$", row), row


def test_cluster_flags_that_do_not_fit_are_refused_in_words() -> None:
    refused = _bench("--cluster", "2", "--server", "127.0.0.1:5000")
    assert refused.returncode == 2 and "--cluster is for the message load" in refused.stderr
    refused = _bench("--cluster", "0")
    assert refused.returncode == 2 and "expected 1 to 16 nodes" in refused.stderr
    refused = _bench("--cluster", "2", "--group-size", "3")
    assert refused.returncode == 2 and "--cluster is for the text load" in refused.stderr
