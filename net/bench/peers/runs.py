"""The peer comparison's runs: each system at each load, the systems in turn, in rounds.

Every run starts its system afresh (a new server in a new temporary folder, new
accounts), so no run inherits another's memory or stored messages, and peak RSS
is that run's. Within a round the systems take turns in a rotating order (round 2
starts with the second, and so on), so that a drift of the machine favours none.
The XMPP servers are driven by :mod:`net.bench.peers.xmpp_worker`'s processes and
measured by the same :func:`net.bench.flows.measure` as Parley, which is run
through :func:`net.bench.flows.run` with its lean clients.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from net.bench import flows
from net.bench.client import SetupError
from net.bench.flows import SETUP_TIMEOUT, SPARE_FILES, Options, Progress, measure, split
from net.bench.peers import ejabberd, prosody, xmpp_worker
from net.bench.peers.instance import DOMAIN, PeerError, PeerServer
from net.bench.results import PhaseResult, Report
from net.bench.runner import BenchError, WorkerPool, default_workers, raise_file_limit

PROSODY, EJABBERD, EJABBERD_NOBUSY = "prosody", "ejabberd", "ejabberd-nobusy"
PARLEY_FULL, PARLEY_NORMAL = "parley-full", "parley-normal"
SYSTEMS = (PROSODY, EJABBERD, EJABBERD_NOBUSY, PARLEY_FULL, PARLEY_NORMAL)


@dataclass(frozen=True)
class Load:
    clients: int
    rate: float

    @classmethod
    def parse(cls, text: str) -> Load:
        """``CLIENTS:RATE``, such as ``500:3000``; ValueError in words otherwise."""
        clients, sep, rate = text.partition(":")
        try:
            load = cls(int(clients), float(rate))
        except ValueError:
            load = None
        if not sep or load is None or load.clients < 2 or load.clients % 2 or not load.rate > 0:
            raise ValueError(f"a load is CLIENTS:RATE with an even number of clients, 2 or more: {text!r}")
        return load

    def __str__(self) -> str:
        return f"{self.clients:,} clients, {self.rate:,g} msg/s"


DEFAULT_LOADS = (Load(100, 1000.0), Load(500, 3000.0))


@dataclass(frozen=True)
class PeerOptions:
    rounds: int = 3
    duration: float = 20.0
    warmup: float = 5.0
    loads: tuple[Load, ...] = DEFAULT_LOADS
    systems: tuple[str, ...] = SYSTEMS
    workers: int = field(default_factory=default_workers)
    size: int = 256
    drain_timeout: float = 30.0

    def bench_options(self, load: Load, *, lean: bool = False, sync: str = "full") -> Options:
        """The Parley bench's options for one open-loop window at ``load`` (the XMPP runs use its load)."""
        return Options(
            clients=load.clients,
            rate=load.rate,
            duration=self.duration,
            warmup=self.warmup,
            size=self.size,
            workers=self.workers,
            baseline=False,
            drain_timeout=self.drain_timeout,
            lean=lean,
            sync=sync,
        )


@dataclass
class Run:
    """One system measured once at one load, in one round (``phase`` is None when the run failed)."""

    system: str
    load: Load
    round: int
    phase: PhaseResult | None
    failure: str | None = None


@dataclass
class Comparison:
    started: str
    machine: str
    command: str
    options: PeerOptions
    #: The name each system goes by in the table, with its version.
    titles: dict[str, str] = field(default_factory=dict)
    #: Systems asked for and not installed, with what to do about it.
    missing: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)

    @property
    def systems(self) -> list[str]:
        return [s for s in self.options.systems if s not in self.missing]


def titles() -> dict[str, str]:
    """Each system's name for the table, with the version installed ("?" when it cannot be read)."""
    p, e = prosody.version() or "?", ejabberd.version() or "?"
    otp = ejabberd.otp_version() or "?"
    return {
        PROSODY: f"Prosody {p}",
        EJABBERD: f"ejabberd {e} (OTP {otp}), VM defaults",
        EJABBERD_NOBUSY: f"ejabberd {e}, schedulers not busy-waiting",
        PARLEY_FULL: "Parley, lean clients, --sync full",
        PARLEY_NORMAL: "Parley, lean clients, --sync normal",
    }


def missing_systems(systems: tuple[str, ...]) -> dict[str, str]:
    """The systems asked for that this machine lacks, each with the sentence that says how to get it."""
    found: dict[str, str] = {}
    for system in systems:
        if system == PROSODY and prosody.version() is None:
            found[system] = "prosody is not installed: apt-get install prosody"
        elif system in (EJABBERD, EJABBERD_NOBUSY) and ejabberd.version() is None:
            found[system] = "ejabberd is not installed: apt-get install ejabberd"
    return found


def rotated(systems: list[str], round: int) -> list[str]:
    """The order of round ``round`` (from 1): the list turned by one place more each round."""
    if not systems:
        return []
    turn = (round - 1) % len(systems)
    return systems[turn:] + systems[:turn]


def compare(comparison: Comparison, progress: Progress) -> Comparison:
    """Every run of the comparison, appended to ``comparison.runs`` as it ends (a failure is kept too)."""
    options = comparison.options
    comparison.titles = titles()
    comparison.missing = missing_systems(options.systems)
    raise_file_limit(max(load.clients for load in options.loads) + SPARE_FILES)
    for round in range(1, options.rounds + 1):
        for load in options.loads:
            for system in rotated(comparison.systems, round):
                progress(f"round {round} of {options.rounds}, {load}: {system}…")
                try:
                    phase = run_one(system, load, options, progress, round)
                except (BenchError, SetupError, PeerError, OSError) as exc:
                    comparison.runs.append(Run(system, load, round, None, f"{type(exc).__name__}: {exc}"))
                    continue
                comparison.runs.append(Run(system, load, round, phase))
    return comparison


def run_one(system: str, load: Load, options: PeerOptions, progress: Progress, round: int) -> PhaseResult:
    if system in (PARLEY_FULL, PARLEY_NORMAL):
        sync = "full" if system == PARLEY_FULL else "normal"
        return _run_parley(sync, system, load, options, progress, round)
    starts: dict[str, Callable[[Path], PeerServer]] = {
        PROSODY: prosody.ProsodyInstance.start,
        EJABBERD: lambda folder: ejabberd.EjabberdInstance.start(folder, busy_wait=True),
        EJABBERD_NOBUSY: lambda folder: ejabberd.EjabberdInstance.start(folder, busy_wait=False),
    }
    if system not in starts:
        raise ValueError(f"no such system: {system!r} (choose from {', '.join(SYSTEMS)})")
    return _run_xmpp(system, starts[system], load, options, progress, round)


def _run_parley(
    sync: str, system: str, load: Load, options: PeerOptions, progress: Progress, round: int
) -> PhaseResult:
    report = flows.run(options.bench_options(load, lean=True, sync=sync), progress, Report("", "", ""))
    phase = report.phases[0]
    phase.target, phase.round = system, round
    return phase


def _run_xmpp(
    system: str,
    start: Callable[[Path], PeerServer],
    load: Load,
    options: PeerOptions,
    progress: Progress,
    round: int,
) -> PhaseResult:
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="parley-peers-")))
        progress(f"starting {system}…")
        server = start(folder)
        stack.callback(server.stop)
        accounts = dict(server.accounts(load.clients))
        chunks = split(list(accounts), options.workers, even=True)
        pool = WorkerPool(len(chunks), serve=xmpp_worker.serve)
        stack.callback(pool.stop)
        progress(f"registering and logging in {load.clients} XMPP clients…")
        setup = {"address": server.address, "domain": DOMAIN, "register": True, "size": options.size}
        pool.call(
            "setup",
            [
                {**setup, "cafile": str(server.cafile), "accounts": [(u, accounts[u]) for u in chunk]}
                for chunk in chunks
            ],
            timeout=SETUP_TIMEOUT,
        )
        return measure(
            pool,
            system,
            None,
            options.bench_options(load),
            load.clients,
            progress,
            round=round,
            sample=server.sample,
        )
