"""The group bench's sender: one Messenger in a process of its own, so that its CPU is its own.

The parent drives it over a pipe: ``("group",)`` makes the group of every member;
``("sample", kind, sample, count, window, size)`` sends ``count`` messages ("group": one
group text each, fanned out by the engine; "1:1": one text to each member), at most
``window`` of them not yet decrypted by every member, and answers with when each
went and the process's CPU (``time.process_time``) over the sample, in all and in sending
alone (the sends themselves and the outbox's flushes, which seal and send the copies;
the rest is taking the receipts back); the parent says
``("done", sample, seq)`` when the last member has decrypted message ``seq``. Between
commands the engine keeps polling (receipts come in, the outbox drains).
"""

from __future__ import annotations

import cProfile
import time
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

from net.bench.engine_bench import registered_person
from net.bench.link import Address
from net.client.messenger import Messenger
from net.client.outbox import Outbox

SAMPLE_TIMEOUT = 600.0


class SendingClock:
    """The CPU this process spends sending: the sends it times, and every outbox flush.

    The flushes are timed by wrapping :meth:`Outbox.flush` in this process only (the bench's
    sender is a process of its own), so that the engine carries no bench code.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0  # a flush inside a timed send is counted once
        flush = Outbox.flush
        Outbox.flush = lambda outbox: self.timing(flush, outbox)  # type: ignore[method-assign,assignment]

    def timing(self, call: Any, *args: Any) -> Any:
        started = time.process_time()
        self._depth += 1
        try:
            return call(*args)
        finally:
            self._depth -= 1
            if not self._depth:
                self.seconds += time.process_time() - started


def bench_text(kind: str, sample: int, seq: int, size: int) -> str:
    """A message's text: its kind, sample and number first (the receivers parse them), padded to ``size``."""
    return f"{kind} {sample} {seq} ".ljust(size, "x")


def parse_text(text: str) -> tuple[str, int, int] | None:
    """(kind, sample, number) of a bench text, None for any other."""
    parts = text.split(" ", 3)
    if len(parts) < 3 or parts[0] not in ("group", "1:1") or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return parts[0], int(parts[1]), int(parts[2])


def run_sender(
    pipe: Pipe, folder: str, address: Address, phone: str, members: list[str], profile: str
) -> None:
    """The child's body (started with ``spawn``): register, add the members, then obey the pipe.

    Whatever stops it is told to the parent in words, as ``("error", sentence)``.
    """
    try:
        _obey(pipe, folder, address, phone, members, profile)
    except Exception as exc:  # any: the parent reports it in words, and this process ends here
        pipe.send(("error", f"the sender stopped: {type(exc).__name__}: {exc}"))


def _obey(pipe: Pipe, folder: str, address: Address, phone: str, members: list[str], profile: str) -> None:
    sending = SendingClock()
    engine, _events = registered_person(Path(folder), "sender", address, phone)
    for member in members:
        engine.add_contact(member)
    # CPU time, not wall time: the figure it explains is the process's CPU (waits for replies are not).
    profiler = cProfile.Profile(time.process_time) if profile else None
    group_id = ""
    pipe.send(("ready",))
    while True:
        while not pipe.poll(0):
            engine.poll(0.005)
        command = pipe.recv()
        if command[0] == "group":
            group_id = engine.create_group("bench group", members).group_id
            pipe.send(("group", group_id))
        elif command[0] == "sample":
            kind, sample, count, window, size = command[1:]
            if profiler is not None and kind == "group":
                profiler.enable()
            answer = _sample(engine, pipe, sending, group_id, members, (kind, sample), count, window, size)
            if profiler is not None and kind == "group":
                profiler.disable()
            pipe.send(("sample", answer))
        elif command[0] == "stop":
            if profiler is not None:
                profiler.dump_stats(profile)
            engine.close()
            pipe.send(("stopped",))
            return


def _sample(
    engine: Messenger,
    pipe: Pipe,
    sending: SendingClock,
    group_id: str,
    members: list[str],
    tag: tuple[str, int],
    count: int,
    window: int,
    size: int,
) -> dict[str, Any]:
    kind, sample = tag
    sent_at: list[float] = []
    done: set[int] = set()
    deadline = time.monotonic() + SAMPLE_TIMEOUT
    cpu_before, sending_before = time.process_time(), sending.seconds
    while len(done) < count:
        while len(sent_at) < count and len(sent_at) - len(done) < window:
            text = bench_text(kind, sample, len(sent_at), size)
            sent_at.append(time.monotonic())
            if kind == "group":
                sending.timing(engine.send_group_text, group_id, text)
            else:
                for member in members:
                    sending.timing(engine.send_text, member, text)
        engine.poll(0.001)
        while pipe.poll(0):
            message = pipe.recv()
            if message[0] == "done" and message[1] == sample:
                done.add(message[2])
        if time.monotonic() > deadline:
            break
    return {
        "sent_at": sent_at,
        "cpu": time.process_time() - cpu_before,
        "sending_cpu": sending.seconds - sending_before,
        "completed": len(done),
    }
