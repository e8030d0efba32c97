"""Texts between two other people while the attachment bench moves files: their latency, sent to received.

A process of its own (so its timing does not share an interpreter with the
transfers) registers two accounts, logs each in on its own TLS connection, and
sends stored texts from one to the other at a steady rate until told to stop.
Each text carries its number; the other side takes its push, notes when it
arrived, and acknowledges it. The result is one (sent at, latency) pair per
text, both on the system's monotonic clock, which every process shares, so the
bench can tell the texts sent during a transfer from those sent while idle.
"""

from __future__ import annotations

import base64
import multiprocessing
import selectors
import time
from multiprocessing.connection import Connection as Pipe
from typing import Any

from net.bench.blob_client import BlobClient
from net.bench.link import BenchLink
from net.protocol.connection import ErrorReply, Reply

_CONTEXT = multiprocessing.get_context("spawn")
TEXT_SIZE = 256  # bytes of each text's body (a short message, sealed)
DRAIN_SECONDS = 5.0  # how long the texts still on their way may take to arrive once told to stop
Address = tuple[str, int]


def _probe(pipe: Pipe, address: Address, phones: tuple[str, str], rate: float) -> None:
    links = []
    for phone in phones:
        client = BlobClient(address)
        client.register_and_login(phone)
        links.append(BenchLink(client.sock, client.fingerprint))
    sender, receiver = links
    pipe.send("ready")
    selector = selectors.DefaultSelector()
    selector.register(receiver.sock, selectors.EVENT_READ, receiver)
    selector.register(sender.sock, selectors.EVENT_READ, sender)
    sent: dict[int, float] = {}
    results: list[tuple[float, float]] = []
    refused = 0
    interval = 1.0 / rate
    next_at = time.monotonic()
    number = 0

    def answered(reply: Reply | ErrorReply) -> None:
        nonlocal refused
        if isinstance(reply, ErrorReply):
            refused += 1

    stop_at: float | None = None
    while stop_at is None or (sent and time.monotonic() < stop_at):
        if stop_at is None and pipe.poll():
            pipe.recv()
            stop_at = time.monotonic() + DRAIN_SECONDS  # no more texts; the last ones may still arrive
        now = time.monotonic()
        if stop_at is None and now >= next_at:
            number += 1
            body = number.to_bytes(8, "big") + bytes(TEXT_SIZE - 8)
            sent[number] = now
            sender.request(answered, "send", to=phones[1], client_id=f"probe-{number}", body=body)
            next_at += interval
        for link in links:
            link.flush()
        wait = 0.05 if stop_at is not None else max(0.0, next_at - time.monotonic())
        for key, _ in selector.select(wait):
            link = key.data
            ids = []
            for push in link.read():
                if push.kind != "message":
                    continue
                arrived = time.monotonic()
                seen = int.from_bytes(base64.b64decode(push.body["body"])[:8], "big")
                if seen in sent:
                    results.append((sent[seen], (arrived - sent.pop(seen)) * 1000))
                ids.append(push.body["id"])
            if ids:
                link.request(answered, "ack", ids=ids)
    for link in links:
        link.close()
    pipe.send({"texts": results, "unanswered": len(sent), "refused": refused})


class TextProbe:
    """Starts the probe process; :meth:`finish` stops it and gives its (sent at, latency ms) pairs."""

    def __init__(self, address: Address, phones: tuple[str, str], rate: float) -> None:
        self._pipe, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=_probe, args=(child, address, phones, rate), name="text-probe", daemon=True
        )
        self.process.start()
        if not self._pipe.poll(120.0) or self._pipe.recv() != "ready":
            self.process.kill()
            raise ConnectionError("the text probe did not start")

    def finish(self) -> dict[str, Any]:
        self._pipe.send("stop")
        if not self._pipe.poll(60.0):
            self.process.kill()
            raise ConnectionError("the text probe did not answer")
        result: dict[str, Any] = self._pipe.recv()
        self.process.join(10.0)
        return result
