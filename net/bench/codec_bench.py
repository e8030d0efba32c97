"""Benchmark: the CPU a server spends on each of a message's frames, in the protocol's code alone.

    python -m net.bench.codec_bench [--body 560] [--repeat 5000] [--runs 5]

The frames are the ones a message makes at the server: the ``send`` request with a body
of a sealed message's size (``--body`` bytes, sent as base64), its reply, the ``message``
push with the body, and an ``ack`` request with 1 and with 100 ids and its reply. For
each it times, in this process's CPU time, the JSON alone (``encode_json`` /
``decode_json_object``) both ways, and the server's whole side of the frame through a
:class:`~net.protocol.connection.Connection`: a request taken in (bytes fed, the event
read, its fields checked), a reply or push written (the frame's bytes). Each figure is
the median over ``--runs`` runs of ``--repeat`` frames, in µs per frame.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from net.protocol.connection import Connection, Message, Push, Reply, Request, Role
from net.protocol.frame_json import decode_json_object, encode_json
from net.protocol.frames import encode_frame

SENDER, RECIPIENT = "+442079460001", "+442079460002"
CLIENT_ID = "cl019a2b3c4d5e0123456789abcdef"  # the shape of net/protocol/client_ids.py's ids
NOW_MS = 1_767_225_600_000
FIRST_ID = 1_000_000


@dataclass(frozen=True)
class Frame:
    """One frame of a message's path: its JSON object, and whether the server reads or writes it."""

    name: str
    obj: dict[str, Any]
    server_reads: bool

    def message(self) -> Message:
        """The message a server writes (replies and pushes only)."""
        body = {k: v for k, v in self.obj.items() if k not in ("re", "ok", "push")}
        return Push(self.obj["push"], body) if "push" in self.obj else Reply(self.obj["re"], body)


def frames(body_size: int) -> list[Frame]:
    """The frames of one message, as the server reads and writes them."""
    body = bytes(range(256)) * (body_size // 256) + bytes(body_size % 256)
    ids = list(range(FIRST_ID, FIRST_ID + 100))
    send = {"id": 77, "op": "send", "to": RECIPIENT, "client_id": CLIENT_ID, "body": body}
    return [
        Frame("send request", send, server_reads=True),
        Frame("send reply", {"id": FIRST_ID, "ts": NOW_MS, "duplicate": False, "re": 77, "ok": True}, False),
        Frame(
            "message push",
            {"id": FIRST_ID, "from": SENDER, "from_device": 1, "body": body, "ts": NOW_MS, "push": "message"},
            server_reads=False,
        ),
        Frame("ack request, 1 id", {"id": 78, "op": "ack", "ids": ids[:1]}, server_reads=True),
        Frame("ack request, 100 ids", {"id": 79, "op": "ack", "ids": ids}, server_reads=True),
        Frame("ack reply", {"deleted": 100, "re": 79, "ok": True}, server_reads=False),
    ]


def _per_call(call: Callable[[], object], repeat: int, runs: int) -> float:
    """Median µs of CPU time per call, over ``runs`` runs of ``repeat`` calls."""
    figures = []
    for _ in range(runs):
        started = time.process_time()
        for _ in range(repeat):
            call()
        figures.append((time.process_time() - started) / repeat * 1e6)
    return statistics.median(figures)


def _server_side(frame: Frame) -> Callable[[], object]:
    """One frame through the server's Connection: read in whole, or written out."""
    server = Connection(Role.SERVER)
    server.logged_in = True
    if frame.server_reads:
        data = encode_frame(encode_json(frame.obj))

        def take_in() -> object:
            server.receive_data(data)
            event = server.next_event()
            assert isinstance(event, Request)
            return event

        return take_in
    message = frame.message()
    return lambda: server.send(message)


@dataclass(frozen=True)
class Figures:
    name: str
    payload_bytes: int
    encode_us: float
    decode_us: float
    server_us: float


def measure(body_size: int, repeat: int, runs: int) -> list[Figures]:
    out = []
    for frame in frames(body_size):
        obj, payload = frame.obj, encode_json(frame.obj)

        def encode(obj: dict[str, Any] = obj) -> bytes:
            return encode_json(obj)

        def decode(payload: bytes = payload) -> dict[str, Any]:
            return decode_json_object(payload)

        encoded, decoded = _per_call(encode, repeat, runs), _per_call(decode, repeat, runs)
        server = _per_call(_server_side(frame), repeat, runs)
        out.append(Figures(frame.name, len(payload), encoded, decoded, server))
    return out


def table(figures: list[Figures]) -> str:
    lines = [f"{'frame':<22} {'bytes':>6} {'encode µs':>10} {'decode µs':>10} {'server µs':>10}"]
    for f in figures:
        times = f"{f.encode_us:>10.2f} {f.decode_us:>10.2f} {f.server_us:>10.2f}"
        lines.append(f"{f.name:<22} {f.payload_bytes:>6} {times}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body", type=int, default=560, help="the body's bytes before base64 (560)")
    parser.add_argument("--repeat", type=int, default=5000, help="frames per run (5000)")
    parser.add_argument("--runs", type=int, default=5, help="runs; the median is printed (5)")
    args = parser.parse_args(argv)
    if args.body < 1 or args.repeat < 1 or args.runs < 1:
        parser.error("--body, --repeat and --runs must be at least 1")
    print(f"CPU µs per frame, median of {args.runs} runs of {args.repeat} (body {args.body} bytes)")
    print("server: a request taken in through its Connection, or a reply or push written")
    print(table(measure(args.body, args.repeat, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
