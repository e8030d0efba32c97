"""A connection from a load balancer before its TLS starts: reading its PROXY protocol v2 header.

The loop keeps one :class:`HeaderWait` per connection from a ``--proxy-from``
address until the header is whole. It reads exactly the bytes the header still
lacks (:attr:`~net.server.proxy_header.ProxyHeaderReader.wanted`), so the TLS
ClientHello behind it stays in the socket for the handshake. The wait has the
handshake's deadline: header and handshake together get ``handshake_timeout``.
"""

from __future__ import annotations

import contextlib
import socket

from net.server.proxy_header import BadProxyHeader, ProxyHeader, ProxyHeaderReader

__all__ = ["BadProxyHeader", "HeaderWait"]


class HeaderWait:
    __slots__ = ("sock", "peer", "reader", "opened_at", "wake_at", "closed")

    def __init__(self, sock: socket.socket, peer: str, now: float) -> None:
        self.sock = sock
        self.peer = peer  # the balancer's own address, for logs
        self.reader = ProxyHeaderReader()
        self.opened_at = now
        self.wake_at = 0.0  # the loop's timer (net/server/timers.py)
        self.closed = False  # the wait is over: the header came, or the socket was closed

    def __repr__(self) -> str:
        return f"HeaderWait(peer={self.peer!r})"

    def read(self) -> ProxyHeader | None:
        """Read what the socket has of the header; the header once whole.

        Raises :class:`BadProxyHeader` for bytes that are not one, and for a connection that
        ended before it was whole (in words either way).
        """
        try:
            data = self.sock.recv(self.reader.wanted)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:
            failure = type(exc).__name__
            raise BadProxyHeader(f"the connection failed before its PROXY header ({failure})") from None
        if not data:
            raise BadProxyHeader("the connection ended before its PROXY header was whole")
        return self.reader.receive(data)

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.close()
