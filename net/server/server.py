"""The Parley server: socketserver accepts, one event loop serves every connection over TLS 1.3.

:class:`ParleyServer` is a ``socketserver.TCPServer`` for what socketserver does
well: binding, address reuse, the listen backlog, accepting. Its
``process_request`` does not start a thread; it hands the accepted socket to the
:class:`~net.server.loop.ServerLoop`, and the listening socket sits in that
loop's own selector, so accepting costs neither a thread nor a hand-over between
threads. (``serve_forever`` is not used: it would be a second loop.) The loop
does TLS handshakes, reads, the sans-IO protocol, the service and the writes for
every connection in one thread, and commits the store once per turn; see
``net/bench/PERFORMANCE.md`` for why one loop replaced a thread per connection.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from net.protocol.fingerprints import format_fingerprint
from net.server.addresses import ProxySources, is_loopback
from net.server.bus import Bus, NoBus, channel_key
from net.server.cluster_presence import SWEEP_INTERVAL, ClusterPresence
from net.server.codes import CodeHasher, check_code_key, load_or_make_code_key
from net.server.limits import Limits
from net.server.link_bus import LinkBus
from net.server.loop import COMMIT_WAIT, ServerLoop
from net.server.service import Service
from net.server.tls import ensure_self_signed, fingerprint_of_pem_file, server_context
from net.server.verification import CodeChannel
from storage.server.open_store import STORE_FILE as STORE_FILE
from storage.server.open_store import open_store
from storage.server.space_guard import DEFAULT_RESERVE

log = logging.getLogger("parley.server")

DEFAULT_PORT = 5000

PRUNE_INTERVAL = 3600.0
BLOB_SWEEP_INTERVAL = 60.0  # seconds between looks for dead blobs (expired, idle, deleted)
BLOB_SWEEP_BATCH = 100  # dead blobs removed per transaction, so a backlog never holds the store for long
EXPIRY_SWEEP_INTERVAL = BLOB_SWEEP_INTERVAL  # seconds between looks for expired queued messages
EXPIRY_SWEEP_BATCH = 500  # expired messages deleted per transaction: about 3 ms, its synced commit included
STOP_TIMEOUT = 10.0  # how long stop() waits for the loop to close its connections
ACCEPT_BATCH = 64  # connections accepted per turn of the loop, so a burst of them cannot starve the rest


class ParleyServer(socketserver.TCPServer):
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], loop: ServerLoop) -> None:
        self.loop = loop
        super().__init__(address, socketserver.BaseRequestHandler)
        self.socket.setblocking(False)
        loop.watch_listener(self.socket, self.accept_waiting)

    def accept_waiting(self) -> None:
        """Accept the connections waiting in the backlog (called by the loop when the listener is ready)."""
        for _ in range(ACCEPT_BATCH):
            try:
                request, client_address = self.get_request()
            except (BlockingIOError, InterruptedError):
                return
            if self.verify_request(request, client_address):
                self.process_request(request, client_address)
            else:
                self.shutdown_request(request)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.loop.adopt(request, client_address)

    def connection_count(self) -> int:
        return self.loop.connection_count()


def default_node() -> str:
    """A node's name when ``--node`` gives none: the machine's and the process's."""
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class ServerConfig:
    data_dir: Path
    channel: CodeChannel
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    cert: Path | None = None
    key: Path | None = None
    dev_codes: bool = False
    limits: Limits = field(default_factory=Limits)
    synchronous: str = "FULL"
    max_store_bytes: int | None = None  # a quota for the database file; past it, writes get storage_full
    space_reserve: int = DEFAULT_RESERVE  # bytes kept in reserve for fetch and ack on a full disk
    blob_sweep_interval: float = BLOB_SWEEP_INTERVAL
    expiry_sweep_interval: float = EXPIRY_SWEEP_INTERVAL
    clock: Callable[[], float] = time.time  # the service's wall clock (tests move it to expire things)
    store: str | None = None  # a postgresql:// url: the store several servers share; None: SQLite in data_dir
    proxy_from: tuple[str, ...] = ()  # addresses and networks whose connections start with a PROXY v2 header
    bus: str | None = None  # redis://HOST:PORT/0: the wake-ups between nodes sharing one store
    sweep: float = SWEEP_INTERVAL  # seconds between a node's reads of its devices' queues (with a bus)
    node: str = field(default_factory=default_node)  # this node's name in logs and hints
    commit_wait: float = COMMIT_WAIT  # seconds a turn with a write to sync may wait for more to share it


class RunningServer:
    """A started server: its address and fingerprint, and :meth:`stop`."""

    def __init__(self, config: ServerConfig) -> None:
        if config.dev_codes and not is_loopback(config.host):
            raise ValueError("--dev-codes returns codes to whoever asks; it runs only on a loopback address")
        # Owner only: the database holds phone numbers and e-mail addresses.
        config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        proxies = ProxySources(config.proxy_from)  # ValueError in words for a bad entry
        if (config.cert is None) != (config.key is None):
            raise ValueError("--cert and --key go together")
        if config.cert is not None and config.key is not None:
            cert, key = config.cert, config.key
        else:
            cert, key = ensure_self_signed(config.data_dir)
        context = server_context(cert, key)
        self.fingerprint = fingerprint_of_pem_file(cert)
        code_key = load_or_make_code_key(config.data_dir)  # before the store: nothing to close if it fails
        self.channel_key = channel_key(code_key)  # names device and account channels on the bus
        self.store = open_store(
            config.store,
            config.data_dir,
            synchronous=config.synchronous,
            max_bytes=config.max_store_bytes,
            reserve=config.space_reserve,
        )
        self.node = config.node
        # What hints name as their sender: the name and a random instance id, so two nodes given the same
        # name (or one restarted while its old hints are in flight) still hear each other.
        self.instance = f"{config.node}#{secrets.token_hex(6)}"
        self.bus: Bus = NoBus()
        if config.bus is not None:  # the Redis client is imported only by a node that joins a bus
            from net.server.redis_bus import RedisBus

            self.bus = RedisBus(config.bus, self.instance)
        presence = None
        if config.bus is not None:
            presence = ClusterPresence(
                self.bus,
                self.instance,
                self.store,
                lambda: int(config.clock() * 1000),
                time.monotonic,
                config.sweep,
                self.channel_key,
            )
        try:
            hasher = CodeHasher(code_key)
            if config.store is not None:  # a code made on one node is checked on another
                check_code_key(self.store, hasher)
            self.service = Service(
                self.store,
                config.channel,
                hasher,
                self.fingerprint,
                limits=config.limits,
                dev_codes=config.dev_codes,
                clock=config.clock,
                shared=config.store is not None,  # other nodes may count limits in it too
                presence=presence,
            )
            if presence is not None:
                LinkBus(presence, self.service.links)  # links whose two ends are on different nodes
            self.loop = ServerLoop(
                self.service,
                self.store,
                context,
                config.limits,
                proxies=proxies,
                commit_wait=config.commit_wait,
            )
            try:
                self.server = ParleyServer((config.host, config.port), self.loop)
            except BaseException:
                self.loop.close()
                raise
            if presence is not None:
                self._join_bus(presence)
        except BaseException:
            self.bus.close()
            self.store.close()
            raise
        self.address: tuple[str, int] = self.server.server_address[:2]  # type: ignore[assignment]
        self._stopping = threading.Event()
        self._serving = threading.Thread(target=self.loop.run, name="server-loop", daemon=True)
        self._pruning = threading.Thread(target=self._prune_now_and_then, name="store-prune", daemon=True)
        self._blob_sweep_interval = config.blob_sweep_interval
        self._sweeping = threading.Thread(target=self._sweep_blobs, name="blob-sweep", daemon=True)
        self._expiry_sweep_interval = config.expiry_sweep_interval
        self._expiring = threading.Thread(target=self._sweep_expired, name="expiry-sweep", daemon=True)
        self._serving.start()
        self._pruning.start()
        self._sweeping.start()
        self._expiring.start()

    def _join_bus(self, presence: ClusterPresence) -> None:
        loop, node = self.loop, self.node

        def deliver(payload: bytes) -> None:  # the bus's thread: the hint is acted on in the loop's
            loop.call_soon_threadsafe(lambda: presence.receive(payload))

        def resync() -> None:  # the bus came back: what it lost is read from the store, claims told again
            def on_the_loop() -> None:
                log.info("node %s: reading %d queues", node, presence.catch_up())
                presence.claim_again()

            loop.call_soon_threadsafe(on_the_loop)

        self.bus.start(deliver, resync)
        log.info("node %s: on the bus", self.node)

    @property
    def fingerprint_text(self) -> str:
        return format_fingerprint(self.fingerprint)

    def _prune_now_and_then(self) -> None:
        while True:
            try:
                self.store.prune(self.service.now_ms())
            except Exception as exc:
                log.warning("pruning the store failed: %s", type(exc).__name__)
            if self._stopping.wait(PRUNE_INTERVAL):
                return

    def _sweep_blobs(self) -> None:
        """The server's own timer for dead blobs: their files and rows go, a bounded batch at a time."""
        while not self._stopping.wait(self._blob_sweep_interval):
            try:
                # A full batch means more may be due: the next at once (each its own short transaction).
                swept = BLOB_SWEEP_BATCH
                while swept == BLOB_SWEEP_BATCH and not self._stopping.is_set():
                    swept = self.store.sweep_blobs(self.service.now_ms(), BLOB_SWEEP_BATCH)
            except Exception as exc:
                log.warning("removing dead blobs failed: %s", type(exc).__name__)

    def _sweep_expired(self) -> None:
        """The server's timer for expired queued messages: deleted off the loop, a bounded batch at a time."""
        while not self._stopping.wait(self._expiry_sweep_interval):
            try:
                # Each batch is a short transaction of its own, so the loop's group commits wait at
                # most one batch; a full batch means more may be due, and the next follows at once.
                swept = EXPIRY_SWEEP_BATCH
                while swept == EXPIRY_SWEEP_BATCH and not self._stopping.is_set():
                    swept = self.store.sweep_expired(self.service.now_ms(), EXPIRY_SWEEP_BATCH)
            except Exception as exc:
                log.warning("deleting expired messages failed: %s", type(exc).__name__)

    def stop(self) -> None:
        """Stop accepting, close every connection, then close the store (after its last commit)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self.loop.stop()
        self._serving.join(STOP_TIMEOUT)
        if self._serving.is_alive():
            log.error("the server loop did not stop within %.0f s; closing the store anyway", STOP_TIMEOUT)
        self.server.server_close()
        self.bus.close()
        self._pruning.join()
        self._sweeping.join()
        self._expiring.join()
        self.store.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
