"""The engine's link to its server: connect with a pinned key, log in, keep alive, come back after a drop.

The connection's state and the wish to be online belong to the transition
table in :mod:`net.client.core.connection_state`; the link sends it inputs (:meth:`Link.send`)
and reports each change as :class:`~net.client.core.events.ConnectionChanged`::

    OFFLINE --dial--> CONNECTING --pinned key, hello--> CONNECTED
    CONNECTED --dropped--> RECONNECTING --backoff, redial--> CONNECTED
    CONNECTED --login refused as busy--> RECONNECTING --backoff, redial, login again--> ...
    any --logout / lock / refused key / session ended--> OFFLINE

A server that refuses a login with one of
:data:`net.client.core.connection_state.RETRY_LATER` (``rate_limited``,
``storage_full``, ``storage_unavailable``, ``server_error``) is busy, not saying no: the engine backs off
(with jitter) and logs in again by itself. Other refusals (``login_failed``, ...)
keep their meaning and take the engine offline until the person acts.

The first contact with a server key never pins silently: the engine reports
:class:`~net.client.core.events.ServerKeyUnknown` and stops until the person accepts that
fingerprint; a key other than the pinned one is :class:`~net.client.core.events.ServerKeyChanged`,
and nothing is sent to that server until the person accepts it. Pins are
by key, per profile: a key the profile pinned for one address is trusted at
another (a local server that moved port) without asking again, and pinned for
the new address too; a *different* key at a pinned address is still a warning.

The engine waits for the socket *and* its wake-up socket pair at once
(:meth:`Link.wait`), so a command from the window cuts a wait short without any
busy loop. :meth:`Link.wakeup` is the only method safe from another thread. The
sockets themselves, the connection's and the wake-up's, are :mod:`net.client.transport`'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto_core.encoding import RandomSource, default_random
from crypto_core.keys import IdentityKeyPair
from net.client.core.backoff import Backoff
from net.client.core.connection_state import ConnectionMachine, Input
from net.client.core.engine_error import EngineError
from net.client.core.events import (
    ConnectionChanged,
    ConnectionState,
    Event,
    ServerKeyChanged,
    ServerKeyUnknown,
)
from net.client.core.keepalive import PING_EVERY, next_ping_in, ping_due, ping_interval
from net.client.transport import (
    ConnectionLost,
    PushHandler,
    ServerConnection,
    ServerKeyMismatch,
    Waker,
    check_pin,
    wait_readable,
)
from net.protocol import replies
from net.protocol.errors import RequestRefused
from net.protocol.fingerprints import normalize_fingerprint
from net.protocol.login import login_statement, sign_login
from net.protocol.schema import PROTOCOL_VERSION
from storage.profile.account import ServerPins

CLIENT_NAME = "parley-engine 0.1"
Clock = Callable[[], float]


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def join_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _pinned_elsewhere(presented: str, pins: ServerPins) -> bool:
    """Whether this profile pinned the presented key for some other address already."""
    for pinned in pins.fingerprints():
        try:
            check_pin(pinned, presented)
        except (ServerKeyMismatch, ValueError):  # another key, or a pin that is not a fingerprint
            continue
        return True
    return False


class Link:
    def __init__(
        self,
        emit: Callable[[Event], None],
        on_push: PushHandler,
        *,
        random: RandomSource = default_random,
        monotonic: Clock = time.monotonic,
        timeout: float = 15.0,
    ) -> None:
        self._emit = emit
        self._on_push = on_push
        self._timeout = timeout
        self._monotonic = monotonic
        self.conn: ServerConnection | None = None
        #: The state and the wish to be online, changed only by :meth:`send`
        #: (net/client/core/connection_state.py).
        self.machine = ConnectionMachine()
        self.logged_in = False
        self.backoff = Backoff(clock=monotonic, random=random)
        self._presented: dict[str, str] = {}
        self.ping_every = PING_EVERY
        self._waker = Waker()

    # ------------------------------------------------------------------ state

    def send(self, event: Input, detail: str = "") -> None:
        """Tell the state machine what happened; a change of state is reported as ConnectionChanged."""
        before = self.machine.state
        state = self.machine.send(event)
        if state is not before:
            self._emit(ConnectionChanged(state, detail))

    @property
    def state(self) -> ConnectionState:
        return self.machine.state

    @property
    def want_online(self) -> bool:
        """The person wants to be online: a drop is followed by reconnecting."""
        return self.machine.wants_online

    @property
    def online(self) -> bool:
        return self.conn is not None and self.logged_in

    def require(self) -> ServerConnection:
        """The logged-in connection, or EngineError("offline")."""
        if self.conn is None or not self.logged_in:
            raise EngineError("offline", "Parley is not connected to the server right now.")
        return self.conn

    # ------------------------------------------------------------------ connecting

    def open(self, address: str, pins: ServerPins) -> ServerConnection:
        """Connect, check the server's key against the pin, say hello. Raises EngineError."""
        self.close()
        host, port = split_address(address)
        self.send(Input.REDIAL if self.backoff.failures else Input.DIAL)
        try:
            conn = ServerConnection.open(
                host, port, timeout=self._timeout, on_push=self._on_push, clock=self._monotonic
            )
        except ConnectionLost as exc:
            raise EngineError("connection_failed", f"Parley could not reach the server: {exc}.") from None
        presented = conn.fingerprint_text
        try:
            self._check_key(address, presented, pins)
        except EngineError:
            conn.close()
            self.send(Input.KEY_REFUSED)  # never again on its own: the person decides about this key
            raise
        try:
            hello = conn.request(replies.HELLO, version=PROTOCOL_VERSION, client=CLIENT_NAME)
        except (ConnectionLost, RequestRefused) as exc:
            conn.close()
            raise EngineError("connection_failed", f"The server did not greet Parley: {exc}.") from None
        self.ping_every = ping_interval(hello.idle_timeout)
        conn.set_max_frame(hello.max_frame)
        self.conn = conn
        return conn

    def _check_key(self, address: str, presented: str, pins: ServerPins) -> None:
        pinned = pins.get(address)
        if pinned is None and _pinned_elsewhere(presented, pins):
            # The same key at a new address (a local server on another port, a renamed host) is the
            # server the person already trusted: pinned here too, without asking again.
            pins.pin(address, presented)
            return
        if pinned is None:
            self._presented[address] = presented
            self._emit(ServerKeyUnknown(address, presented))
            raise EngineError(
                "server_key_unknown",
                "This is the first contact with this server: compare its fingerprint and accept it.",
            )
        try:
            check_pin(pinned, presented)
        except ServerKeyMismatch as exc:
            self._presented[address] = presented
            self._emit(ServerKeyChanged(address, exc.pinned, exc.presented))
            raise EngineError(
                "server_key_changed",
                "The server's key is not the one Parley pinned. Nothing was sent. Compare the "
                f"fingerprints: pinned {exc.pinned}, presented {exc.presented}.",
            ) from None

    def accept_key(self, address: str, fingerprint: str, pins: ServerPins) -> None:
        """Pin the key the server presented last; refuse one it never presented."""
        presented = self._presented.get(address)
        try:
            wanted = normalize_fingerprint(fingerprint)
        except ValueError as exc:
            raise EngineError("bad_fingerprint", str(exc).capitalize() + ".") from None
        if presented is None or wanted != presented:
            raise EngineError(
                "bad_fingerprint", "That is not the fingerprint the server presented; connect again."
            )
        pins.pin(address, presented)

    def login(self, identity: IdentityKeyPair, phone: str) -> replies.LoginReply:
        """Challenge, sign with the identity, login as device 1; the reply (messages waiting, devices)."""
        return self._login(
            phone, 1, lambda nonce, fingerprint: sign_login(identity, nonce, phone, fingerprint)
        )

    def login_device(self, phone: str, device: int, login_key: Ed25519PrivateKey) -> replies.LoginReply:
        """The login of a linked device: the same statement, signed with its own login key."""
        return self._login(
            phone,
            device,
            lambda nonce, fingerprint: login_key.sign(login_statement(nonce, phone, fingerprint)),
        )

    def _login(self, phone: str, device: int, sign: Callable[[bytes, bytes], bytes]) -> replies.LoginReply:
        conn = self.conn
        if conn is None:
            raise EngineError("offline", "Parley is not connected to the server right now.")
        nonce = conn.request(replies.CHALLENGE, phone=phone).nonce
        signature = sign(nonce, conn.fingerprint)
        reply = conn.login(phone, signature, device=device)
        if self.conn is not conn:  # a push read meanwhile (session_ended) closed it
            raise ConnectionLost("the session ended during the login")
        self.logged_in = True
        self.send(Input.LOGGED_IN)
        self.backoff.reset()
        return reply

    # ------------------------------------------------------------------ closing

    def dropped(self, reason: str) -> None:
        """The connection broke: schedule a reconnect if the person wants to be online."""
        self.close()
        if self.want_online:
            self.backoff.failed()
        self.send(Input.DROPPED, reason)

    def retry_later(self, reason: str) -> None:
        """The server refused the login for now: close, and log in again after the backoff."""
        self.close()
        self.backoff.failed()
        self.send(Input.BUSY, reason)

    def go_offline(self, event: Input, detail: str = "") -> None:
        """Close and tell the machine why (a logout, a refusal for good, the session ended elsewhere)."""
        self.close()
        self.send(event, detail)

    def close(self) -> None:
        conn, self.conn = self.conn, None
        self.logged_in = False
        if conn is not None:
            conn.close()
            # What arrived before the close still counts: above all a session_ended push.
            for push in conn.take_pushes():
                self._on_push(push)

    def shutdown(self) -> None:
        self.close()
        self._waker.close()

    # ------------------------------------------------------------------ waiting

    def keepalive(self) -> None:
        conn = self.conn
        if conn is not None and ping_due(conn.last_sent, self._monotonic(), self.ping_every):
            conn.request(replies.PING)

    def next_ping_in(self) -> float:
        conn = self.conn
        return next_ping_in(None if conn is None else conn.last_sent, self._monotonic(), self.ping_every)

    def wait(self, timeout: float) -> bool:
        """Wait for input from the server or a wake-up; True if woken (the wake-up is consumed)."""
        return wait_readable(self.conn, self._waker, timeout)

    def wakeup(self) -> None:
        self._waker.wake()
