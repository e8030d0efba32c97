"""A worker process of the bench: many clients on one ``selectors`` loop, driven by the runner.

The runner sends commands over a pipe (``setup``, ``load``, ``switch``,
``register``, ``connect``, ``pings``, ``stop``); each runs to completion and
sends back a plain dict. Every wait is bounded by a deadline; a failure comes
back as a sentence, never as a hang.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
import selectors
import signal
import ssl
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection as Pipe
from typing import Any

from net.bench.client import BenchAccount, BenchClient, Tally
from net.bench.client import SetupError as SetupError  # the name the CLI and the tests know it by
from net.bench.device_setup import setup_devices
from net.bench.lean_client import LeanClient
from net.bench.link import Address, BenchLink, LinkClosed
from net.client.transport import client_context
from net.protocol.connection import ErrorReply, Reply
from net.protocol.login import sign_login

CONNECT_TIMEOUT = 30.0
ROUND_TIMEOUT = 120.0
ACK_DELAY_NS = 50_000_000
ACK_BATCH = 100
MAX_ACK_IDS = 1000
REGISTRARS = 8
ROUND_SIZE = 500


@dataclass(frozen=True)
class LoadSpec:
    """One measured phase. ``rate`` in messages per second for this worker; None for a closed loop."""

    rate: float | None
    window: int
    size: int
    start_at: float
    warmup: float
    duration: float
    drain_timeout: float


def _shuffle(items: list[BenchClient]) -> None:
    secrets.SystemRandom().shuffle(items)


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


class Worker:
    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.tally = Tally()
        self.dirty: set[BenchClient] = set()
        self.clients: list[BenchClient] = []
        self.to_ack: set[BenchClient] = set()
        self.context: ssl.SSLContext = client_context()

    # ------------------------------------------------------------------ the loop

    def _attach(self, link: BenchLink, owner: BenchClient | None) -> None:
        self.selector.register(link.sock, selectors.EVENT_READ, (link, owner))

    def _detach(self, link: BenchLink) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(link.sock)
        link.close()

    def pump(self, timeout: float) -> None:
        events = self.selector.select(max(0.0, timeout))
        now = time.monotonic_ns()
        for key, mask in events:
            link, owner = key.data
            if mask & selectors.EVENT_READ:
                try:
                    pushes = link.read()
                except LinkClosed as exc:
                    self.tally.errors.append(str(exc))
                    self._detach(link)
                    continue
                if owner is not None and pushes:
                    for push in pushes:
                        owner.receive(push, now)
                    if owner.acks:
                        self.to_ack.add(owner)
            if mask & selectors.EVENT_WRITE and owner is not None:
                self.dirty.add(owner)
        self._send_due_acks(now)
        self.flush()

    def _send_due_acks(self, now: int, force: bool = False) -> None:
        done = []
        for client in self.to_ack:
            if force or len(client.acks) >= ACK_BATCH or now - client.acks_since >= ACK_DELAY_NS:
                client.send_acks(MAX_ACK_IDS)
                done.append(client)
        for client in done:
            self.to_ack.discard(client)

    def flush(self) -> None:
        for client in self.dirty:
            link = client.link
            if link is None or link.closed:
                continue
            try:
                more = link.flush()
            except LinkClosed as exc:
                self.tally.errors.append(str(exc))
                self._detach(link)
                continue
            if more != link.watching_writes:
                events = selectors.EVENT_READ | (selectors.EVENT_WRITE if more else 0)
                self.selector.modify(link.sock, events, (link, client))
                link.watching_writes = more
        self.dirty.clear()

    def run_until(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SetupError(f"{what}: no answer within {timeout:.0f} s")
            self.pump(min(remaining, 0.05))

    def round(
        self, clients: Iterable[BenchClient], make: Callable[[BenchClient], tuple[str, dict[str, Any]]]
    ) -> dict[BenchClient, dict[str, Any]]:
        """One request per client, all in flight together; their replies, or :class:`SetupError`."""
        results: dict[BenchClient, dict[str, Any]] = {}
        failures: list[str] = []
        asked = 0
        op = "?"
        for client in clients:
            op, args = make(client)

            def handler(reply: Reply | ErrorReply, client: BenchClient = client, op: str = op) -> None:
                if isinstance(reply, ErrorReply):
                    failures.append(f"{op} refused: {reply.code} ({reply.message})")
                else:
                    results[client] = reply.body

            client.request(handler, op, **args)
            asked += 1
        self.flush()
        self.run_until(lambda: len(results) + len(failures) >= asked, ROUND_TIMEOUT, op)
        if failures:
            raise SetupError(f"{len(failures)} of {asked} requests failed; the first: {failures[0]}")
        return results

    def chunked_round(
        self, clients: list[BenchClient], make: Callable[[BenchClient], tuple[str, dict[str, Any]]]
    ) -> dict[BenchClient, dict[str, Any]]:
        results: dict[BenchClient, dict[str, Any]] = {}
        for start in range(0, len(clients), ROUND_SIZE):
            results.update(self.round(clients[start : start + ROUND_SIZE], make))
        return results

    # ----------------------------------------------------------------- accounts

    def _make_clients(self, phones: list[str], size: int = 64, lean: bool = False) -> list[BenchClient]:
        if lean:
            return [LeanClient(BenchAccount(phone), self.tally, self.dirty, size) for phone in phones]
        clients = [BenchClient(BenchAccount(phone), self.tally, self.dirty) for phone in phones]
        for client in clients:
            client.size = size
        return clients

    def _connect(self, client: BenchClient, address: Address, *, tls: bool) -> None:
        link = BenchLink.open(address, tls=tls, context=self.context, timeout=CONNECT_TIMEOUT)
        client.link = link
        self._attach(link, client)

    def _register(self, clients: list[BenchClient]) -> None:
        starts = self.chunked_round(
            clients, lambda c: ("register_start", {"phone": c.phone, "email": c.account.email})
        )
        if any("code" not in body for body in starts.values()):
            raise SetupError(
                "the server does not return codes: start it with --dev-codes on a loopback address"
            )
        self.chunked_round(
            clients,
            lambda c: (
                "register_finish",
                {
                    "phone": c.phone,
                    "token": starts[c]["token"],  # base64 as the reply gave it
                    "code": starts[c]["code"],
                    **c.account.registration(),
                },
            ),
        )

    def _login(self, clients: list[BenchClient]) -> None:
        nonces = self.chunked_round(clients, lambda c: ("challenge", {"phone": c.phone}))

        def login(client: BenchClient) -> tuple[str, dict[str, Any]]:
            assert client.link is not None and client.link.fingerprint is not None
            nonce = base64.b64decode(nonces[client]["nonce"])
            signature = sign_login(client.account.identity, nonce, client.phone, client.link.fingerprint)
            return "login", {"phone": client.phone, "signature": signature}

        self.chunked_round(clients, login)

    # ------------------------------------------------------------------ commands

    def setup(self, address: Address, phones: list[str], size: int, lean: bool = False) -> dict[str, Any]:
        """Register and log in one client per phone, then pair them at random and start their sessions.

        With ``lean`` the clients are lean ones (net/bench/lean_client.py): a pair needs no session.
        """
        started = time.monotonic()
        self.clients = self._make_clients(phones, size, lean)
        for client in self.clients:
            self._connect(client, address, tls=True)
        self._register(self.clients)
        self._login(self.clients)
        shuffled = self.clients[:]
        _shuffle(shuffled)
        initiators, responders = shuffled[0::2], shuffled[1::2]
        for a, b in zip(initiators, responders, strict=False):
            a.partner, b.partner = b, a
        if not lean:
            self._start_sessions(initiators[: len(responders)], responders)
        return {"clients": len(self.clients), "pairs": len(responders), "seconds": time.monotonic() - started}

    def _start_sessions(self, initiators: list[BenchClient], responders: list[BenchClient]) -> None:
        """PQXDH from each initiator with its partner's bundle, on a first message each that is then acked."""
        bundles = self.chunked_round(initiators, lambda c: ("get_bundle", {"phone": c.partner.phone}))  # type: ignore[union-attr]
        now = time.monotonic_ns()
        for client in initiators:
            client.start_session(bundles[client]["bundle"])
            client.send_message(now)
        self.flush()
        self.run_until(
            lambda: all(c.can_send for c in responders) and self.tally.settled,
            ROUND_TIMEOUT,
            "first messages",
        )
        self._send_due_acks(0, force=True)
        self.flush()
        self.run_until(
            lambda: all(c.link is None or c.link.waiting == 0 for c in self.clients), ROUND_TIMEOUT, "acks"
        )
        tally, self.tally = self.tally, Tally()
        if tally.errors or tally.undecryptable or tally.duplicated:
            raise SetupError(f"starting the sessions went wrong: {tally.errors[:1]}")

    def setup_devices(self, address: Address, phones: list[str], size: int, devices: int) -> dict[str, Any]:
        """As :meth:`setup`, each person with ``devices`` linked devices (net/bench/device_setup.py)."""
        started = time.monotonic()
        self.clients = list(setup_devices(self, address, phones, size, devices, ROUND_TIMEOUT))
        return {"clients": len(phones), "devices": len(self.clients), "seconds": time.monotonic() - started}

    def connect_client(self, client: BenchClient, address: Address) -> None:
        """A TLS connection of its own for ``client``."""
        self._connect(client, address, tls=True)

    def register_and_login(self, clients: list[BenchClient]) -> None:
        self._register(clients)
        self._login(clients)

    def acknowledge_all(self, clients: Iterable[BenchClient], timeout: float) -> None:
        """Acknowledge everything that has arrived; wait until the server has answered every request."""
        self._send_due_acks(0, force=True)
        self.flush()
        waiting = list(clients)
        self.run_until(lambda: all(c.link is None or c.link.waiting == 0 for c in waiting), timeout, "acks")

    def switch(self, address: Address) -> dict[str, Any]:
        """Move every client to the plain relay at ``address``; the sessions carry on."""
        for client in self.clients:
            if client.link is not None:
                self._detach(client.link)
            self._connect(client, address, tls=False)
            client.seen_ids.clear()
        self.chunked_round(self.clients, lambda c: ("login", {"phone": c.phone}))
        return {"clients": len(self.clients)}

    def load(self, spec: LoadSpec) -> dict[str, Any]:
        tally = self.tally = Tally(
            window_start=_ns(spec.start_at + spec.warmup),
            window_end=_ns(spec.start_at + spec.warmup + spec.duration),
        )
        for client in self.clients:
            client.tally = tally
        senders = [c for c in self.clients if c.can_send and c.link is not None]
        if not senders:
            raise SetupError("no client is connected with a session to send on")
        _shuffle(senders)
        end_send = spec.start_at + spec.warmup + spec.duration
        while time.monotonic() < spec.start_at:
            self.pump(min(0.05, spec.start_at - time.monotonic()))
        cpu = _CpuWindow(spec.start_at + spec.warmup, end_send)
        lag = 0.0
        if spec.rate is None:

            def refill(sender: BenchClient) -> None:
                if time.monotonic() < end_send:
                    sender.send_message(time.monotonic_ns())

            tally.on_delivered = refill
            now_ns = time.monotonic_ns()
            for client in senders:
                for _ in range(spec.window):
                    client.send_message(now_ns)
            self.flush()
            while (now := time.monotonic()) < end_send:
                cpu.observe(now)
                self.pump(min(0.05, end_send - now))
        else:
            interval = 1.0 / spec.rate
            due = spec.start_at
            turn = 0
            while (now := time.monotonic()) < end_send:
                cpu.observe(now)
                if due <= now:
                    lag = max(lag, now - due)
                    while due <= now and due < end_send:
                        senders[turn % len(senders)].send_message(_ns(due))
                        turn += 1
                        due += interval
                    self.flush()
                self.pump(max(0.0, min(due, end_send) - time.monotonic()))
        cpu.observe(time.monotonic())
        tally.on_delivered = None
        drained = self._drain(spec.drain_timeout)
        return {
            "sent": tally.sent,
            "accepted": tally.accepted,
            "refused": tally.refused,
            "received": tally.received,
            "duplicated": tally.duplicated,
            "undecryptable": tally.undecryptable,
            "lost": max(0, tally.accepted - tally.received, tally.copies_accepted - tally.copies_received),
            "delivered_in_window": tally.delivered_in_window,
            "copies_accepted": tally.copies_accepted,
            "copies_received": tally.copies_received,
            "copies_in_window": tally.copies_in_window,
            "latencies": array("d", tally.latencies_ms).tobytes(),
            "cpu_seconds": cpu.seconds,
            "lag_seconds": lag,
            "drained": drained,
            "errors": tally.errors[:5],
        }

    def _drain(self, timeout: float) -> bool:
        """Wait for the messages still under way, then for the acknowledgements; False on timeout."""
        deadline = time.monotonic() + timeout
        tally = self.tally
        while not tally.settled and time.monotonic() < deadline:
            self.pump(0.05)
        self._send_due_acks(0, force=True)
        self.flush()
        while (
            any(c.link is not None and c.link.waiting for c in self.clients) and time.monotonic() < deadline
        ):
            self.pump(0.05)
        return tally.settled

    # ------------------------------------------------------------ idle connections

    def register(self, address: Address, phones: list[str]) -> dict[str, Any]:
        """Register accounts over a few shared connections, so that they cost the server nothing later."""
        started = time.monotonic()
        self.clients = self._make_clients(phones)
        registrars = []
        for _ in range(min(REGISTRARS, len(self.clients))):
            link = BenchLink.open(address, tls=True, context=self.context, timeout=CONNECT_TIMEOUT)
            self._attach(link, None)
            registrars.append(link)
        for i, client in enumerate(self.clients):
            client.link = registrars[i % len(registrars)]
        self._register(self.clients)
        for link in registrars:
            self._detach(link)
        for client in self.clients:
            client.link = None
        return {"accounts": len(self.clients), "seconds": time.monotonic() - started}

    def connect(self, address: Address) -> dict[str, Any]:
        """Open one TLS connection per registered account and log each in; they stay open and quiet."""
        started = time.monotonic()
        for client in self.clients:
            self._connect(client, address, tls=True)
        self._login(self.clients)
        return {"connections": len(self.clients), "seconds": time.monotonic() - started}

    def pings(self, duration: float, limit: int) -> dict[str, Any]:
        """Keepalive round trips, one at a time, each on a connection picked at random."""
        rtts: list[float] = []
        live = [c for c in self.clients if c.link is not None and not c.link.closed]
        if not live:
            raise SetupError("no connection is open")
        end = time.monotonic() + duration
        while time.monotonic() < end and len(rtts) < limit:
            rtts.append(self._ping(secrets.choice(live)))
        return {"latencies": array("d", rtts).tobytes(), "errors": self.tally.errors[:5]}

    def _ping(self, client: BenchClient) -> float:
        """One keepalive round trip on ``client``, in milliseconds."""
        answered: list[float] = []
        started = time.monotonic()
        client.request(lambda _reply: answered.append(time.monotonic()), "ping")
        self.flush()
        self.run_until(lambda: bool(answered), ROUND_TIMEOUT, "ping")
        return (answered[0] - started) * 1000

    def close(self) -> None:
        for client in self.clients:
            if client.link is not None:
                self._detach(client.link)
        self.selector.close()


class _CpuWindow:
    """This process's CPU time between two moments of the monotonic clock."""

    def __init__(self, start: float, end: float) -> None:
        self._start, self._end = start, end
        self._at_start: float | None = None
        self.seconds = 0.0

    def observe(self, now: float) -> None:
        if self._at_start is None and now >= self._start:
            self._at_start = time.process_time()
        elif self._at_start is not None and now >= self._end and not self.seconds:
            self.seconds = time.process_time() - self._at_start


def serve(pipe: Pipe) -> None:
    """A worker process's main: run commands from the runner until ``stop``.

    Ctrl+C is left to the runner, which stops its workers itself; any failure of a
    command goes back to it as one sentence (the bench holds no secrets to hide).
    """
    serve_commands(pipe, Worker())


def serve_commands(pipe: Pipe, worker: Any) -> None:
    """Run ``worker``'s commands from ``pipe`` until ``stop``, then close it (any worker of the bench)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        while True:
            command, args = pipe.recv()
            if command == "stop":
                return
            try:
                pipe.send(("ok", getattr(worker, command)(**args)))
            except Exception as exc:
                pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        worker.close()
