"""What a bench run found, as plain data: built from the workers' answers, printed by the CLI."""

from __future__ import annotations

import math
from array import array
from dataclasses import asdict, dataclass, field
from typing import Any

from net.bench.stats import LatencySummary, ProcessSample

#: A worker busier than this share of one CPU is itself the bottleneck.
GENERATOR_BUSY = 0.9
#: An open loop this far behind its schedule did not offer the rate it was asked for.
GENERATOR_LATE_SECONDS = 0.1


def latencies_of(answers: list[dict[str, Any]]) -> list[float]:
    values: list[float] = []
    for answer in answers:
        packed = array("d")
        packed.frombytes(answer["latencies"])
        values.extend(packed)
    return values


@dataclass
class PhaseResult:
    """One measured phase against one target (Parley, or the relay)."""

    target: str
    clients: int
    workers: int
    mode: str
    duration: float
    size: int
    sent: int
    accepted: int
    refused: int
    received: int
    lost: int
    duplicated: int
    undecryptable: int
    delivered_per_second: float
    latency_ms: LatencySummary
    server_cpu_us_per_message: float | None
    server_cpu_share: float | None
    server_peak_rss: int | None
    generator_cpu_share: float
    generator_lag_seconds: float
    drained: bool
    errors: list[str] = field(default_factory=list)
    #: Devices per person: every message is one copy per device of the partner and of the sender's others.
    devices: int = 1
    #: The round of an alternating run (``--rounds``), from 1.
    round: int = 1
    copies_accepted: int = 0
    copies_received: int = 0
    server_cpu_us_per_copy: float | None = None
    #: CPU per message delivered, µs, of each process measured on its own (a cluster's nodes, PostgreSQL,
    #: Redis, HAProxy), in the order measured; None where a reading was missing.
    cpu_us_by_process: dict[str, float | None] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        target: str,
        answers: list[dict[str, Any]],
        *,
        clients: int,
        mode: str,
        duration: float,
        size: int,
        server_before: ProcessSample | None,
        server_after: ProcessSample | None,
        devices: int = 1,
        round: int = 1,
        parts: dict[str, tuple[ProcessSample | None, ProcessSample | None]] | None = None,
    ) -> PhaseResult:
        def total(name: str) -> int:
            return sum(int(a[name]) for a in answers)

        delivered = total("delivered_in_window")
        copies = total("copies_in_window")
        cpu_us = cpu_copy_us = share = peak = None
        if server_before is not None and server_after is not None:
            used = server_after.cpu_seconds - server_before.cpu_seconds
            cpu_us = used / delivered * 1e6 if delivered else math.nan
            cpu_copy_us = used / copies * 1e6 if copies else math.nan
            share = used / duration
            peak = server_after.peak_rss
        by_process: dict[str, float | None] = {}
        for name, (before, after) in (parts or {}).items():
            if before is None or after is None:
                by_process[name] = None
            else:
                used_here = after.cpu_seconds - before.cpu_seconds
                by_process[name] = used_here / delivered * 1e6 if delivered else math.nan
        return cls(
            target=target,
            clients=clients,
            workers=len(answers),
            mode=mode,
            duration=duration,
            size=size,
            sent=total("sent"),
            accepted=total("accepted"),
            refused=total("refused"),
            received=total("received"),
            lost=total("lost"),
            duplicated=total("duplicated"),
            undecryptable=total("undecryptable"),
            delivered_per_second=delivered / duration,
            latency_ms=LatencySummary.of(latencies_of(answers)),
            server_cpu_us_per_message=cpu_us,
            server_cpu_share=share,
            server_peak_rss=peak,
            generator_cpu_share=max(a["cpu_seconds"] for a in answers) / duration,
            generator_lag_seconds=max(a["lag_seconds"] for a in answers),
            drained=all(a["drained"] for a in answers),
            errors=[e for a in answers for e in a["errors"]][:5],
            devices=devices,
            round=round,
            copies_accepted=total("copies_accepted"),
            copies_received=total("copies_received"),
            server_cpu_us_per_copy=cpu_copy_us,
            cpu_us_by_process=by_process,
        )

    @property
    def clean(self) -> bool:
        return self.lost == self.duplicated == self.undecryptable == self.refused == 0 and self.drained

    @property
    def every_copy_once(self) -> bool:
        """Every device got each message meant for it once: as many copies decrypted as were stored."""
        return self.clean and self.copies_received == self.copies_accepted

    @property
    def generator_bound(self) -> bool:
        return (
            self.generator_cpu_share >= GENERATOR_BUSY or self.generator_lag_seconds >= GENERATOR_LATE_SECONDS
        )


@dataclass
class IdleResult:
    """The ``--connections`` mode: many quiet logged-in connections and keepalives across them."""

    connections: int
    workers: int
    connect_seconds: float
    rss_before: int | None
    rss_after: int | None
    threads_after: int | None
    ping_ms: LatencySummary
    errors: list[str] = field(default_factory=list)

    @property
    def bytes_per_connection(self) -> float | None:
        if self.rss_before is None or self.rss_after is None or not self.connections:
            return None
        return (self.rss_after - self.rss_before) / self.connections


@dataclass
class Report:
    """Everything a run prints; ``to_json`` is the ``--json`` output."""

    command: str
    started: str
    machine: str
    phases: list[PhaseResult] = field(default_factory=list)
    idle: IdleResult | None = None
    notes: list[str] = field(default_factory=list)
    #: Driven by lean clients (net/bench/lean_client.py): no end-to-end cryptography in the load tool.
    lean: bool = False

    @property
    def ratio(self) -> float | None:
        by_target = {p.target: p for p in self.phases}
        parley, relay = by_target.get("parley"), by_target.get("relay")
        if parley is None or relay is None or not relay.delivered_per_second:
            return None
        return parley.delivered_per_second / relay.delivered_per_second

    @property
    def clean(self) -> bool:
        return all(p.clean and p.every_copy_once for p in self.phases)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["ratio"] = self.ratio
        out["clean"] = self.clean
        if self.idle is not None:
            out["idle"]["bytes_per_connection"] = self.idle.bytes_per_connection
        for phase, data in zip(self.phases, out["phases"], strict=True):
            data["generator_bound"] = phase.generator_bound
        return {key: _finite(value) for key, value in out.items()}


def _finite(value: Any) -> Any:
    """JSON has no NaN: an empty measurement becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
