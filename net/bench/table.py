"""The table ``python main.py bench`` prints for a message load or idle connections (or ``--json``'s data).

With people of more than one device (``--devices``) it adds the copies (stored and
decrypted, and the server's CPU per copy) and a line per devices run that says
whether every device got each message meant for it once.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

from net.bench.results import IdleResult, PhaseResult, Report


def _number(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def _mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:,.1f}"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


_ROWS: list[tuple[str, Callable[[PhaseResult], str]]] = [
    ("delivered, msg/s", lambda p: _number(p.delivered_per_second)),
    (
        "latency p50 / p95 / p99 / max, ms",
        lambda p: " / ".join(
            _number(v, 1) for v in (p.latency_ms.p50, p.latency_ms.p95, p.latency_ms.p99, p.latency_ms.max)
        ),
    ),
    ("sent / accepted / received", lambda p: f"{p.sent:,} / {p.accepted:,} / {p.received:,}"),
    ("lost / duplicated / undecryptable", lambda p: f"{p.lost} / {p.duplicated} / {p.undecryptable}"),
    ("refused by the server", lambda p: f"{p.refused}"),
    ("server CPU per message, µs", lambda p: _number(p.server_cpu_us_per_message)),
    ("server CPU use (1 CPU = 100%)", lambda p: _share(p.server_cpu_share)),
    ("server peak memory, MiB", lambda p: _mib(p.server_peak_rss)),
    (
        "busiest client process CPU",
        lambda p: _share(p.generator_cpu_share) + ("  LIMIT" if p.generator_bound else ""),
    ),
]
_TITLES = {"parley": "Parley (TLS, SQLite)", "relay": "raw relay (TCP)"}
#: With ``--cluster``, "server" is the nodes added up; the processes' own rows follow.
#: Shown only when a run has people with more than one device.
_DEVICE_ROWS: list[tuple[str, Callable[[PhaseResult], str]]] = [
    ("copies stored / decrypted", lambda p: f"{p.copies_accepted:,} / {p.copies_received:,}"),
    ("server CPU per copy stored, µs", lambda p: _number(p.server_cpu_us_per_copy)),
]


def _process_rows(phases: list[PhaseResult]) -> list[tuple[str, Callable[[PhaseResult], str]]]:
    """A row per process measured on its own (a cluster's nodes, PostgreSQL, Redis, HAProxy)."""
    names = list(dict.fromkeys(name for p in phases for name in p.cpu_us_by_process))
    return [(f"  {name} CPU per message, µs", functools.partial(_process_cpu, name)) for name in names]


def _process_cpu(name: str, phase: PhaseResult) -> str:
    return _number(phase.cpu_us_by_process.get(name))


def _title(phase: PhaseResult, rounds: int, *, beside_cluster: bool = False) -> str:
    if phase.target == "cluster":
        nodes = sum(name.startswith("node") for name in phase.cpu_us_by_process)
        title = f"{nodes} node{'s' if nodes != 1 else ''}, PostgreSQL"
    elif phase.target == "parley" and beside_cluster:
        title = "1 node, SQLite"
    elif phase.devices > 1:
        title = f"Parley, {phase.devices} devices each"
    elif phase.target == "parley" and rounds > 1:
        title = "Parley, 1 device each"
    else:
        title = _TITLES.get(phase.target, phase.target)
    return f"{title} #{phase.round}" if rounds > 1 else title


def _devices_line(phase: PhaseResult, rounds: int) -> str:
    """The line that says whether every device got each message meant for it once."""
    name = f"devices {phase.devices}" + (f" #{phase.round}" if rounds > 1 else "")
    if phase.every_copy_once:
        return (
            f"{name}: {phase.received:,}"
            f" messages, each on every device once ({phase.copies_received:,} copies), lost {phase.lost},"
            f" duplicated {phase.duplicated}"
        )
    return (
        f"{name}: FAULTS: {phase.copies_received:,} of {phase.copies_accepted:,} copies"
        f" decrypted, lost {phase.lost}, duplicated {phase.duplicated}, undecryptable {phase.undecryptable}"
    )


def format_report(report: Report) -> str:
    lines = [
        f"Parley bench, {report.started}",
        f"machine: {report.machine}",
        f"command: {report.command}",
        "",
    ]
    if report.phases:
        first = report.phases[0]
        lines.append(
            f"{first.clients} clients in {first.workers} process(es), {first.mode}, "
            f"{first.size}-byte messages, {first.duration:g} s measured after the warm-up"
            + ("; lean clients: no end-to-end cryptography in the load tool" if report.lean else "")
        )
        with_devices = any(p.devices > 1 for p in report.phases)
        rows = _ROWS + _DEVICE_ROWS if with_devices else list(_ROWS)
        rows += _process_rows(report.phases)
        beside_cluster = any(p.target == "cluster" for p in report.phases)
        rounds = max(p.round for p in report.phases)
        label_width = max(len(label) for label, _ in rows) + 2
        cells = [[fmt(p) for p in report.phases] for _, fmt in rows]
        titles = [_title(p, rounds, beside_cluster=beside_cluster) for p in report.phases]
        width = max(22, *(len(c) for row in cells for c in row), *(len(t) for t in titles)) + 2
        lines.append(" " * label_width + "".join(t.rjust(width) for t in titles))
        for (label, _), row in zip(rows, cells, strict=True):
            lines.append(label.ljust(label_width) + "".join(c.rjust(width) for c in row))
        if report.ratio is not None:
            lines.append(f"{'Parley / raw relay throughput':<{label_width}}{report.ratio:>{width}.2f}")
        for phase in report.phases:
            if phase.generator_bound:
                lines.append(
                    f"note: against the {phase.target}, the clients were the bottleneck (a client process"
                    f" at {_share(phase.generator_cpu_share)} CPU, or"
                    f" {phase.generator_lag_seconds * 1000:.0f} ms behind schedule): the figure is a floor"
                )
            if not phase.drained:
                lines.append(
                    f"note: against the {phase.target}, not every message arrived before the drain timeout"
                )
            lines.extend(f"error ({phase.target}): {e}" for e in phase.errors)
        lines.extend(_devices_line(p, rounds) for p in report.phases if p.devices > 1)
    if report.idle is not None:
        lines.extend(_format_idle(report.idle))
    lines.extend(f"note: {n}" for n in report.notes)
    verdict = (
        f"all messages arrived once and {'intact' if report.lean else 'decrypted'}"
        if report.clean
        else "FAULTS: see lost / duplicated / undecryptable"
    )
    if report.phases:
        lines.append(verdict)
    return "\n".join(lines)


def _format_idle(idle: IdleResult) -> list[str]:
    per = idle.bytes_per_connection
    p = idle.ping_ms
    return [
        f"{idle.connections:,} logged-in TLS connections from {idle.workers} process(es), opened in "
        f"{idle.connect_seconds:.1f} s",
        f"server memory: {_mib(idle.rss_before)} MiB before, {_mib(idle.rss_after)} MiB after, "
        f"{'n/a' if per is None else f'{per / 1024:.1f}'} KiB per connection; "
        f"{'n/a' if idle.threads_after is None else idle.threads_after} threads",
        f"keepalive round trips ({p.count:,}), ms: p50 {_number(p.p50, 2)}, p95 {_number(p.p95, 2)}, "
        f"p99 {_number(p.p99, 2)}, max {_number(p.max, 2)}",
        *(f"error: {e}" for e in idle.errors),
    ]
