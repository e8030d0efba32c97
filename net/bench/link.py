"""One non-blocking connection that speaks the wire protocol: TLS to Parley, plain TCP to the relay.

Requests are written into a buffer and flushed by the owner's loop, so many
frames for one connection leave in one TLS record batch; replies are matched to
the handler given with their request; pushes are handed back to the caller.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Callable
from typing import Any

from net.client.transport import client_context
from net.protocol.connection import NEED_DATA, Connection, ConnectionClosed, ErrorReply, Push, Reply, Role
from net.protocol.fingerprints import fingerprint_of_der

Address = tuple[str, int]
ReplyHandler = Callable[[Reply | ErrorReply], None]
RECV_SIZE = 256 * 1024
_WOULD_BLOCK = (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError, InterruptedError)


class LinkClosed(Exception):
    """The server closed the connection, or it broke."""


class BenchLink:
    __slots__ = ("sock", "fingerprint", "protocol", "out", "closed", "watching_writes", "_handlers")

    def __init__(self, sock: socket.socket, fingerprint: bytes | None) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.fingerprint = fingerprint
        self.protocol = Connection(Role.CLIENT)
        self.out = bytearray()
        self.closed = False
        self.watching_writes = False
        self._handlers: dict[int, ReplyHandler] = {}

    @classmethod
    def open(
        cls, address: Address, *, tls: bool, context: ssl.SSLContext | None, timeout: float
    ) -> BenchLink:
        raw = socket.create_connection(address, timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not tls:
            return cls(raw, None)
        try:
            sock = (context or client_context()).wrap_socket(raw)
        except BaseException:
            raw.close()
            raise
        der = sock.getpeercert(binary_form=True)
        assert der is not None  # TLS 1.3 always shows the server's certificate
        return cls(sock, fingerprint_of_der(der))

    def fileno(self) -> int:
        return self.sock.fileno()

    @property
    def waiting(self) -> int:
        """Requests written and not yet answered."""
        return len(self._handlers)

    def request(self, handler: ReplyHandler, op: str, **args: Any) -> None:
        request_id, data = self.protocol.request(op, **args)
        self._handlers[request_id] = handler
        self.out += data

    def read(self) -> list[Push]:
        """Take whatever has arrived: answer handlers, return pushes. :class:`LinkClosed` at the end."""
        ended = False
        while True:
            try:
                data = self.sock.recv(RECV_SIZE)
            except _WOULD_BLOCK:
                break
            except OSError:
                data = b""
            self.protocol.receive_data(data)
            if not data:
                ended = True
                break
        pushes: list[Push] = []
        while True:
            event = self.protocol.next_event()
            if event is NEED_DATA:
                break
            if isinstance(event, Push):
                pushes.append(event)
            elif isinstance(event, Reply | ErrorReply):
                handler = self._handlers.pop(event.re, None) if event.re is not None else None
                if handler is None:
                    raise LinkClosed(f"the server refused a frame: {getattr(event, 'code', '?')}")
                handler(event)
            elif isinstance(event, ConnectionClosed):
                ended = True
                break
        if ended:
            self.closed = True
            if pushes:
                return pushes
            raise LinkClosed("the server closed the connection")
        return pushes

    def flush(self) -> bool:
        """Write what the socket takes now; True while bytes remain."""
        if self.out and not self.closed:
            try:
                sent = self.sock.send(self.out)
                del self.out[:sent]
            except _WOULD_BLOCK:
                pass
            except OSError as exc:
                self.closed = True
                raise LinkClosed("the connection broke") from exc
        return bool(self.out)

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.close()
