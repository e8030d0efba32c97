"""The peer comparison's table (and ``--json``'s data): per load, per system, the medians of the rounds.

Server CPU per message, p50 and p99 from due to received, delivered messages per
second, peak RSS: the median over the rounds that ran, with each round's CPU per
message beside it. Lost is added up over the rounds instead, so that one round's
loss is not hidden by a median. A system that is not installed, or a run that
failed, is said in words under the table.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from net.bench.peers.runs import Comparison, Load, Run
from net.bench.results import PhaseResult


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None and math.isfinite(v)]
    return statistics.median(present) if present else None


@dataclass(frozen=True)
class Summary:
    """One system at one load over its rounds."""

    system: str
    rounds: int
    cpu_us_per_message: float | None
    cpu_us_by_round: tuple[float | None, ...]
    p50_ms: float | None
    p99_ms: float | None
    delivered_per_second: float | None
    lost: int
    duplicated: int
    damaged: int
    peak_rss: float | None
    #: Rounds whose clients could not keep up (busy process, or behind schedule): their figures are floors.
    client_bound_rounds: int
    undrained_rounds: int

    @classmethod
    def of(cls, system: str, phases: Sequence[PhaseResult]) -> Summary:
        return cls(
            system=system,
            rounds=len(phases),
            cpu_us_per_message=_median([p.server_cpu_us_per_message for p in phases]),
            cpu_us_by_round=tuple(p.server_cpu_us_per_message for p in phases),
            p50_ms=_median([p.latency_ms.p50 for p in phases]),
            p99_ms=_median([p.latency_ms.p99 for p in phases]),
            delivered_per_second=_median([p.delivered_per_second for p in phases]),
            lost=sum(p.lost for p in phases),
            duplicated=sum(p.duplicated for p in phases),
            damaged=sum(p.undecryptable for p in phases),
            peak_rss=_median([p.server_peak_rss for p in phases]),
            client_bound_rounds=sum(p.generator_bound for p in phases),
            undrained_rounds=sum(not p.drained for p in phases),
        )


def summaries(comparison: Comparison) -> dict[Load, list[Summary]]:
    """Per load, per system in the order asked for, the summary of the runs that produced figures."""
    out: dict[Load, list[Summary]] = {}
    for load in comparison.options.loads:
        rows = []
        for system in comparison.systems:
            phases = [r.phase for r in _runs(comparison, load, system) if r.phase is not None]
            if phases:
                rows.append(Summary.of(system, phases))
        out[load] = rows
    return out


def _runs(comparison: Comparison, load: Load, system: str) -> list[Run]:
    return [r for r in comparison.runs if r.load == load and r.system == system]


def _number(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:,.{digits}f}"


_COLUMNS: list[tuple[str, Callable[[Summary], str]]] = [
    ("server CPU, µs/msg", lambda s: _number(s.cpu_us_per_message)),
    ("per round", lambda s: " / ".join(_number(v) for v in s.cpu_us_by_round)),
    ("p50, ms", lambda s: _number(s.p50_ms, 1)),
    ("p99, ms", lambda s: _number(s.p99_ms, 1)),
    ("delivered, msg/s", lambda s: _number(s.delivered_per_second)),
    ("lost", lambda s: f"{s.lost:,}"),
    ("peak RSS, MiB", lambda s: _number(None if s.peak_rss is None else s.peak_rss / 2**20, 1)),
]


def format_comparison(comparison: Comparison) -> str:
    options = comparison.options
    lines = [
        f"Parley beside Prosody and ejabberd, {comparison.started}",
        f"machine: {comparison.machine}",
        f"command: {comparison.command}",
        f"open loop, {options.size}-byte bodies, {options.duration:g} s measured after {options.warmup:g} s"
        f" of warm-up, {options.workers} client process(es); medians of {options.rounds} round(s),"
        " lost added up",
    ]
    for load, rows in summaries(comparison).items():
        lines += ["", str(load)]
        if not rows:
            lines.append("  no run produced figures")
            continue
        names = [comparison.titles.get(s.system, s.system) for s in rows]
        cells = [[fmt(s) for _, fmt in _COLUMNS] for s in rows]
        name_width = max(len("system"), *(len(n) for n in names)) + 2
        titles = [title for title, _ in _COLUMNS]
        widths = [max(len(t), *(len(row[i]) for row in cells)) + 2 for i, t in enumerate(titles)]
        lines.append("system".ljust(name_width) + _cells(titles, widths))
        for name, row in zip(names, cells, strict=True):
            lines.append(name.ljust(name_width) + _cells(row, widths))
        lines += [f"note: {n}" for s in rows for n in _notes(comparison, s)]
    for system, sentence in comparison.missing.items():
        lines.append(f"missing: {system}: {sentence}")
    for run in comparison.runs:
        if run.failure is not None:
            lines.append(f"failed: {run.system} at {run.load}, round {run.round}: {run.failure}")
    return "\n".join(lines)


def _cells(texts: list[str], widths: list[int]) -> str:
    return "".join(text.rjust(width) for text, width in zip(texts, widths, strict=True))


def _notes(comparison: Comparison, summary: Summary) -> list[str]:
    name = comparison.titles.get(summary.system, summary.system)
    notes = []
    if summary.client_bound_rounds:
        notes.append(
            f"{name}: in {summary.client_bound_rounds} of {summary.rounds} round(s) the clients could not"
            " keep up (a client process above 90% of a CPU, or 100 ms behind schedule): a floor, not a figure"
        )
    if summary.undrained_rounds:
        notes.append(f"{name}: in {summary.undrained_rounds} round(s) not all arrived within the drain")
    if summary.duplicated or summary.damaged:
        notes.append(f"{name}: {summary.duplicated} duplicated, {summary.damaged} damaged or from a stranger")
    return notes


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    """Everything: the options, the titles, what is missing, the medians and every round's own figures."""
    by_load = summaries(comparison)
    loads = []
    for load in comparison.options.loads:
        runs = [
            {
                "system": r.system,
                "round": r.round,
                "failure": r.failure,
                "phase": None if r.phase is None else asdict(r.phase),
            }
            for r in comparison.runs
            if r.load == load
        ]
        loads.append(
            {
                "clients": load.clients,
                "rate": load.rate,
                "medians": [asdict(s) for s in by_load[load]],
                "rounds": runs,
            }
        )
    data: dict[str, Any] = _finite(
        {
            "started": comparison.started,
            "machine": comparison.machine,
            "command": comparison.command,
            "options": asdict(comparison.options),
            "titles": comparison.titles,
            "missing": comparison.missing,
            "loads": loads,
        }
    )
    return data


def _finite(value: Any) -> Any:
    """JSON has no NaN: an empty measurement becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
