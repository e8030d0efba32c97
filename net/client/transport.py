"""A blocking client connection to a Parley server, for one thread.

It opens TCP, then TLS 1.3 (:func:`client_context`, the one client TLS context: the
engine, the load tool and the tests' wire client use it), and computes the server's fingerprint (SHA-256 of
its SubjectPublicKeyInfo) before a single frame is sent: the caller compares it
with the pinned one (:func:`check_pin`) and refuses a different key. After that
it speaks the sans-IO :class:`~net.protocol.connection.Connection`:

* :meth:`ServerConnection.request` writes a request and blocks until its reply (or
  the timeout), checked against its shape in :mod:`net.protocol.replies` into a typed
  object (:meth:`ServerConnection.call` returns the reply's fields unchecked, for
  tools and tests that speak the wire directly; :meth:`ServerConnection.send_many` is
  ``send_many``'s typed call, pipelined with :meth:`ServerConnection.start_send_many`;
  :meth:`ServerConnection.start_send` writes one ``send``; both take ``expires_in``, the seconds
  the server keeps the queued copy, 0 meaning no expiry and no field;
  :meth:`ServerConnection.take_reply` collects a reply without waiting, for pipelined transfers);
  pushes that arrive meanwhile are
  kept, in order, not handled inside the call, so a push handler never runs in the
  middle of another request;
* :meth:`ServerConnection.pump` reads whatever has arrived without blocking and
  hands every push kept or read, checked and typed, to the ``on_push`` handler;
* :meth:`ServerConnection.fileno` lets the caller wait on the socket together with
  other things: :func:`wait_readable` waits on it and on a :class:`Waker`, the engine's
  wake-up socket pair, which another thread pokes to cut the wait short at once.

A dropped or silent connection raises :class:`ConnectionLost`; a refusal by the
server is :class:`~net.protocol.errors.RequestRefused` with its stable code. A reply or
push that breaks its shape closes the connection and raises
:class:`MalformedReply`, which is both a :class:`~net.protocol.errors.RemoteProtocolError`
naming the field (``fetch reply.messages[3].id: missing``) and a
:class:`ConnectionLost`, so the engine drops and reconnects as after any broken
connection. The socket is never shared between threads.
"""

from __future__ import annotations

import contextlib
import hmac
import select
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, Protocol, TypeVar

from net.client.device_calls import DeviceCalls
from net.protocol.connection import NEED_DATA, Connection, ConnectionClosed, ErrorReply, Push, Reply, Role
from net.protocol.copy_results import PendingSendMany, SendManyReply, answers_in_order
from net.protocol.errors import NetError, RemoteProtocolError, RequestRefused
from net.protocol.fingerprints import fingerprint_of_der, format_fingerprint, normalize_fingerprint
from net.protocol.frames import DEFAULT_MAX_FRAME
from net.protocol.replies import ServerPush, parse_push
from net.protocol.reply_shapes import BAD_REPLY, Shape

RECV_SIZE = 64 * 1024
DEFAULT_TIMEOUT = 15.0

PushHandler = Callable[[ServerPush], None]
#: One item of a ``send_many``: (phone, device, body), or (phone, body) for device 1.
Item = tuple[str, int, bytes] | tuple[str, bytes]
T = TypeVar("T")


def client_context() -> ssl.SSLContext:
    """TLS 1.3 only. No CA check: the server's key is pinned by fingerprint (trust on first use)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    return context


class ConnectionLost(Exception):
    """The connection could not be opened, dropped, or stopped answering. ``str()`` says which."""


class Unreachable(ConnectionLost):
    """Nothing accepted the TCP connection at all (as against a server that accepted it and went silent)."""


class MalformedReply(RemoteProtocolError, ConnectionLost):
    """The server sent a reply or push that breaks its shape; the connection is closed.

    ``str()`` names the operation and the field, never a value.
    """


class ServerKeyMismatch(Exception):
    """The server presented another key than the pinned one. Both fingerprints are public."""

    def __init__(self, pinned: str, presented: str) -> None:
        super().__init__(f"the server's key changed: pinned {pinned}, presented {presented}")
        self.pinned = pinned
        self.presented = presented


def check_pin(pinned: str, presented: str) -> None:
    """Raise :class:`ServerKeyMismatch` unless the presented fingerprint is the pinned one."""
    if not hmac.compare_digest(normalize_fingerprint(pinned), normalize_fingerprint(presented)):
        raise ServerKeyMismatch(normalize_fingerprint(pinned), normalize_fingerprint(presented))


class ServerConnection(DeviceCalls):
    """One open TLS connection. Build it with :meth:`open`; the device calls are :class:`DeviceCalls`'."""

    def __init__(
        self,
        sock: ssl.SSLSocket,
        fingerprint: bytes,
        *,
        timeout: float,
        on_push: PushHandler,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sock = sock
        self.fingerprint = fingerprint
        self.timeout = timeout
        self.on_push = on_push
        self._protocol = Connection(Role.CLIENT, DEFAULT_MAX_FRAME)
        self._replies: dict[int, Reply | ErrorReply] = {}
        self._pushes: deque[ServerPush] = deque()
        self._closed = False
        #: The engine's monotonic clock: ``last_sent`` is read by its keepalive decision.
        self._clock = clock
        self.last_sent = clock()

    @classmethod
    def open(
        cls,
        host: str,
        port: int,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        on_push: PushHandler,
        clock: Callable[[], float] = time.monotonic,
    ) -> ServerConnection:
        try:
            raw = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise Unreachable(f"could not reach {host}:{port} ({_reason(exc)})") from None
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock = client_context().wrap_socket(raw)
            der = sock.getpeercert(binary_form=True)
        except (OSError, ssl.SSLError) as exc:
            raw.close()
            raise ConnectionLost(f"the TLS handshake with {host}:{port} failed ({_reason(exc)})") from None
        if der is None:
            sock.close()
            raise ConnectionLost("the server sent no certificate")
        return cls(sock, fingerprint_of_der(der), timeout=timeout, on_push=on_push, clock=clock)

    @property
    def fingerprint_text(self) -> str:
        return format_fingerprint(self.fingerprint)

    @property
    def closed(self) -> bool:
        return self._closed

    def fileno(self) -> int:
        return self._sock.fileno()

    @property
    def max_frame(self) -> int:
        """The largest frame this connection reads and writes (the server's, once ``hello`` said it)."""
        return self._protocol.max_frame

    def set_max_frame(self, max_frame: int) -> None:
        """The server's limit from ``hello``: replies up to it are accepted."""
        if not self._protocol.pending and max_frame != self._protocol.max_frame:
            self._protocol = Connection(Role.CLIENT, max_frame)

    # ------------------------------------------------------------------ requests

    def request(self, shape: Shape[T], *, timeout: float | None = None, **args: Any) -> T:
        """Send ``shape``'s operation and return its checked, typed reply (see :meth:`wait_typed`)."""
        return self.wait_typed(shape, self.send(shape.op, **args), timeout)

    def wait_typed(self, shape: Shape[T], request_id: int, timeout: float | None = None) -> T:
        """The reply to a request :meth:`send` wrote, checked against ``shape``.

        :class:`RequestRefused` for an error reply; :class:`MalformedReply` (after closing) for a
        reply that breaks its shape.
        """
        reply = self.wait_reply(request_id, timeout)
        if isinstance(reply, ErrorReply):
            raise reply.exception()
        try:
            return shape.parse(reply.body)
        except RemoteProtocolError as exc:
            self.close()
            raise MalformedReply(exc.code, exc.message) from None

    def send_many(
        self,
        client_id: str,
        items: Sequence[Item],
        transient: bool = False,
        *,
        timeout: float | None = None,
        expires_in: int = 0,
    ) -> SendManyReply:
        """One body per (recipient, device) under one client id: a result per item, in order.

        ``items``: (phone, device, body), or (phone, body) for device 1. A ``devices_changed`` result
        carries the recipient's current ``devices``.

        ``expires_in``: seconds after which the server no longer delivers the queued copies (0: never).
        :class:`RequestRefused` when the whole request is refused (``bad_request``, ``rate_limited``,
        ``storage_full``); :class:`MalformedReply` when the results do not answer the items one by one.
        """
        pending = self.start_send_many(client_id, items, transient, expires_in=expires_in)
        return self.wait_send_many(pending, timeout)

    def start_send_many(
        self,
        client_id: str,
        items: Sequence[Item],
        transient: bool = False,
        *,
        expires_in: int = 0,
    ) -> PendingSendMany:
        """Write a ``send_many`` without waiting, as :meth:`send` does: several may be in flight at once.

        ``items`` as in :meth:`send_many`; a device 1 is written as no field (as before devices).
        """
        triples = [(i[0], 1, i[1]) if len(i) == 2 else i for i in items]
        written = [
            {"to": t, "body": b} if d == 1 else {"to": t, "device": d, "body": b} for t, d, b in triples
        ]
        fields: dict[str, Any] = {"client_id": client_id, "items": written}
        if transient:
            fields["transient"] = True
        pending = self.send("send_many", expires_in=expires_in, **fields)
        recipients, devices = tuple(t for t, _, _ in triples), tuple(d for _, d, _ in triples)
        return PendingSendMany(pending, recipients, transient, devices)

    def start_send(
        self,
        to: str,
        client_id: str,
        body: bytes,
        *,
        transient: bool = False,
        expires_in: int = 0,
        device: int = 1,
    ) -> int:
        """Write one ``send`` without waiting (its reply: :meth:`wait_typed` with ``send``'s shape).

        ``device``: the recipient's device (the one it has, or for a transient send the one to reach).
        """
        fields: dict[str, Any] = {"to": to, "client_id": client_id, "body": body}
        if device != 1:
            fields["device"] = device
        if transient:
            fields["transient"] = True
        return self.send("send", expires_in=expires_in, **fields)

    def wait_send_many(self, pending: PendingSendMany, timeout: float | None = None) -> SendManyReply:
        """The checked reply to a :meth:`start_send_many` (see :meth:`send_many`)."""
        reply = self.wait_typed(pending.shape, pending.request_id, timeout)
        if not answers_in_order(reply, pending.recipients, pending.devices):
            self.close()
            raise MalformedReply(BAD_REPLY, "send_many reply.results: not one per item, in the items' order")
        return reply

    def call(self, op: str, *, timeout: float | None = None, **args: Any) -> dict[str, Any]:
        """Send a request and return its reply's fields unchecked; :class:`RequestRefused` for an error."""
        request_id = self.send(op, **args)
        reply = self.wait_reply(request_id, timeout)
        if isinstance(reply, ErrorReply):
            raise reply.exception()
        return reply.body

    def send(self, op: str, *, expires_in: int = 0, **args: Any) -> int:
        """Write a request without waiting; its reply is collected by :meth:`wait_reply`.

        ``expires_in`` (``send`` and ``send_many``): the queued copy's lifetime in seconds; 0 writes no
        field (no expiry), so a caller passes a message's timer as it is.
        """
        self._check_open()
        if expires_in:
            args["expires_in"] = expires_in
        try:
            request_id, data = self._protocol.request(op, **args)
        except NetError as exc:
            raise RequestRefused(exc.code, exc.message) from None
        try:
            self._sock.settimeout(self.timeout)
            self._sock.sendall(data)
        except (OSError, ssl.SSLError) as exc:
            self._lose(f"the connection dropped while sending ({_reason(exc)})")
        self.last_sent = self._clock()
        return request_id

    def wait_reply(self, request_id: int, timeout: float | None = None) -> Reply | ErrorReply:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while request_id not in self._replies:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._lose("the server did not answer in time")
            self._read(remaining)
        return self._replies.pop(request_id)

    def take_reply(self, request_id: int) -> Reply | ErrorReply | None:
        """The reply to a request :meth:`send` wrote if it has arrived, else None: never waits.

        :meth:`pump` (or any wait for another reply) reads what arrives; a pipelined transfer
        collects its replies this way between turns of the engine's loop.
        """
        return self._replies.pop(request_id, None)

    def take_typed(self, shape: Shape[T], request_id: int) -> T | None:
        """:meth:`take_reply` checked against ``shape`` as :meth:`wait_typed` does; None while it is due."""
        reply = self.take_reply(request_id)
        if reply is None:
            return None
        if isinstance(reply, ErrorReply):
            raise reply.exception()
        try:
            return shape.parse(reply.body)
        except RemoteProtocolError as exc:
            self.close()
            raise MalformedReply(exc.code, exc.message) from None

    # ------------------------------------------------------------------ pushes

    def pump(self) -> int:
        """Read what has arrived (without blocking) and hand every waiting push to ``on_push``."""
        self._check_open()
        delivered = 0
        try:
            # Stop as soon as a read brings nothing: an incomplete TLS record waits for the next poll.
            while (self._sock.pending() or _readable(self._sock)) and self._read(0.0):
                pass
        finally:
            # Pushes that came just before a close (session_ended does) are handed over all the same.
            while self._pushes:
                self.on_push(self._pushes.popleft())
                delivered += 1
        return delivered

    def take_pushes(self) -> list[ServerPush]:
        """The pushes read but not yet handed over (a closed connection gives them up this way)."""
        taken = list(self._pushes)
        self._pushes.clear()
        return taken

    @property
    def buffered(self) -> bool:
        """Something is already here (a push, or bytes TLS has decrypted): do not wait on the socket."""
        return bool(self._pushes) or (not self._closed and self._sock.pending() > 0)

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.close()

    # ------------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self._closed:
            raise ConnectionLost("the connection is closed")

    def _lose(self, reason: str) -> NoReturn:
        self.close()
        raise ConnectionLost(reason)

    def _read(self, timeout: float) -> bool:
        """Read once (waiting up to ``timeout``) and sort out the events; False when nothing came."""
        self._check_open()
        try:
            self._sock.settimeout(timeout if timeout > 0 else 0.0)
            data = self._sock.recv(RECV_SIZE)
        except (TimeoutError, ssl.SSLWantReadError, BlockingIOError):
            return False
        except (OSError, ssl.SSLError) as exc:
            self._lose(f"the connection dropped ({_reason(exc)})")
        if not data:
            self._lose("the server closed the connection")
        self._protocol.receive_data(data)
        while True:
            try:
                event = self._protocol.next_event()
            except NetError as exc:
                self._lose(f"the server sent a frame this client cannot read ({exc.code})")
            if event is NEED_DATA:
                return True
            if isinstance(event, Push):
                self._keep_push(event)
            elif isinstance(event, ConnectionClosed):
                self._lose("the server closed the connection")
            elif isinstance(event, Reply | ErrorReply) and event.re is not None:
                self._replies[event.re] = event
            # An error reply with no id answers a frame the server could not read; the request it
            # belonged to times out and the connection is renewed.

    def _keep_push(self, push: Push) -> None:
        try:
            parsed = parse_push(push)
        except RemoteProtocolError as exc:
            self.close()
            raise MalformedReply(exc.code, exc.message) from None
        if parsed is not None:  # a kind this client does not know is a newer server's: ignored
            self._pushes.append(parsed)


class Waker:
    """A socket pair that wakes a waiting thread: :meth:`wake` from any thread, the rest from the waiter's.

    A byte written to one end makes the other readable, so :func:`wait_readable` returns at once
    without any busy loop. Both ends are non-blocking: a wake-up never blocks its caller, even when
    many pile up unread (one readable byte is enough; the rest are drained together).
    """

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)

    def fileno(self) -> int:
        """The reading end, for waiting on (``-1`` once closed)."""
        return self._reader.fileno()

    def wake(self) -> None:
        """Make the next (or current) wait return; the only method safe from another thread."""
        # A full buffer already wakes the waiter, and a closed pair has no one left to wake.
        with contextlib.suppress(BlockingIOError, OSError):
            self._writer.send(b"\x00")

    def drain(self) -> None:
        """Consume every wake-up sent so far, so the next wait waits again."""
        with contextlib.suppress(BlockingIOError, OSError):
            while self._reader.recv(4096):
                pass

    def close(self) -> None:
        for sock in (self._reader, self._writer):
            sock.close()


class Waitable(Protocol):
    """Something with a file descriptor to wait on (a :class:`ServerConnection`)."""

    def fileno(self) -> int: ...


def wait_readable(conn: Waitable | None, waker: Waker, timeout: float) -> bool:
    """Wait up to ``timeout`` for ``conn`` to have input or ``waker`` to be woken.

    True if woken (the wake-up is consumed, see :meth:`Waker.drain`); False on input, on the
    timeout, or when a socket was closed meanwhile (the caller's next read finds out what happened).
    """
    waiting: list[Waitable] = [waker] if conn is None else [waker, conn]
    try:
        readable, _, _ = select.select(waiting, [], [], max(0.0, timeout))
    except (OSError, ValueError):
        return False
    if waker in readable:
        waker.drain()
        return True
    return False


def _readable(sock: ssl.SSLSocket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or type(exc).__name__
    return str(text)
