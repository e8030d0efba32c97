"""A worker process of the peer comparison: many XMPP clients on one ``selectors`` loop.

The runner's :class:`~net.bench.runner.WorkerPool` drives it over a pipe, as it
drives the Parley bench's workers: ``setup`` (open a TLS connection per account,
register in-band when asked, log in, pair the clients at random inside this
process), ``load`` (one open-loop window with the same :class:`LoadSpec` and the
same answer as :meth:`net.bench.worker.Worker.load`, so the same
:func:`net.bench.flows.measure` and :class:`~net.bench.results.PhaseResult` serve
both), ``stop``. Every wait has a deadline; a failure goes back as a sentence.
"""

from __future__ import annotations

import contextlib
import secrets
import selectors
import socket
import ssl
import string
import time
from array import array
from collections.abc import Callable
from multiprocessing.connection import Connection as Pipe
from typing import Any

from net.bench.client import SetupError, Tally
from net.bench.link import Address, LinkClosed
from net.bench.peers.xmpp_client import Stage, XmppClient
from net.bench.worker import LoadSpec, _CpuWindow, serve_commands

CONNECT_TIMEOUT = 30.0
LOGIN_TIMEOUT = 300.0
#: Connections opened before the loop turns to answer the ones already open.
CONNECT_BATCH = 50
_FILLER = string.ascii_letters + string.digits


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


def client_context(cafile: str) -> ssl.SSLContext:
    """TLS 1.3 only, the server's self-signed certificate as the one authority, its name checked."""
    context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    return context


class XmppWorker:
    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.tally = Tally()
        self.clients: list[XmppClient] = []
        self.dirty: set[XmppClient] = set()

    # ------------------------------------------------------------------ the loop

    def pump(self, timeout: float) -> None:
        events = self.selector.select(max(0.0, timeout))
        now = time.monotonic_ns()
        for key, mask in events:
            client: XmppClient = key.data
            if mask & selectors.EVENT_READ:
                try:
                    client.read(now)
                except LinkClosed as exc:
                    self.tally.errors.append(str(exc))
                    self._detach(client)
                    continue
                if client.out:
                    self.dirty.add(client)
            if mask & selectors.EVENT_WRITE:
                self.dirty.add(client)
        self.flush()

    def flush(self) -> None:
        for client in self.dirty:
            if client.sock is None:
                continue
            try:
                more = client.flush()
            except LinkClosed as exc:
                self.tally.errors.append(str(exc))
                self._detach(client)
                continue
            if more != client.watching_writes:
                events = selectors.EVENT_READ | (selectors.EVENT_WRITE if more else 0)
                self.selector.modify(client.sock, events, client)
                client.watching_writes = more
        self.dirty.clear()

    def _detach(self, client: XmppClient) -> None:
        if client.sock is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(client.sock)
        client.close()
        client.sock = None

    def run_until(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SetupError(f"{what}: not done within {timeout:.0f} s")
            self.pump(min(remaining, 0.05))

    # ------------------------------------------------------------------ commands

    def setup(
        self,
        address: Address,
        domain: str,
        accounts: list[tuple[str, str]],
        register: bool,
        cafile: str,
        size: int,
    ) -> dict[str, Any]:
        """Connect and log in one client per account (registering it first when asked), then pair them."""
        started = time.monotonic()
        context = client_context(cafile)
        self.clients = []
        for index, (user, password) in enumerate(accounts):
            filler = "".join(secrets.choice(_FILLER) for _ in range(size))
            client = XmppClient(
                user, password, domain, self.tally, register=register, size=size, filler=filler
            )
            raw = socket.create_connection(address, timeout=CONNECT_TIMEOUT)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                sock = context.wrap_socket(raw, server_hostname=domain)
            except BaseException:
                raw.close()
                raise
            client.start(sock)
            self.selector.register(sock, selectors.EVENT_READ, client)
            self.clients.append(client)
            self.dirty.add(client)
            if index % CONNECT_BATCH == CONNECT_BATCH - 1:
                self.pump(0)
        self.flush()
        self.run_until(lambda: all(c.settled for c in self.clients), LOGIN_TIMEOUT, "logging in")
        failed = [c.failure for c in self.clients if c.stage is Stage.FAILED]
        if failed:
            raise SetupError(f"{len(failed)} of {len(self.clients)} logins failed; the first: {failed[0]}")
        shuffled = self.clients[:]
        secrets.SystemRandom().shuffle(shuffled)
        for a, b in zip(shuffled[0::2], shuffled[1::2], strict=False):
            a.partner, b.partner = b.bare_jid, a.bare_jid
        self.tally = Tally()
        return {"clients": len(self.clients), "seconds": time.monotonic() - started}

    def load(self, spec: LoadSpec) -> dict[str, Any]:
        """One open-loop window; the answer has the keys of the Parley bench worker's."""
        if spec.rate is None:
            raise SetupError("the XMPP clients run an open loop only: give a rate")
        tally = self.tally = Tally(
            window_start=_ns(spec.start_at + spec.warmup),
            window_end=_ns(spec.start_at + spec.warmup + spec.duration),
        )
        for client in self.clients:
            client.tally = tally
        senders = [c for c in self.clients if c.partner is not None and c.sock is not None]
        if not senders:
            raise SetupError("no client is logged in with a partner to send to")
        secrets.SystemRandom().shuffle(senders)
        end_send = spec.start_at + spec.warmup + spec.duration
        while time.monotonic() < spec.start_at:
            self.pump(min(0.05, spec.start_at - time.monotonic()))
        cpu = _CpuWindow(spec.start_at + spec.warmup, end_send)
        interval, due, turn, lag = 1.0 / spec.rate, spec.start_at, 0, 0.0
        while (now := time.monotonic()) < end_send:
            cpu.observe(now)
            if due <= now:
                lag = max(lag, now - due)
                while due <= now and due < end_send:
                    sender = senders[turn % len(senders)]
                    turn += 1
                    due += interval
                    if sender.sock is not None:
                        sender.send_message(_ns(due - interval))
                        self.dirty.add(sender)
                self.flush()
            self.pump(max(0.0, min(due, end_send) - time.monotonic()))
        cpu.observe(time.monotonic())
        deadline = time.monotonic() + spec.drain_timeout
        while not tally.settled and time.monotonic() < deadline:
            self.pump(0.05)
        return {
            "sent": tally.sent,
            "accepted": tally.accepted,
            "refused": tally.refused,
            "received": tally.received,
            "duplicated": tally.duplicated,
            "undecryptable": tally.undecryptable,
            "lost": max(0, tally.accepted - tally.received),
            "delivered_in_window": tally.delivered_in_window,
            "copies_accepted": tally.copies_accepted,
            "copies_received": tally.copies_received,
            "copies_in_window": tally.copies_in_window,
            "latencies": array("d", tally.latencies_ms).tobytes(),
            "cpu_seconds": cpu.seconds,
            "lag_seconds": lag,
            "drained": tally.settled,
            "errors": tally.errors[:5],
        }

    def close(self) -> None:
        for client in self.clients:
            self._detach(client)
        self.selector.close()


def serve(pipe: Pipe) -> None:
    """A worker process's main: run commands from the runner until ``stop`` (as net/bench/worker.py's)."""
    serve_commands(pipe, XmppWorker())
