"""Connections from a load balancer before their TLS starts: reading their PROXY protocol v2 headers.

The loop's :class:`HeaderWaits` keeps one :class:`HeaderWait` per connection from a
``--proxy-from`` address until its header is whole, on the loop's own selector and
timer; then the connection starts TLS as the client the header names. It reads exactly
the bytes the header still lacks (:attr:`~net.server.proxy_header.ProxyHeaderReader.wanted`), so the TLS
ClientHello behind it stays in the socket for the handshake. The wait has the
handshake's deadline: header and handshake together get ``handshake_timeout``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import selectors
import socket
from collections.abc import Callable

from net.server.proxy_header import BadProxyHeader, Local, ProxyHeader, ProxyHeaderReader
from net.server.timers import Deadlines

log = logging.getLogger("parley.server")
StartTls = Callable[[socket.socket, str, float], None]  # the socket, the client's host:port, when accepted


class EndedQuietly(Exception):
    """The connection closed before its first byte: a balancer's plain TCP health check, logged at DEBUG."""


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
        ended before it was whole (in words either way); :class:`EndedQuietly` for one that ended
        before its first byte (HAProxy's plain ``check`` does that every few seconds).
        """
        try:
            data = self.sock.recv(self.reader.wanted)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:
            failure = type(exc).__name__
            raise BadProxyHeader(f"the connection failed before its PROXY header ({failure})") from None
        if not data:
            if not self.reader.received:
                raise EndedQuietly()  # a plain TCP health check: connected, and closed without a byte
            raise BadProxyHeader("the connection ended before its PROXY header was whole")
        return self.reader.receive(data)

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.close()


class HeaderWaits:
    """The loop's connections waiting for their headers; only the loop's thread calls these."""

    def __init__(
        self, selector: selectors.BaseSelector, deadlines: Deadlines, timeout: float, start_tls: StartTls
    ) -> None:
        self._selector = selector
        self._deadlines = deadlines
        self._timeout = timeout  # the handshake's: the header and the handshake together get it
        self._start_tls = start_tls
        self._waits: set[HeaderWait] = set()

    def begin(self, raw: socket.socket, peer: str, now: float) -> None:
        """Wait for the header of ``raw`` (non-blocking, accepted at ``now`` from the balancer ``peer``)."""
        wait = HeaderWait(raw, peer, now)
        self._waits.add(wait)
        self._selector.register(raw, selectors.EVENT_READ, functools.partial(self._read, wait))
        self._deadlines.schedule(wait, now + self._timeout)

    def _read(self, wait: HeaderWait) -> None:
        try:
            header = wait.read()
        except BadProxyHeader as exc:
            self._end(wait, f"refused: {exc}")
            return
        except EndedQuietly:
            self._end(wait, None)
            log.debug("%s: closed before a byte of its PROXY header (a health check)", wait.peer)
            return
        if header is None:
            return
        if isinstance(header, Local):  # the balancer's health check: nothing to serve, nothing to log
            self._end(wait, None)
            return
        self._selector.unregister(wait.sock)
        self._waits.discard(wait)
        wait.closed = True  # the wait is over; the socket lives on in the connection
        self._start_tls(wait.sock, f"{header.host}:{header.port}", wait.opened_at)

    def expired(self, wait: HeaderWait) -> None:
        """The wait's deadline came (the loop's timer says so) before its header did."""
        self._end(wait, "no PROXY header within the handshake timeout")

    def _end(self, wait: HeaderWait, reason: str | None) -> None:
        if wait.closed:
            return
        self._selector.unregister(wait.sock)
        self._waits.discard(wait)
        wait.close()
        if reason:
            log.info("%s: %s", wait.peer, reason)

    def close(self) -> None:
        for wait in list(self._waits):
            self._end(wait, None)
