"""``python main.py bench --group-size N``: one group of N people, against the same copies sent as 1:1 texts.

One sender (a Messenger in a process of its own, :mod:`net.bench.group_sender`) and
N - 1 members (Messengers in this process, polled in turn) on one server. After
the group is made, rounds of two samples in alternating order (group first, then
1:1 first, ...): a group sample sends ``--group-messages`` group texts, each fanned
out by the engine as one ``send_many`` of N - 1 sealed copies; a 1:1 sample sends as
many "messages" of N - 1 texts, one ``send_text`` to each member. Either way at most
``--window`` messages are on their way (not yet decrypted by every member).

Per sample: recipient copies decrypted per second, the latency from a message's
send to the last member's decrypt, the sender's CPU per message (its process's
``time.process_time`` over the sample, receipts it takes in included; split into
sending, the sends and the outbox flushes that seal and send the copies, and
receipts, the rest: taking the members' receipts back), and the
server's CPU per recipient copy (from /proc). The figures are medians over the
rounds; latencies are percentiles over every message of a kind.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from net.bench import group_sender
from net.bench.engine_bench import registered_person
from net.bench.link import Address
from net.bench.runner import BenchError, ServerProcess, temporary_data_dir, unique_phones
from net.bench.stats import LatencySummary, read_process
from net.client.core.events import Event, MessageReceived, UndecryptableMessage
from net.client.messenger import Messenger

Progress = Callable[[str], None]
SETUP_TIMEOUT = 600.0
#: The issue's targets: a group message's cost to its sender, in ms of CPU.
SENDER_TARGET_MS = 10.0
KINDS = ("group", "1:1")
_CONTEXT = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class GroupOptions:
    size: int = 50
    messages: int = 20
    rounds: int = 3
    window: int = 4
    text_size: int = 256
    server: Address | None = None
    server_pid: int | None = None
    #: A file for the sender's cProfile statistics over every sample ("" for none).
    profile: str = ""


@dataclass(frozen=True)
class Sample:
    """One sample of one kind: ``messages`` messages of ``copies`` recipient copies in all."""

    kind: str
    messages: int
    copies: int
    delivered: int
    seconds: float
    latencies_ms: tuple[float, ...]
    sender_cpu_ms: float
    server_cpu_us: float | None
    lost: int
    duplicated: int
    #: The part of ``sender_cpu_ms`` spent sending (the sends and the outbox's flushes).
    sending_cpu_ms: float = math.nan

    @property
    def receipts_cpu_ms(self) -> float:
        """The rest of the sender's CPU: taking the receipts back (the inbox), and the link's reads."""
        return self.sender_cpu_ms - self.sending_cpu_ms

    @property
    def copies_per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else math.nan

    @property
    def sender_ms_per_message(self) -> float:
        return self.sender_cpu_ms / self.messages if self.messages else math.nan

    @property
    def sending_ms_per_message(self) -> float:
        return self.sending_cpu_ms / self.messages if self.messages else math.nan

    @property
    def receipts_ms_per_message(self) -> float:
        return self.receipts_cpu_ms / self.messages if self.messages else math.nan

    @property
    def server_us_per_copy(self) -> float | None:
        return (
            None if self.server_cpu_us is None or not self.delivered else self.server_cpu_us / self.delivered
        )


@dataclass
class KindFigures:
    """A kind's medians over the rounds, and its latency percentiles over all its messages."""

    kind: str
    copies_per_second: float
    latency_ms: LatencySummary
    sender_ms_per_message: float
    server_us_per_copy: float | None
    lost: int
    duplicated: int
    samples: list[Sample]
    sending_ms_per_message: float = math.nan
    receipts_ms_per_message: float = math.nan

    @classmethod
    def of(cls, kind: str, samples: list[Sample]) -> KindFigures:
        servers = [s.server_us_per_copy for s in samples if s.server_us_per_copy is not None]
        return cls(
            kind,
            statistics.median(s.copies_per_second for s in samples),
            LatencySummary.of([v for s in samples for v in s.latencies_ms]),
            statistics.median(s.sender_ms_per_message for s in samples),
            statistics.median(servers) if servers else None,
            sum(s.lost for s in samples),
            sum(s.duplicated for s in samples),
            samples,
            statistics.median(s.sending_ms_per_message for s in samples),
            statistics.median(s.receipts_ms_per_message for s in samples),
        )


@dataclass
class GroupReport:
    options: GroupOptions
    group: KindFigures | None = None
    pairs: KindFigures | None = None
    undecryptable: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        kinds = [k for k in (self.group, self.pairs) if k is not None]
        return bool(kinds) and not self.undecryptable and all(not (k.lost or k.duplicated) for k in kinds)

    def to_json(self) -> dict[str, Any]:
        def kind(figures: KindFigures | None) -> dict[str, Any] | None:
            if figures is None:
                return None
            return {
                "copies_per_second": figures.copies_per_second,
                "latency_ms": {"p50": figures.latency_ms.p50, "p99": figures.latency_ms.p99},
                "sender_cpu_ms_per_message": figures.sender_ms_per_message,
                "sending_cpu_ms_per_message": figures.sending_ms_per_message,
                "receipts_cpu_ms_per_message": figures.receipts_ms_per_message,
                "server_cpu_us_per_copy": figures.server_us_per_copy,
                "lost": figures.lost,
                "duplicated": figures.duplicated,
                "samples": len(figures.samples),
            }

        return {
            "group_size": self.options.size,
            "copies_per_message": self.options.size - 1,
            "messages_per_sample": self.options.messages,
            "rounds": self.options.rounds,
            "window": self.options.window,
            "group": kind(self.group),
            "one_to_one": kind(self.pairs),
            "undecryptable": self.undecryptable,
            "clean": self.clean,
            "notes": self.notes,
        }


class Members:
    """The N - 1 receiving Messengers, and when each decrypted which bench text."""

    def __init__(self, folder: Path, address: Address, phones: list[str]) -> None:
        self.engines: list[Messenger] = []
        self.undecryptable = 0
        #: (kind, sample, seq) -> who decrypted it, how often; and when the last one did.
        self.copies: dict[tuple[str, int, int], Counter[str]] = {}
        self.finished: dict[tuple[str, int, int], float] = {}
        self._want = len(phones)
        for index, phone in enumerate(phones):
            engine, _ = registered_person(folder, f"member{index}", address, phone, self._on_event(phone))
            self.engines.append(engine)

    def _on_event(self, phone: str) -> Callable[[Event], None]:
        def on_event(event: Event) -> None:
            if isinstance(event, UndecryptableMessage):
                self.undecryptable += 1
            elif isinstance(event, MessageReceived) and (key := group_sender.parse_text(event.message.text)):
                seen = self.copies.setdefault(key, Counter())
                seen[phone] += 1
                if len(seen) == self._want and key not in self.finished:
                    self.finished[key] = time.monotonic()

        return on_event

    def poll(self) -> None:
        for engine in self.engines:
            engine.poll(0)

    def close(self) -> None:
        for engine in self.engines:
            engine.close()


class Sender:
    """The sender's process and the pipe to it; every wait polls the members meanwhile."""

    def __init__(self, folder: Path, address: Address, phone: str, members: list[str], profile: str) -> None:
        self._pipe, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=group_sender.run_sender,
            args=(child, str(folder), address, phone, members, profile),
            name="group-bench-sender",
            daemon=True,
        )
        self.process.start()

    def send(self, *command: Any) -> None:
        self._pipe.send(command)

    def answer(self, members: Members, timeout: float, on_turn: Callable[[], None] = lambda: None) -> Any:
        deadline = time.monotonic() + timeout
        while not self._pipe.poll(0):
            if not self.process.is_alive():
                raise BenchError(f"the sender stopped (exit status {self.process.exitcode})")
            if time.monotonic() > deadline:
                raise BenchError("the sender did not answer in time")
            members.poll()
            on_turn()
        try:
            answer = self._pipe.recv()
        except EOFError:
            raise BenchError(f"the sender stopped (exit status {self.process.exitcode})") from None
        if answer[0] == "error":
            raise BenchError(answer[1])
        return answer

    def stop(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError, BrokenPipeError):
                self._pipe.send(("stop",))
            self.process.join(30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(10)


def _sample(
    sender: Sender, members: Members, server_pid: int | None, kind: str, number: int, options: GroupOptions
) -> Sample:
    told: set[int] = set()

    def tell_finished() -> None:
        for (k, s, seq), _at in members.finished.items():
            if k == kind and s == number and seq not in told:
                told.add(seq)
                sender.send("done", number, seq)

    before = read_process(server_pid) if server_pid is not None else None
    sender.send("sample", kind, number, options.messages, options.window, options.text_size)
    _, answer = sender.answer(members, group_sender.SAMPLE_TIMEOUT + 60, tell_finished)
    after = read_process(server_pid) if server_pid is not None else None
    sent_at: list[float] = answer["sent_at"]
    ends = [members.finished.get((kind, number, seq)) for seq in range(len(sent_at))]
    latencies = tuple((end - start) * 1000 for start, end in zip(sent_at, ends, strict=True) if end)
    copies = [members.copies.get((kind, number, seq), Counter()) for seq in range(options.messages)]
    finished = [end for end in ends if end]
    return Sample(
        kind=kind,
        messages=options.messages,
        copies=options.messages * (options.size - 1),
        delivered=sum(len(c) for c in copies),
        seconds=(max(finished) - sent_at[0]) if finished and sent_at else math.nan,
        latencies_ms=latencies,
        sender_cpu_ms=answer["cpu"] * 1000,
        sending_cpu_ms=answer["sending_cpu"] * 1000,
        server_cpu_us=(after.cpu_seconds - before.cpu_seconds) * 1e6 if before and after else None,
        lost=sum(options.size - 1 - len(c) for c in copies),
        duplicated=sum(n - 1 for c in copies for n in c.values()),
    )


def run_group_bench(options: GroupOptions, progress: Progress) -> GroupReport:
    """A server (or ``options.server``), the sender and the members, the group, and the alternating rounds."""
    if not 2 <= options.size <= 100:
        raise ValueError("--group-size must be 2 to 100 (a group holds up to 100 people)")
    report = GroupReport(options)
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(temporary_data_dir()))
        if options.server is not None:
            address, server_pid = options.server, options.server_pid
        else:
            progress("starting a Parley server…")
            (folder / "server").mkdir()
            waiting = str((options.rounds + 1) * 2 * options.messages * 2 + 100)
            server = ServerProcess(
                folder / "server", extra=("--queue-cap", waiting, "--queue-cap-per-sender", waiting)
            )
            stack.callback(server.stop)
            address, server_pid = server.address, server.pid
        if server_pid is None:
            report.notes.append("no --server-pid: the server's CPU is not measured")
        sender_phone, *phones = unique_phones(options.size)
        progress(f"registering {options.size} people…")
        members = Members(folder, address, phones)
        stack.callback(members.close)
        sender = Sender(folder, address, sender_phone, phones, options.profile)
        stack.callback(sender.stop)
        sender.answer(members, SETUP_TIMEOUT)  # registered, the members its contacts
        for engine in members.engines:
            engine.add_contact(sender_phone)  # a contact's group is no message request
        progress(f"making a group of {options.size} and starting {options.size - 1} sessions…")
        sender.send("group")
        _, group_id = sender.answer(members, SETUP_TIMEOUT)
        _until_every_member_holds(members, group_id)
        warm = GroupOptions(**{**options.__dict__, "messages": 2})
        for number, kind in enumerate(KINDS):
            _sample(sender, members, server_pid, kind, number, warm)  # sessions and pages warm
        samples: dict[str, list[Sample]] = {kind: [] for kind in KINDS}
        number = len(KINDS)
        for round_number in range(options.rounds):
            for kind in KINDS if round_number % 2 == 0 else tuple(reversed(KINDS)):
                progress(f"round {round_number + 1} of {options.rounds}: {kind}…")
                samples[kind].append(_sample(sender, members, server_pid, kind, number, options))
                number += 1
        report.group = KindFigures.of("group", samples["group"])
        report.pairs = KindFigures.of("1:1", samples["1:1"])
        report.undecryptable = members.undecryptable
    return report


def _until_every_member_holds(members: Members, group_id: str) -> None:
    deadline = time.monotonic() + SETUP_TIMEOUT
    while not all(any(g.group_id == group_id for g in e.groups()) for e in members.engines):
        if time.monotonic() > deadline:
            raise BenchError("not every member received the group in time")
        for _ in range(10):
            members.poll()


def format_group_report(report: GroupReport, header: list[str]) -> str:
    o = report.options
    lines = [
        *header,
        "",
        f"a group of {o.size} (one sender, {o.size - 1} copies per message) against the same copies as"
        f" {o.size - 1} 1:1 texts, on one server; {o.messages} messages per sample, at most {o.window}"
        f" on their way; median of {o.rounds} alternating rounds",
    ]
    kinds = [k for k in (report.group, report.pairs) if k is not None]
    rows: list[tuple[str, Callable[[KindFigures], str]]] = [
        ("recipient copies decrypted, per second", lambda k: _num(k.copies_per_second)),
        (
            "send to the last member's decrypt p50 / p99, ms",
            lambda k: f"{_num(k.latency_ms.p50, 1)} / {_num(k.latency_ms.p99, 1)}",
        ),
        ("sender CPU per message, ms", lambda k: _num(k.sender_ms_per_message, 2)),
        ("  of it sending (seal + send), ms", lambda k: _num(k.sending_ms_per_message, 2)),
        ("  of it taking the receipts back, ms", lambda k: _num(k.receipts_ms_per_message, 2)),
        ("server CPU per recipient copy, µs", lambda k: _num(k.server_us_per_copy, 1)),
        ("lost / duplicated", lambda k: f"{k.lost} / {k.duplicated}"),
    ]
    width = max(len(label) for label, _ in rows) + 2
    titles = {"group": "group (send_many)", "1:1": f"1:1 ({o.size - 1} texts)"}
    lines.append(" " * width + "".join(titles[k.kind].rjust(22) for k in kinds))
    lines.extend(label.ljust(width) + "".join(fmt(k).rjust(22) for k in kinds) for label, fmt in rows)
    lines.append(f"undecryptable: {report.undecryptable}")
    if report.group is not None and report.pairs is not None:
        lines.extend(_verdicts(report.group, report.pairs))
    lines.extend(f"note: {n}" for n in report.notes)
    return "\n".join(lines)


def _verdicts(group: KindFigures, pairs: KindFigures) -> list[str]:
    sender, sending = group.sender_ms_per_message, group.sending_ms_per_message
    lines = [
        f"target: a group message costs its sender ≤ {SENDER_TARGET_MS:g} ms of CPU: {_num(sender, 2)} ms,"
        f" {'met' if sender <= SENDER_TARGET_MS else 'MISSED'}",
        f"target: sending a group message (seal + send) ≤ {SENDER_TARGET_MS:g} ms of CPU:"
        f" {_num(sending, 2)} ms, {'met' if sending <= SENDER_TARGET_MS else 'MISSED'}",
    ]
    g, p = group.server_us_per_copy, pairs.server_us_per_copy
    if g is not None and p is not None:
        lines.append(
            f"target: the server moves group copies at least as fast as 1:1 messages: {_num(g, 1)} µs of its"
            f" CPU per group copy, {_num(p, 1)} µs per 1:1 message, {'met' if g <= p else 'MISSED'}"
        )
    return lines


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:,.{digits}f}"
