"""The two kinds of run: a message load (Parley, then the raw relay), and many idle connections."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from net.bench.link import Address
from net.bench.results import IdleResult, PhaseResult, Report, latencies_of
from net.bench.runner import (
    RelayProcess,
    ServerProcess,
    WorkerPool,
    default_workers,
    raise_file_limit,
    temporary_data_dir,
    unique_phones,
)
from net.bench.stats import LatencySummary, ProcessSample, read_process
from net.bench.worker import LoadSpec

#: Shows one line of progress (the CLI overwrites the previous one).
Progress = Callable[[str], None]
#: Reads a process's (or several processes') CPU and memory now; None when it cannot.
Sampler = Callable[[], ProcessSample | None]
SETUP_TIMEOUT = 600.0
LEAD_IN = 0.5
SPARE_FILES = 256


@dataclass(frozen=True)
class Options:
    server: Address | None = None
    server_pid: int | None = None
    clients: int = 100
    rate: float | None = None
    window: int = 4
    duration: float = 10.0
    warmup: float = 2.0
    size: int = 256
    workers: int = field(default_factory=default_workers)
    baseline: bool = True
    connections: int | None = None
    sync: str = "full"
    #: The started server's ``--commit-wait`` in milliseconds; None: the server's own default.
    commit_wait: float | None = None
    drain_timeout: float = 30.0
    ping_limit: int = 5000
    #: Devices per person; above 1, net/bench/device_runs.py measures a one-device run and a run with
    #: this many in each round (``run`` here is the one-device load only).
    devices: int = 1
    rounds: int = 1
    #: Nodes of a cluster (PostgreSQL, Redis, HAProxy); above 0, net/bench/cluster_runs.py measures a
    #: single SQLite node and the cluster in each round.
    cluster: int = 0
    #: Lean clients (net/bench/lean_client.py): real logins, sends and acks of opaque bodies of a sealed
    #: message's size, without PQXDH and the Double Ratchet, so that the load tool costs little.
    lean: bool = False

    def __post_init__(self) -> None:
        uncovered = [
            flag
            for asked, flag in (
                (self.devices > 1, f"--devices {self.devices}"),
                (self.cluster > 0, f"--cluster {self.cluster}"),
                (bool(self.connections), "--connections"),
            )
            if asked
        ]
        if self.lean and uncovered:
            raise ValueError(
                f"--lean is for the text load of one device each, not for {' or '.join(uncovered)}"
            )

    @property
    def mode(self) -> str:
        return f"open loop, {self.rate:g} msg/s" if self.rate else f"closed loop, window {self.window}"


def split(items: list[str], parts: int, *, even: bool) -> list[list[str]]:
    """``items`` in ``parts`` nearly equal chunks; with ``even`` every chunk has an even length (pairs)."""
    unit = 2 if even else 1
    units = len(items) // unit
    chunks, start = [], 0
    for index in range(parts):
        size = (units // parts + (1 if index < units % parts else 0)) * unit
        chunks.append(items[start : start + size])
        start += size
    return [c for c in chunks if c]


def run(options: Options, progress: Progress, report: Report) -> Report:
    if options.connections:
        return _run_idle(options, progress, report)
    return _run_load(options, progress, report)


def start_server(
    options: Options, stack: contextlib.ExitStack, progress: Progress, extra: tuple[str, ...] = ()
) -> tuple[Address, int | None]:
    """The server to drive: ``--server``'s, or a new one (with more of its flags in ``extra``)."""
    if options.server is not None:
        return options.server, options.server_pid
    data_dir = stack.enter_context(temporary_data_dir())
    progress("starting a Parley server…")
    if options.commit_wait is not None:
        extra = (*extra, "--commit-wait", f"{options.commit_wait:g}")
    server = ServerProcess(Path(data_dir), options.sync, extra)
    stack.callback(server.stop)
    return server.address, server.pid


def _run_load(options: Options, progress: Progress, report: Report) -> Report:
    if options.clients < 2:
        raise ValueError("--clients must be at least 2 (clients talk in pairs)")
    if note := raise_file_limit(options.clients + SPARE_FILES):
        report.notes.append(note)
    with contextlib.ExitStack() as stack:
        address, pid = start_server(options, stack, progress)
        chunks = split(unique_phones(options.clients - options.clients % 2), options.workers, even=True)
        pool = WorkerPool(len(chunks))
        stack.callback(pool.stop)
        what = "lean clients" if options.lean else "clients and starting their sessions (PQXDH)"
        progress(f"registering {options.clients} {what}…")
        report.lean = options.lean
        setup = pool.call(
            "setup",
            [
                {"address": address, "phones": chunk, "size": options.size, "lean": options.lean}
                for chunk in chunks
            ],
            timeout=SETUP_TIMEOUT,
        )
        clients = sum(a["clients"] for a in setup)
        report.phases.append(measure(pool, "parley", pid, options, clients, progress))
        if options.baseline:
            progress("starting the raw relay…")
            relay = RelayProcess()
            stack.callback(relay.stop)
            pool.call("switch", [{"address": relay.address}] * len(pool), timeout=SETUP_TIMEOUT)
            report.phases.append(measure(pool, "relay", relay.pid, options, clients, progress))
        progress("stopping…")
    return report


def measure(
    pool: WorkerPool,
    target: str,
    pid: int | None,
    options: Options,
    clients: int,
    progress: Progress,
    *,
    devices: int = 1,
    round: int = 1,
    sample: Sampler | None = None,
    parts: Mapping[str, Sampler] | None = None,
) -> PhaseResult:
    """One measured window. The server's CPU and memory come from ``pid``, or from ``sample`` (say the
    sum over a cluster's nodes); ``parts`` are processes measured one by one beside it."""
    start_at = time.monotonic() + LEAD_IN
    window_start, window_end = start_at + options.warmup, start_at + options.warmup + options.duration
    spec = LoadSpec(
        rate=options.rate / len(pool) if options.rate else None,
        window=options.window,
        size=options.size,
        start_at=start_at,
        warmup=options.warmup,
        duration=options.duration,
        drain_timeout=options.drain_timeout,
    )
    if sample is None and pid is not None:
        sample = functools.partial(read_process, pid)
    samplers = {"server": sample} if sample is not None else {}
    samplers.update(parts or {})
    before: dict[str, ProcessSample | None] = {}
    after: dict[str, ProcessSample | None] = {}
    ticker = _Ticker(sample, progress, target, start_at, window_end)

    def watch() -> None:
        now = time.monotonic()
        if not before and now >= window_start:
            before.update((name, read()) for name, read in samplers.items())
        if not after and now >= window_end:
            after.update((name, read()) for name, read in samplers.items())
        ticker.tick(now)

    timeout = LEAD_IN + options.warmup + options.duration + options.drain_timeout + 60
    answers = pool.call("load", [{"spec": spec}] * len(pool), timeout=timeout, while_waiting=watch)
    return PhaseResult.of(
        target,
        answers,
        clients=clients,
        mode=options.mode,
        duration=options.duration,
        size=options.size,
        server_before=before.get("server"),
        server_after=after.get("server"),
        devices=devices,
        round=round,
        parts={name: (before.get(name), after.get(name)) for name in parts or {}},
    )


class _Ticker:
    """A progress line about twice a second: time, and the target's CPU and memory when it is ours."""

    def __init__(
        self, sample: Sampler | None, progress: Progress, target: str, start: float, end: float
    ) -> None:
        self._sample, self._progress, self._target = sample, progress, target
        self._start, self._end = start, end
        self._next = 0.0
        self._last: tuple[float, ProcessSample] | None = None

    def tick(self, now: float) -> None:
        if now < self._next:
            return
        self._next = now + 0.5
        elapsed = max(0.0, now - self._start)
        line = (
            f"{self._target}: {min(elapsed, self._end - self._start):5.1f} / {self._end - self._start:.0f} s"
        )
        if now > self._end:
            line += "  draining…"
        sample = self._sample() if self._sample is not None else None
        if sample is not None:
            if self._last is not None and now > self._last[0]:
                share = (sample.cpu_seconds - self._last[1].cpu_seconds) / (now - self._last[0])
                line += f"  {self._target} CPU {share:4.0%}"
            line += f"  RSS {sample.rss / 2**20:.0f} MiB"
            self._last = (now, sample)
        self._progress(line)


def _run_idle(options: Options, progress: Progress, report: Report) -> Report:
    assert options.connections is not None
    per_worker = -(-options.connections // options.workers)
    if note := raise_file_limit(max(options.connections, per_worker) + SPARE_FILES):
        report.notes.append(note)
    with contextlib.ExitStack() as stack:
        address, pid = start_server(options, stack, progress)
        chunks = split(unique_phones(options.connections), options.workers, even=False)
        pool = WorkerPool(len(chunks))
        stack.callback(pool.stop)
        progress(f"registering {options.connections} accounts…")
        pool.call("register", [{"address": address, "phones": c} for c in chunks], timeout=SETUP_TIMEOUT)
        before = read_process(pid) if pid is not None else None
        progress(f"opening and logging in {options.connections} TLS connections…")
        started = time.monotonic()
        pool.call("connect", [{"address": address} for _ in chunks], timeout=SETUP_TIMEOUT)
        connect_seconds = time.monotonic() - started
        after = read_process(pid) if pid is not None else None
        progress(f"keepalive round trips across {options.connections} connections…")
        limit = -(-options.ping_limit // len(pool))
        answers = pool.call(
            "pings",
            [{"duration": options.duration, "limit": limit}] * len(pool),
            timeout=options.duration + 120,
        )
        progress("stopping…")
    report.idle = IdleResult(
        connections=options.connections,
        workers=len(chunks),
        connect_seconds=connect_seconds,
        rss_before=None if before is None else before.rss,
        rss_after=None if after is None else after.rss,
        threads_after=None if after is None else after.threads,
        ping_ms=LatencySummary.of(latencies_of(answers)),
        errors=[e for a in answers for e in a["errors"]][:5],
    )
    return report
