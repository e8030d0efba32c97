"""Numbers for the report: percentiles, and a process's CPU time and memory read from /proc.

Linux only for the /proc part; elsewhere the readers return None and the report
says "n/a" instead of guessing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (``fraction`` in [0, 1]); NaN when empty."""
    if not sorted_values:
        return math.nan
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be between 0 and 1")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return float(sorted_values[rank - 1])


@dataclass(frozen=True)
class LatencySummary:
    """Milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> LatencySummary:
        ordered = sorted(values)
        return cls(
            len(ordered),
            percentile(ordered, 0.50),
            percentile(ordered, 0.95),
            percentile(ordered, 0.99),
            ordered[-1] if ordered else math.nan,
        )


@dataclass(frozen=True)
class ProcessSample:
    """One reading of a process: CPU seconds used so far, resident and peak resident memory in bytes."""

    cpu_seconds: float
    rss: int
    peak_rss: int
    threads: int


def read_process(pid: int, proc: Path = Path("/proc")) -> ProcessSample | None:
    """The process's counters, or None when /proc does not have them (gone, or not Linux)."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
        status = (proc / str(pid) / "status").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; the fields start after the last ")".
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    values: dict[str, int] = {}
    for line in status.splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM", "Threads"):
            number = rest.split()[0]
            values[name] = int(number) * (1024 if name != "Threads" else 1)
    return ProcessSample(
        (utime + stime) / _TICKS, values.get("VmRSS", 0), values.get("VmHWM", 0), values.get("Threads", 0)
    )


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask), not merely those the machine has."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def combined(samples: Sequence[ProcessSample | None]) -> ProcessSample | None:
    """Several processes as one (CPU, memory and threads added up); None if any reading is missing."""
    if not samples or any(s is None for s in samples):
        return None
    present = [s for s in samples if s is not None]
    return ProcessSample(
        sum(s.cpu_seconds for s in present),
        sum(s.rss for s in present),
        sum(s.peak_rss for s in present),
        sum(s.threads for s in present),
    )


def children_of(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """The processes whose parent is ``pid`` just now."""
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it ended meanwhile
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def read_process_tree(pid: int, proc: Path = Path("/proc")) -> ProcessSample | None:
    """A server of many processes (PostgreSQL: a postmaster and a backend per connection) as one: the
    process, its children now, and the CPU of the children it has already reaped."""
    parent = read_process(pid, proc)
    if parent is None:
        return None
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    reaped = (int(fields[13]) + int(fields[14])) / _TICKS
    children = [s for s in (read_process(c, proc) for c in children_of(pid, proc)) if s is not None]
    whole = combined([parent, *children])
    assert whole is not None
    return ProcessSample(whole.cpu_seconds + reaped, whole.rss, whole.peak_rss, whole.threads)
