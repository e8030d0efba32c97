"""The Parley server: socketserver threads, TLS 1.3 per connection, the sans-IO protocol inside.

One handler thread per connection and no other per-connection thread. A
connection's socket is non-blocking and every TLS read or write on it happens
under that connection's lock, because OpenSSL does not allow one TLS object to
be used by two threads at once and pushes arrive from other connections' threads.
The handler waits for input with ``poll`` outside the lock, so a push is never
held up by a quiet reader.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import select
import socket
import socketserver
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from net.codes import CodeHasher, load_or_make_code_key
from net.errors import ErrorCode, LocalProtocolError, RemoteProtocolError, RequestRefused
from net.limits import Limits
from net.protocol import NEED_DATA, Connection, ConnectionClosed, ErrorReply, Push, Reply, Request, Role
from net.protocol import error_reply as make_error_reply
from net.service import Service
from net.tls import ensure_self_signed, fingerprint_of_pem_file, format_fingerprint, server_context
from net.verification import CodeChannel
from storage.server_store import ServerStore

log = logging.getLogger("parley.server")

DEFAULT_PORT = 5000
STORE_FILE = "server.sqlite3"
RECV_SIZE = 16 * 1024
THREAD_STACK_SIZE = 512 * 1024
PRUNE_INTERVAL = 3600.0
SHUTDOWN_POLL = 0.1  # how often the accept loop looks for a stop request; bounds how long stop() takes
_WAIT_ERRORS = (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError, InterruptedError)


class ConnectionGone(Exception):
    """The peer went away or stopped reading; the handler just ends."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ClientSession:
    """One TLS connection as the service sees it: push from any thread, end from any thread."""

    def __init__(self, sock: ssl.SSLSocket, peer: str, protocol: Connection, write_timeout: float) -> None:
        self.sock = sock
        self.peer = peer
        self.protocol = protocol
        self.phone: str | None = None
        self.challenge: tuple[str, bytes] | None = None
        self._write_timeout = write_timeout
        self._lock = threading.Lock()
        self._gone = False

    def __repr__(self) -> str:
        return f"ClientSession(peer={self.peer!r})"

    # Pushes and replies share this path, so frames never interleave.
    def write(self, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + self._write_timeout
        with self._lock:
            while view:
                if self._gone:
                    raise ConnectionGone
                try:
                    sent = self.sock.send(view)
                    view = view[sent:]
                    continue
                except _WAIT_ERRORS:
                    pass
                except OSError:
                    self._gone = True
                    raise ConnectionGone from None
                if not _wait(self.sock, select.POLLOUT, deadline - time.monotonic()):
                    self._gone = True
                    raise ConnectionGone

    def read(self) -> bytes | None:
        """Bytes from TLS, ``b""`` at end of stream, None when nothing is ready."""
        with self._lock:
            if self._gone:
                return b""
            try:
                return self.sock.recv(RECV_SIZE)
            except _WAIT_ERRORS:
                return None
            except (ssl.SSLError, OSError):
                self._gone = True
                return b""

    def push(self, kind: str, body: dict[str, Any]) -> bool:
        try:
            data = self.protocol.send(Push(kind, body))
        except LocalProtocolError:  # larger than this server's frames: it stays queued for a fetch
            return False
        try:
            self.write(data)
            return True
        except ConnectionGone:
            self.end()
            return False

    def end(self) -> None:
        self._gone = True
        # The plain socket's shutdown wakes the handler's poll without touching the TLS state.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)

    def close(self) -> None:
        """Release the socket; only the handler calls this, once it has stopped reading."""
        self.end()
        with self._lock:
            self.sock.close()


def _wait(sock: socket.socket, events: int, timeout: float) -> bool:
    if timeout <= 0:
        return False
    poller = select.poll()
    poller.register(sock, events)
    return bool(poller.poll(int(timeout * 1000) + 1))


class _Handler(socketserver.BaseRequestHandler):
    server: ParleyServer

    def handle(self) -> None:
        raw: socket.socket = self.request
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        try:
            sock = self._handshake(raw)
        except (ssl.SSLError, OSError, ConnectionGone) as exc:
            log.info("%s: TLS handshake failed (%s)", peer, type(exc).__name__)
            return
        limits = self.server.limits
        session = ClientSession(sock, peer, Connection(Role.SERVER, limits.max_frame), limits.write_timeout)
        self.server.track(session, True)
        log.info("%s: connected", peer)
        try:
            self._serve(session)
        except ConnectionGone:
            pass
        finally:
            self.server.service.session_ended(session)
            self.server.track(session, False)
            session.close()  # the TLS socket owns the descriptor now; socketserver's close cannot reach it
            log.info("%s: disconnected", peer)

    def _handshake(self, raw: socket.socket) -> ssl.SSLSocket:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = self.server.context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
        sock.setblocking(False)
        deadline = time.monotonic() + self.server.limits.handshake_timeout
        try:
            while True:
                try:
                    sock.do_handshake()
                    return sock
                except ssl.SSLWantReadError:
                    ready = _wait(sock, select.POLLIN, deadline - time.monotonic())
                except ssl.SSLWantWriteError:
                    ready = _wait(sock, select.POLLOUT, deadline - time.monotonic())
                if not ready:
                    raise ConnectionGone
        except BaseException:
            sock.close()  # the wrapper owns the descriptor now
            raise

    def _serve(self, session: ClientSession) -> None:
        protocol = session.protocol
        idle = self.server.limits.idle_timeout
        while True:
            data = session.read()
            if data is None:
                if not _wait(session.sock, select.POLLIN, idle):
                    log.info("%s: idle for %.0f s, closing", session.peer, idle)
                    return
                continue
            protocol.receive_data(data)
            while True:
                try:
                    event = protocol.next_event()
                except RemoteProtocolError as exc:
                    log.info("%s: refused a frame: %s", session.peer, exc.code)
                    session.write(protocol.send(make_error_reply(exc)))
                    if exc.fatal:
                        return
                    continue
                if event is NEED_DATA:
                    break
                if isinstance(event, ConnectionClosed):
                    return
                assert isinstance(event, Request)
                if not self._answer(session, event):
                    return

    def _answer(self, session: ClientSession, request: Request) -> bool:
        """Handle one request and write its reply; False when the connection should close."""
        service = self.server.service
        try:
            outcome = service.handle(session, request)
        except RequestRefused as refused:
            log.info("%s: %s refused: %s", session.peer, request.op, refused.code)
            session.write(session.protocol.send(ErrorReply(request.id, refused.code, refused.message)))
            return True
        except Exception as exc:  # a bug or a failing disk must cost this request, not the server
            log.error("%s: %s failed: %s", session.peer, request.op, type(exc).__name__)
            log.debug("details", exc_info=True)
            message = "the server could not complete this request"
            session.write(session.protocol.send(ErrorReply(request.id, ErrorCode.SERVER_ERROR, message)))
            return True
        try:
            session.write(session.protocol.send(Reply(request.id, outcome.body)))
        except LocalProtocolError as exc:  # a reply larger than a frame: say so instead
            session.write(session.protocol.send(ErrorReply(request.id, exc.code, exc.message)))
        if outcome.then is not None:
            outcome.then()
        return not outcome.close


class ParleyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 1024

    def __init__(
        self, address: tuple[str, int], service: Service, context: ssl.SSLContext, limits: Limits
    ) -> None:
        threading.stack_size(THREAD_STACK_SIZE)
        self.service = service
        self.context = context
        self.limits = limits
        self._sessions: set[ClientSession] = set()
        self._sessions_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver would print a traceback to stderr; one log line, without data, is enough.
        error = sys.exc_info()[1]
        log.error("%s: the connection failed: %s", client_address[0], type(error).__name__)
        log.debug("details", exc_info=True)

    def track(self, session: ClientSession, alive: bool) -> None:
        with self._sessions_lock:
            if alive:
                self._sessions.add(session)
            else:
                self._sessions.discard(session)

    def connection_count(self) -> int:
        with self._sessions_lock:
            return len(self._sessions)

    def end_all(self) -> None:
        with self._sessions_lock:
            sessions = list(self._sessions)
        for session in sessions:
            session.end()


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


class RunningServer:
    """A started server: its address and fingerprint, and :meth:`stop`."""

    def __init__(self, config: ServerConfig) -> None:
        if config.dev_codes and not is_loopback(config.host):
            raise ValueError("--dev-codes returns codes to whoever asks; it runs only on a loopback address")
        # Owner only: the database holds phone numbers and e-mail addresses.
        config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if (config.cert is None) != (config.key is None):
            raise ValueError("--cert and --key go together")
        if config.cert is not None and config.key is not None:
            cert, key = config.cert, config.key
        else:
            cert, key = ensure_self_signed(config.data_dir)
        context = server_context(cert, key)
        self.fingerprint = fingerprint_of_pem_file(cert)
        self.store = ServerStore(config.data_dir / STORE_FILE, synchronous=config.synchronous)
        try:
            hasher = CodeHasher(load_or_make_code_key(config.data_dir))
            self.service = Service(
                self.store,
                config.channel,
                hasher,
                self.fingerprint,
                limits=config.limits,
                dev_codes=config.dev_codes,
            )
            self.server = ParleyServer((config.host, config.port), self.service, context, config.limits)
        except BaseException:
            self.store.close()
            raise
        self.address: tuple[str, int] = self.server.server_address[:2]  # type: ignore[assignment]
        self._stopping = threading.Event()
        self._serving = threading.Thread(
            target=self.server.serve_forever, args=(SHUTDOWN_POLL,), name="server-accept", daemon=True
        )
        self._pruning = threading.Thread(target=self._prune_now_and_then, name="store-prune", daemon=True)
        self._serving.start()
        self._pruning.start()

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

    def stop(self) -> None:
        """Stop accepting, close every connection, then close the store (after its last commit)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.server.end_all()
        self._serving.join()
        self._pruning.join()
        self.store.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_server(config: ServerConfig) -> RunningServer:
    return RunningServer(config)
