"""net.bench.stats: percentiles, latency summaries and /proc readings of a real process."""

from __future__ import annotations

import math
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from net.bench.stats import (
    LatencySummary,
    ProcessSample,
    combined,
    cpu_count,
    percentile,
    read_process,
    read_process_tree,
)


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile(values, 0.0) == 1.0
    assert percentile([7.0], 0.95) == 7.0


def test_percentile_of_nothing_is_nan_and_fraction_is_checked() -> None:
    assert math.isnan(percentile([], 0.5))
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def test_summary_sorts_its_input() -> None:
    summary = LatencySummary.of([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (summary.count, summary.p50, summary.max) == (5, 3.0, 5.0)
    assert math.isnan(LatencySummary.of([]).p99)


_CHILD = """
import sys
memory = bytearray(64 * 2**20)
for _ in range(3 * 10**6):
    pass
print("ready", flush=True)
sys.stdin.read()
"""


def test_reads_cpu_and_memory_of_a_real_process() -> None:
    child = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], 60)
        assert ready and child.stdout.readline() == b"ready\n"
        sample = read_process(child.pid)
        assert sample is not None
        assert sample.rss >= 64 * 2**20 and sample.peak_rss >= sample.rss
        assert sample.cpu_seconds > 0
        assert sample.threads >= 1
    finally:
        child.communicate(b"", timeout=30)
    assert read_process(child.pid) is None  # reaped: gone from /proc


def test_a_process_name_with_spaces_and_parentheses(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    (proc / "42").mkdir(parents=True)
    fields = ["S"] + ["0"] * 10 + ["300", "200"] + ["0"] * 30
    (proc / "42" / "stat").write_text("42 (odd (name) x) " + " ".join(fields))
    (proc / "42" / "status").write_text("Name:\todd\nVmHWM:\t 2048 kB\nVmRSS:\t 1024 kB\nThreads:\t3\n")
    sample = read_process(42, proc)
    assert sample is not None
    assert sample.cpu_seconds == pytest.approx(500 / os.sysconf("SC_CLK_TCK"))
    assert (sample.rss, sample.peak_rss, sample.threads) == (1024 * 1024, 2048 * 1024, 3)


def test_cpu_count_is_what_this_process_may_use() -> None:
    assert 1 <= cpu_count() <= (os.cpu_count() or 1)


_FAMILY = """
import subprocess, sys, time
burn = "import time\\nend = time.process_time() + 0.4\\nwhile time.process_time() < end: pass"
subprocess.run([sys.executable, "-c", burn], check=True)  # a child that worked and was reaped
alive = subprocess.Popen([sys.executable, "-c", burn + "\\nprint('done', flush=True)\\ninput()"],
                         stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
alive.stdout.readline()  # the living child has worked too
print("ready", flush=True)
sys.stdin.readline()
alive.stdin.write("\\n"); alive.stdin.flush(); alive.wait()
"""


def test_a_process_tree_counts_its_living_and_its_reaped_children() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _FAMILY], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None and parent.stdin is not None
        ready, _, _ = select.select([parent.stdout], [], [], 30)
        assert ready and parent.stdout.readline().strip() == "ready"
        alone, tree = read_process(parent.pid), read_process_tree(parent.pid)
        assert alone is not None and tree is not None
        assert tree.cpu_seconds - alone.cpu_seconds >= 0.7  # two children's 0.4 s each, less the ticks
        assert tree.rss > alone.rss and tree.threads > alone.threads
    finally:
        parent.kill()
        parent.wait(timeout=30)
    assert read_process_tree(parent.pid) is None


def test_combined_adds_up_and_refuses_a_missing_reading() -> None:
    one, two = ProcessSample(1.0, 10, 20, 1), ProcessSample(2.0, 30, 40, 3)
    assert combined([one, two]) == ProcessSample(3.0, 40, 60, 4)
    assert combined([one, None]) is None and combined([]) is None
