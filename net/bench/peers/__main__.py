"""``python -m net.bench.peers``: Parley's server beside Prosody and ejabberd at the same loads, in rounds.

Not part of the test suite (a default run takes about 15 minutes); see
net/bench/PERFORMANCE.md, "Beside Prosody and ejabberd", for what it does and
what makes the comparison unfair in each direction. Exit status 0 when every run
produced figures with nothing lost, 1 when one lost or damaged messages or
failed, 2 when it could not run at all.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Callable

from net.bench.cli import ProgressLine, machine
from net.bench.peers.peer_table import comparison_json, format_comparison
from net.bench.peers.runs import DEFAULT_LOADS, SYSTEMS, Comparison, Load, PeerOptions, compare
from net.bench.runner import default_workers

EXIT_CLEAN, EXIT_FAULTS, EXIT_ERROR = 0, 1, 2


def _loads(text: str) -> tuple[Load, ...]:
    try:
        return tuple(Load.parse(part.strip()) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _systems(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [s for s in chosen if s not in SYSTEMS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"systems are some of {','.join(SYSTEMS)}, not {text!r}")
    return chosen


def _positive(kind: Callable[[str], float | int]) -> Callable[[str], float | int]:
    def convert(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
        return value

    return convert


def parser() -> argparse.ArgumentParser:
    d = PeerOptions()
    p = argparse.ArgumentParser(
        prog="python -m net.bench.peers",
        description=(
            "Start Prosody and ejabberd (from Debian's packages, on loopback, TLS 1.3 with a self-signed"
            " certificate, offline storage on, archives off) and Parley's server with lean clients, drive"
            " each with the same open-loop load of 1:1 messages between pairs of clients, and print server"
            " CPU per message, p50/p99 latency, lost and peak memory: medians of alternating rounds."
        ),
    )
    p.add_argument("--rounds", type=_positive(int), default=d.rounds, help=f"rounds ({d.rounds})")
    p.add_argument(
        "--duration", type=_positive(float), default=d.duration, help=f"seconds measured ({d.duration:g})"
    )
    p.add_argument("--warmup", type=float, default=d.warmup, help=f"seconds before measuring ({d.warmup:g})")
    default_loads = ",".join(f"{load.clients}:{load.rate:g}" for load in DEFAULT_LOADS)
    p.add_argument(
        "--loads",
        type=_loads,
        default=d.loads,
        metavar="C:R,...",
        help=f"clients and messages per second over them ({default_loads})",
    )
    p.add_argument(
        "--systems", type=_systems, default=d.systems, metavar="S,...", help=f"({','.join(SYSTEMS)})"
    )
    p.add_argument(
        "--workers", type=_positive(int), default=default_workers(), help="client processes (one per CPU)"
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.warmup < 0:
        print("net.bench.peers: --warmup cannot be negative", file=sys.stderr)
        return EXIT_ERROR
    options = PeerOptions(
        rounds=args.rounds,
        duration=args.duration,
        warmup=args.warmup,
        loads=args.loads,
        systems=args.systems,
        workers=args.workers,
    )
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "python -m net.bench.peers " + " ".join(argv if argv is not None else sys.argv[1:])
    comparison = Comparison(started, machine(), command.strip(), options)
    progress = ProgressLine(sys.stderr)
    try:
        compare(comparison, progress)
    except (OSError, ValueError) as exc:
        progress.done()
        print(f"net.bench.peers: {exc}", file=sys.stderr)
        return EXIT_ERROR
    progress.done()
    print(json.dumps(comparison_json(comparison), indent=2) if args.json else format_comparison(comparison))
    faults = any(r.failure or (r.phase is not None and not r.phase.clean) for r in comparison.runs)
    return EXIT_FAULTS if faults or not comparison.runs else EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
