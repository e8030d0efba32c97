"""One client connection of the server's event loop: its TLS socket, protocol state and output buffer.

Only the loop's thread touches the socket and the TLS object (OpenSSL allows one
thread per TLS object). The service sees a connection as a
:class:`~net.server.presence.Session`: :meth:`PeerConnection.push` and
:meth:`PeerConnection.end` may be called from any thread; off the loop's thread
they are handed to the loop.

Output is buffered and written when the socket can take it. The buffer is
bounded twice: past :attr:`OutputLimits.pause` the loop stops handling this
client's requests until it reads (its own replies cannot pile up), and past
:attr:`OutputLimits.close` (only pushes from other people can get it there) the
connection is closed: a client that stops reading costs bounded memory and
never holds up anyone else. Its messages stay queued for its next login.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from net.protocol.connection import Connection, Message, Push, Role
from net.protocol.errors import LocalProtocolError
from net.server.limits import Limits

RECV_SIZE = 64 * 1024
WRITE_CHUNK = 256 * 1024
_READ_WRITE = selectors.EVENT_READ | selectors.EVENT_WRITE
_WAIT_ERRORS = (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError, InterruptedError)


class PeerLost(Exception):
    """The peer went away, or TLS failed; the loop drops the connection."""


@dataclass(frozen=True)
class OutputLimits:
    pause: int
    close: int

    @classmethod
    def for_frames(cls, max_frame: int) -> OutputLimits:
        # A reply may be a whole frame, so the pause mark leaves room for one and the close mark for a few.
        return cls(pause=max(256 * 1024, max_frame), close=4 * max(1024 * 1024, max_frame))


class LoopHandle(Protocol):
    """What a connection needs from its loop."""

    @property
    def thread_id(self) -> int | None: ...

    def call_soon_threadsafe(self, call: Callable[[], None]) -> None: ...

    def mark_dirty(self, connection: PeerConnection) -> None: ...


class PeerConnection:
    __slots__ = (
        "sock",
        "peer",
        "protocol",
        "_phone",
        "device",
        "challenge",
        "out",
        "limits",
        "handshaking",
        "handshake_wants",
        "established",
        "closing",
        "closed",
        "busy",
        "needs_data",
        "opened_at",
        "last_read",
        "stalled_since",
        "wake_at",
        "events",
        "_loop",
    )

    def __init__(
        self,
        sock: ssl.SSLSocket,
        peer: str,
        loop: LoopHandle,
        max_frame: int,
        output: OutputLimits,
        now: float,
    ) -> None:
        self.sock = sock
        self.peer = peer
        self.protocol = Connection(Role.SERVER, max_frame)
        self._phone: str | None = None
        self.device = 1  # the device it logs in as (login's ``device``)
        self.challenge: tuple[str, bytes] | None = None
        self.out = bytearray()
        self.limits = output
        self.handshaking = True
        self.handshake_wants = selectors.EVENT_READ
        self.established = False  # the handshake finished and the loop counted it
        self.closing = False  # no more requests; closed once the output is written
        self.closed = False
        self.busy = False  # a request's blocking work runs elsewhere; later requests wait for it
        self.needs_data = True  # every buffered frame was handled: read more before handling again
        self.opened_at = now
        self.last_read = now
        self.stalled_since: float | None = None  # since when output waits without the socket taking any
        self.wake_at = 0.0  # when the loop's timer will look at this connection next
        self.events = 0  # what the selector watches for
        self._loop = loop

    def __repr__(self) -> str:
        return f"PeerConnection(peer={self.peer!r})"

    # ------------------------------------------------------------ the session's side

    @property
    def phone(self) -> str | None:
        """The account logged in on this connection; setting it tells the protocol (login before fields)."""
        return self._phone

    @phone.setter
    def phone(self, phone: str | None) -> None:
        self._phone = phone
        self.protocol.logged_in = phone is not None

    def push(self, kind: str, body: dict[str, Any]) -> bool:
        """Queue a push to the client; False if the connection is gone or is going."""
        if threading.get_ident() != self._loop.thread_id:

            def push_on_the_loop() -> None:
                self.push(kind, body)

            self._loop.call_soon_threadsafe(push_on_the_loop)
            return not (self.closed or self.closing)
        if self.closed or self.closing:
            return False
        try:
            data = self.protocol.send(Push(kind, body))
        except LocalProtocolError:  # larger than this server's frames: it stays queued for a fetch
            return False
        self.out += data
        self._loop.mark_dirty(self)
        return True

    def end(self) -> None:
        """Close the connection once what is queued for it is written."""
        if threading.get_ident() != self._loop.thread_id:
            self._loop.call_soon_threadsafe(self.end)
            return
        if not self.closed:
            self.closing = True
            self._loop.mark_dirty(self)

    # ------------------------------------------------------------ the loop's side

    def send(self, message: Message) -> None:
        """Queue a reply; the loop, which is serving this connection, writes it after the commit.

        Raises :class:`LocalProtocolError` if the message cannot be a frame.
        """
        self.out += self.protocol.send(message)

    @property
    def overflowing(self) -> bool:
        return len(self.out) > self.limits.close

    @property
    def paused(self) -> bool:
        return len(self.out) > self.limits.pause

    def can_handle(self) -> bool:
        """Whether the loop may handle this connection's next request now."""
        if self.closing or self.closed or self.busy or self.handshaking:
            return False
        return not self.paused

    def wanted_events(self) -> int:
        if self.handshaking:
            return self.handshake_wants
        if self.closing or self.busy or self.paused:
            return selectors.EVENT_WRITE if self.out else 0
        return _READ_WRITE if self.out else selectors.EVENT_READ

    def handshake(self, now: float) -> bool:
        """Move the TLS handshake on; True once it is done. Raises ssl.SSLError or OSError."""
        try:
            self.sock.do_handshake()
        except ssl.SSLWantReadError:
            self.handshake_wants = selectors.EVENT_READ
            return False
        except ssl.SSLWantWriteError:
            self.handshake_wants = selectors.EVENT_WRITE
            return False
        self.handshaking = False
        self.last_read = now
        return True

    def read(self, budget: int, now: float) -> bool:
        """Read up to ``budget`` bytes into the protocol; True when more may be waiting."""
        taken = 0
        while taken < budget:
            try:
                data = self.sock.recv(RECV_SIZE)
            except _WAIT_ERRORS:
                return False
            except (ssl.SSLError, OSError):  # a reset or a broken record ends the stream like EOF
                data = b""
            self.protocol.receive_data(data)
            if not data:
                return False
            self.last_read = now
            taken += len(data)
            if not self.sock.pending() and not self.protocol.awaiting:
                # One TLS record at most per call. Rather than a system call to learn that nothing else
                # has come, let the selector say so: it reports the socket again if something has. But
                # a frame begun (a blob's piece spans some 40 records) is read on within the budget: a
                # turn of the loop per record cost more than the record.
                return False
        return True  # the budget ran out; OpenSSL or the kernel may hold more

    def flush(self, now: float) -> None:
        """Write what the socket takes now. Raises :class:`PeerLost`."""
        wrote = False
        while self.out:
            # A retried TLS write must start with the same bytes; the buffer only ever grows at its end.
            chunk = self.out if len(self.out) <= WRITE_CHUNK else self.out[:WRITE_CHUNK]
            try:
                sent = self.sock.send(chunk)
            except _WAIT_ERRORS:
                break
            except (ssl.SSLError, OSError) as exc:
                raise PeerLost(type(exc).__name__) from None
            del self.out[:sent]
            wrote = True
        if not self.out:
            self.stalled_since = None
        elif wrote or self.stalled_since is None:
            self.stalled_since = now

    def deadline(self, limits: Limits) -> tuple[float, str]:
        """When this connection is closed unless something happens first, and why it would be."""
        if self.handshaking:
            return self.opened_at + limits.handshake_timeout, "TLS handshake timed out"
        idle = self.last_read + limits.idle_timeout
        if self.stalled_since is not None and self.stalled_since + limits.write_timeout < idle:
            return self.stalled_since + limits.write_timeout, f"took nothing for {limits.write_timeout:.0f} s"
        return idle, f"idle for {limits.idle_timeout:.0f} s"

    def close_socket(self) -> None:
        self.closed = True
        # The plain socket's shutdown sends FIN after what was written, without touching the TLS state.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()
