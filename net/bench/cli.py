"""``python main.py bench``: its flags, a progress line while it runs, and the final table (or JSON)."""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import ssl
import sys
import time
from collections.abc import Callable
from typing import TextIO

from net.bench.attachment_bench import AttachmentOptions, format_attachment_report, run_attachment_bench
from net.bench.blob_client import BlobBenchError
from net.bench.client import SetupError
from net.bench.cluster_runs import MOST_NODES, run_cluster
from net.bench.device_runs import run_devices
from net.bench.flows import Options, run
from net.bench.group_bench import GroupOptions, format_group_report, run_group_bench
from net.bench.link import Address
from net.bench.results import Report
from net.bench.runner import BenchError, default_workers
from net.bench.stats import cpu_count
from net.bench.table import format_report as format_report  # the tests read the table here too
from net.client.core.engine_error import EngineError
from net.protocol.blobs import BLOB_WINDOW
from net.protocol.devices import MAX_DEVICES
from net.server.amounts import parse_size
from net.server.cli import commit_wait_ms as _commit_wait

EXIT_CLEAN, EXIT_FAULTS, EXIT_ERROR = 0, 1, 2


def _address(text: str) -> Address:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, not {text!r}")
    return host.strip("[]"), int(port)


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


def _devices(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_DEVICES:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_DEVICES} devices, not {text!r}")
    return int(text)


def _nodes(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MOST_NODES:
        raise argparse.ArgumentTypeError(f"expected 1 to {MOST_NODES} nodes, not {text!r}")
    return int(text)


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    d = Options()
    parser.description = (
        "Start a Parley server (or drive one with --server), register clients, start real PQXDH and"
        " Double Ratchet sessions between random pairs and send messages (with --lean, opaque bodies of"
        " the same size); then the same through a raw TCP relay. Prints throughput, send-to-decrypted"
        " latency, server CPU per message and memory, and checks that nothing was lost, duplicated or"
        " undecryptable."
    )
    add = parser.add_argument
    add(
        "--server", type=_address, metavar="HOST:PORT", help="drive a running server started with --dev-codes"
    )
    add("--server-pid", type=int, metavar="PID", help="that server's process id, to read its CPU and memory")
    add(
        "--clients",
        type=_positive(int),
        metavar="N",
        default=d.clients,
        help=f"clients, in pairs ({d.clients})",
    )
    load = parser.add_mutually_exclusive_group()
    load.add_argument(
        "--rate",
        type=_positive(float),
        metavar="MSG/S",
        help="open loop: messages per second over all clients",
    )
    load.add_argument(
        "--window",
        type=_positive(int),
        metavar="N",
        default=d.window,
        help=f"closed loop: messages in flight per client ({d.window})",
    )
    add(
        "--duration",
        type=_positive(float),
        metavar="S",
        default=d.duration,
        help=f"seconds measured ({d.duration:g})",
    )
    add(
        "--warmup", type=float, metavar="S", default=d.warmup, help=f"seconds before measuring ({d.warmup:g})"
    )
    add("--size", type=_positive(int), metavar="BYTES", default=d.size, help=f"message plaintext ({d.size})")
    add(
        "--workers",
        type=_positive(int),
        metavar="N",
        default=default_workers(),
        help="client processes (one per CPU)",
    )
    add("--no-baseline", action="store_true", help="skip the raw relay run")
    add(
        "--lean",
        action="store_true",
        help="clients log in for real and send and acknowledge opaque bodies of a sealed message's size,"
        " without the Double Ratchet, so that the load tool costs a fraction of the server",
    )
    add(
        "--connections",
        type=_positive(int),
        metavar="N",
        help="idle mode: N logged-in TLS connections, keepalives",
    )
    add("--sync", choices=("full", "normal"), default="full", help="the started server's --sync (full)")
    add(
        "--commit-wait",
        type=_commit_wait,
        metavar="MS",
        help="the started server's --commit-wait (its own default: 0.5)",
    )
    add("--json", action="store_true", help="print the results as JSON instead of a table")
    add(
        "--devices",
        type=_devices,
        metavar="N",
        default=1,
        help="linked devices per person (1 to 5): above 1, a run with N devices per person beside one with"
        " one, each message a copy per device (Sesame); a --server must allow the link codes (1)",
    )
    add(
        "--rounds",
        type=_positive(int),
        metavar="N",
        default=1,
        help="with --devices or --cluster: alternating rounds of the two runs (1)",
    )
    add(
        "--cluster",
        type=_nodes,
        metavar="N",
        default=0,
        help="also start PostgreSQL, Redis, HAProxy and N server nodes on this machine and run the same"
        " load through them beside a single SQLite node (per node and per engine CPU; the raw relay is"
        " left out)",
    )
    groups = parser.add_argument_group("groups (instead of pairs)")
    groups.add_argument(
        "--group-size",
        type=_positive(int),
        metavar="N",
        help="one group of N people (2 to 100) against the same copies sent as 1:1 texts",
    )
    groups.add_argument(
        "--group-messages", type=_positive(int), metavar="N", default=20, help="messages per sample (20)"
    )
    groups.add_argument(
        "--group-rounds", type=_positive(int), metavar="N", default=3, help="alternating rounds (3)"
    )
    groups.add_argument(
        "--group-profile",
        metavar="FILE",
        default="",
        help="the sender's cProfile stats over the group samples",
    )

    files = parser.add_argument_group("attachments (instead of texts)")
    files.add_argument(
        "--attachment-size",
        metavar="SIZE",
        help="a file of SIZE (bytes, or with KiB, MiB, GiB: 10MiB) up and down through the server,"
        " beside a raw TLS stream of the same bytes, and the latency of texts meanwhile",
    )
    files.add_argument(
        "--attachment-rounds", type=_positive(int), metavar="N", default=5, help="alternating rounds (5)"
    )
    files.add_argument(
        "--attachment-window",
        type=_positive(int),
        metavar="N",
        default=BLOB_WINDOW,
        help=f"puts or gets in flight ({BLOB_WINDOW}, as the client's)",
    )


def options_from_args(args: argparse.Namespace) -> Options:
    if args.size < 16:
        raise ValueError("--size must be at least 16 bytes (sequence number and send time)")
    if args.warmup < 0:
        raise ValueError("--warmup cannot be negative")
    if args.commit_wait is not None and args.server:
        raise ValueError("--commit-wait is for the server the bench starts; give it to yours with --server")
    if args.devices > 1 and args.connections:
        raise ValueError("--devices is for the message load, not for --connections")
    if args.cluster and (args.connections or args.devices > 1 or args.server):
        raise ValueError("--cluster is for the message load of one device each on nodes it starts itself")
    return Options(
        server=args.server,
        server_pid=args.server_pid,
        clients=args.clients,
        rate=args.rate,
        window=args.window,
        duration=args.duration,
        warmup=args.warmup,
        size=args.size,
        workers=args.workers,
        baseline=not args.no_baseline,
        connections=args.connections,
        sync=args.sync,
        commit_wait=args.commit_wait,
        devices=args.devices,
        rounds=args.rounds,
        cluster=args.cluster,
        lean=args.lean,
    )


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), model)
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {cpu_count()} CPUs ({model}), "
        f"Python {platform.python_version()}, {ssl.OPENSSL_VERSION}"
    )


class ProgressLine:
    """One line on a terminal, rewritten in place; on a pipe or file, a line every few seconds."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._last = 0.0
        self._width = 0

    def __call__(self, line: str) -> None:
        if self._tty:
            self._stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
        elif time.monotonic() - self._last >= 5.0 or not line[:1].isalnum() or "…" in line[-1:]:
            self._stream.write(line + "\n")
            self._last = time.monotonic()
        self._stream.flush()

    def done(self) -> None:
        if self._tty and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()


def run_bench(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    if args.devices > 1 and (args.group_size is not None or args.attachment_size is not None):
        print("parley bench: --devices is for the text load, not for groups or attachments", file=sys.stderr)
        return EXIT_ERROR
    if args.cluster and (args.group_size is not None or args.attachment_size is not None):
        print("parley bench: --cluster is for the text load, not for groups or attachments", file=sys.stderr)
        return EXIT_ERROR
    if args.lean and (args.group_size is not None or args.attachment_size is not None):
        print("parley bench: --lean is for the text load, not for groups or attachments", file=sys.stderr)
        return EXIT_ERROR
    if args.attachment_size is not None:
        return _run_attachment_bench(args, argv)
    if args.group_size is not None:
        return _run_group_bench(args, argv)
    try:
        options = options_from_args(args)
    except ValueError as exc:
        print(f"parley bench: {exc}", file=sys.stderr)
        return EXIT_ERROR
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "python main.py " + " ".join(argv if argv is not None else sys.argv[1:])
    report = Report(command=command, started=started, machine=machine())
    progress = ProgressLine(sys.stderr)
    try:
        if options.cluster:
            run_cluster(options, progress, report)
        elif options.devices > 1 and not options.connections:
            run_devices(options, progress, report)
        else:
            run(options, progress, report)
    except (BenchError, SetupError, ValueError, OSError, RuntimeError) as exc:  # RuntimeError: an engine
        progress.done()
        print(f"parley bench: {exc}", file=sys.stderr)
        return EXIT_ERROR
    progress.done()
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(format_report(report))
    return EXIT_CLEAN if report.clean else EXIT_FAULTS


def _run_group_bench(args: argparse.Namespace, argv: list[str] | None) -> int:
    options = GroupOptions(
        size=args.group_size,
        messages=args.group_messages,
        rounds=args.group_rounds,
        window=args.window,
        text_size=args.size,
        server=args.server,
        server_pid=args.server_pid,
        profile=args.group_profile,
    )
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "python main.py " + " ".join(argv if argv is not None else sys.argv[1:])
    progress = ProgressLine(sys.stderr)
    try:
        report = run_group_bench(options, progress)
    except (BenchError, SetupError, EngineError, ValueError, OSError) as exc:
        progress.done()
        print(f"parley bench: {exc}", file=sys.stderr)
        return EXIT_ERROR
    progress.done()
    if args.json:
        print(json.dumps({"started": started, "command": command, **report.to_json()}, indent=2))
    else:
        header = [f"Parley group bench, {started}", f"machine: {machine()}", f"command: {command}"]
        print(format_group_report(report, header))
    return EXIT_CLEAN if report.clean else EXIT_FAULTS


def _run_attachment_bench(args: argparse.Namespace, argv: list[str] | None) -> int:
    try:
        options = AttachmentOptions(
            size=parse_size(args.attachment_size),
            rounds=args.attachment_rounds,
            window=args.attachment_window,
            sync=args.sync,
        )
    except ValueError as exc:
        print(f"parley bench: --attachment-size: {exc}", file=sys.stderr)
        return EXIT_ERROR
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "python main.py " + " ".join(argv if argv is not None else sys.argv[1:])
    progress = ProgressLine(sys.stderr)
    try:
        report = run_attachment_bench(options, progress)
    except (BenchError, BlobBenchError, ValueError, OSError) as exc:
        progress.done()
        print(f"parley bench: {exc}", file=sys.stderr)
        return EXIT_ERROR
    progress.done()
    if args.json:
        print(json.dumps({"started": started, "command": command, **report.to_json()}, indent=2))
    else:
        header = [f"Parley attachment bench, {started}", f"machine: {machine()}", f"command: {command}"]
        print(format_attachment_report(report, header))
    return EXIT_CLEAN if report.clean else EXIT_FAULTS
