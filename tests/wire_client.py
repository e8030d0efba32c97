"""A small blocking client that speaks the wire protocol over real TLS, for tests.

It is deliberately plain: one socket, the sans-IO :class:`net.protocol.connection.Connection`,
replies matched by id, pushes kept in a list. It also sends raw bytes, so tests can
feed a live server every kind of bad frame. :class:`Person` holds the keys of a
test account and knows the registration and login dances.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto_core.keys import IdentityKeyPair, KemPreKey, OneTimePreKey, SignedPreKey
from net.bench.cluster_node import CodeBook as PrintedCodes
from net.client.transport import client_context
from net.protocol.connection import (
    NEED_DATA,
    Connection,
    ConnectionClosed,
    ErrorReply,
    Event,
    Push,
    Reply,
    Role,
)
from net.protocol.errors import RequestRefused
from net.protocol.fingerprints import fingerprint_of_der
from net.protocol.login import login_statement, sign_login
from net.protocol.registration import sign_move

Address = tuple[str, int]


class WireClient:
    def __init__(
        self,
        address: Address,
        *,
        timeout: float = 10.0,
        max_frame: int = 4 * 1024 * 1024,
        source: str | None = None,
        proxy_header: bytes | None = None,
    ) -> None:
        # ``source`` picks the client's own address (say 127.0.0.2), for per-address limits on loopback.
        raw = socket.create_connection(
            address, timeout=timeout, source_address=(source, 0) if source else None
        )
        if proxy_header is not None:  # what a load balancer sends before the client's TLS
            raw.sendall(proxy_header)
        self.sock = client_context().wrap_socket(raw)
        self.sock.settimeout(timeout)
        der = self.sock.getpeercert(binary_form=True)
        assert der is not None
        self.fingerprint = fingerprint_of_der(der)
        self.timeout = timeout
        self.conn = Connection(Role.CLIENT, max_frame)
        self.pushes: list[Push] = []
        self.unmatched: list[ErrorReply] = []  # error replies with re: null
        self._replies: dict[int, Reply | ErrorReply] = {}
        self._raw_ids = itertools.count(1 << 40)  # far from the ids the sans-IO connection gives
        self.closed_by_server = False

    # ------------------------------------------------------------------ sending

    def send_raw(self, data: bytes, *, reply_to: int | None = None) -> None:
        """Write bytes as they are; ``reply_to`` names the request id they carry, if any."""
        if reply_to is not None:
            self.conn.expect_reply(reply_to)
        self.sock.sendall(data)

    def send_request(self, op: str, **args: Any) -> int:
        request_id, data = self.conn.request(op, **args)
        self.sock.sendall(data)
        return request_id

    def request(self, op: str, **args: Any) -> Reply | ErrorReply:
        return self.wait_reply(self.send_request(op, **args))

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        """The reply's fields; raises :class:`RequestRefused` for an error reply."""
        reply = self.request(op, **args)
        if isinstance(reply, ErrorReply):
            raise reply.exception()
        return reply.body

    def refused(self, op: str, **args: Any) -> str:
        """The error code of a request that must be refused."""
        reply = self.request(op, **args)
        assert isinstance(reply, ErrorReply), f"{op} was accepted: {reply}"
        return reply.code

    def send_many(
        self,
        client_id: str,
        items: list[tuple[str, bytes]],
        *,
        transient: bool | None = None,
        expires_in: object = None,
    ) -> Reply | ErrorReply:
        """``send_many`` as net/protocol/PROTOCOL.md spells it, its frame built here by hand (length, JSON).

        Not through :mod:`net.protocol`'s encoder, so that a live server is held to the page itself.
        ``expires_in`` is written as given (any JSON value), and left out when None.
        """
        request_id, frame = self.send_many_frame(client_id, items, transient=transient, expires_in=expires_in)
        self.send_raw(frame, reply_to=request_id)
        return self.wait_reply(request_id)

    def send_many_frame(
        self,
        client_id: str,
        items: list[tuple[str, bytes]],
        *,
        transient: bool | None = None,
        expires_in: object = None,
    ) -> tuple[int, bytes]:
        """The id and the bytes of a ``send_many`` request (4-byte big-endian length, then the JSON)."""
        request: dict[str, Any] = {
            "id": next(self._raw_ids),
            "op": "send_many",
            "client_id": client_id,
            "items": [{"to": to, "body": base64.b64encode(body).decode("ascii")} for to, body in items],
        }
        if transient is not None:
            request["transient"] = transient
        if expires_in is not None:
            request["expires_in"] = expires_in
        payload = json.dumps(request, separators=(",", ":")).encode("utf-8")
        return request["id"], len(payload).to_bytes(4, "big") + payload

    # ---------------------------------------------------------------- receiving

    def _pump(self, deadline: float) -> Event | None:
        """Read until one event is decoded; None when the deadline passes."""
        while True:
            event = self.conn.next_event()
            if event is not NEED_DATA:
                return event  # type: ignore[return-value]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return None
            except (ssl.SSLError, OSError):
                data = b""
            self.conn.receive_data(data)

    def _next(self, deadline: float) -> Event | None:
        event = self._pump(deadline)
        if isinstance(event, Push):
            self.pushes.append(event)
        elif isinstance(event, Reply | ErrorReply):
            if event.re is None:
                assert isinstance(event, ErrorReply)
                self.unmatched.append(event)
            else:
                self._replies[event.re] = event
        elif isinstance(event, ConnectionClosed):
            self.closed_by_server = True
        return event

    def wait_reply(self, request_id: int, timeout: float | None = None) -> Reply | ErrorReply:
        deadline = time.monotonic() + (timeout or self.timeout)
        while request_id not in self._replies:
            event = self._next(deadline)
            if event is None:
                raise TimeoutError(f"no reply to request {request_id}")
            if isinstance(event, ConnectionClosed):
                raise ConnectionError("the server closed the connection")
        return self._replies.pop(request_id)

    def wait_unmatched_error(self, timeout: float | None = None) -> ErrorReply:
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.unmatched:
            event = self._next(deadline)
            if event is None or isinstance(event, ConnectionClosed):
                raise AssertionError("expected an error reply without an id")
        return self.unmatched.pop(0)

    def wait_push(self, kind: str = "message", timeout: float | None = None) -> Push:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for index, push in enumerate(self.pushes):
                if push.kind == kind:
                    return self.pushes.pop(index)
            event = self._next(deadline)
            if event is None:
                raise TimeoutError(f"no {kind} push")
            if isinstance(event, ConnectionClosed):
                raise ConnectionError("the server closed the connection")

    def no_push_within(self, seconds: float) -> bool:
        """True when no push arrives within ``seconds`` (for asserting that something is *not* sent)."""
        deadline = time.monotonic() + seconds
        while not self.pushes:
            event = self._next(deadline)
            if event is None or isinstance(event, ConnectionClosed):
                return True
        return False

    def wait_closed(self, timeout: float | None = None) -> bool:
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.closed_by_server:
            if self._next(deadline) is None:
                return False
        return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


@dataclass
class Person:
    """A test account's keys (made small: a few prekeys of each kind)."""

    phone: str
    email: str = "someone@example.org"
    one_time_count: int = 3
    kem_count: int = 2
    identity: IdentityKeyPair = field(default_factory=IdentityKeyPair.generate)
    signed_prekey: SignedPreKey = field(init=False)
    last_resort: KemPreKey = field(init=False)
    one_time: list[OneTimePreKey] = field(init=False)
    kem: list[KemPreKey] = field(init=False)
    #: The token of this person's last ``register_start`` (it must come back with the code).
    token: bytes | None = field(init=False, default=None)
    #: Device 1's own login key, once it has one (``set_login_key``); None: the identity key logs in.
    login_key: Ed25519PrivateKey | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.signed_prekey = SignedPreKey.generate(self.identity, 1, int(time.time()))
        self.last_resort = KemPreKey.generate(self.identity, 1000, last_resort=True)
        self.one_time = [OneTimePreKey.generate(i) for i in range(1, self.one_time_count + 1)]
        self.kem = [
            KemPreKey.generate(self.identity, 100 + i, last_resort=False) for i in range(self.kem_count)
        ]

    def took(self, started: dict[str, Any]) -> dict[str, Any]:
        """Keep the token of a ``register_start`` reply (base64 on the wire, bytes from the service)."""
        token = started["token"]
        self.token = token if isinstance(token, bytes) else _b64(token)
        return started

    def start(self, client: WireClient) -> dict[str, Any]:
        return self.took(client.call("register_start", phone=self.phone, email=self.email))

    def finish_args(self, code: str, token: bytes | None = None) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "token": token if token is not None else self.token,
            "code": code,
            "identity": self.identity.public,
            "signed_prekey": self.signed_prekey.public(),
            "kem_last_resort": self.last_resort.public(),
            "one_time_prekeys": [k.public() for k in self.one_time],
            "kem_prekeys": [k.public() for k in self.kem],
        }

    def key_args(self) -> dict[str, Any]:
        """The new keys of ``register_finish``, without token and code (for a move with a proof)."""
        args = self.finish_args("")
        for name in ("token", "code"):
            del args[name]
        return args

    def move_args(self, client: WireClient, current: IdentityKeyPair) -> dict[str, Any]:
        """``register_finish`` fields that move this number to this person's keys, signed by ``current``."""
        nonce = _b64(client.call("challenge", phone=self.phone)["nonce"])
        proof = sign_move(current, nonce, self.phone, self.identity.public, client.fingerprint)
        return {**self.key_args(), "proof": proof}

    def register(self, client: WireClient, codes: CodeBook) -> dict[str, Any]:
        self.start(client)
        return client.call("register_finish", **self.finish_args(codes.last(self.phone)))

    def login(self, client: WireClient) -> dict[str, Any]:
        nonce = _b64(client.call("challenge", phone=self.phone)["nonce"])
        if self.login_key is not None:
            signature = self.login_key.sign(login_statement(nonce, self.phone, client.fingerprint))
        else:
            signature = sign_login(self.identity, nonce, self.phone, client.fingerprint)
        return client.call("login", phone=self.phone, signature=signature)

    def own_login_key(self, client: WireClient) -> None:
        """Give device 1 (logged in on ``client``) its own login key: the identity key no longer logs in."""
        key = Ed25519PrivateKey.generate()
        assert client.call("set_login_key", key=key.public_key().public_bytes_raw()) == {}
        self.login_key = key


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


class CodeBook(PrintedCodes):
    """A code channel for in-process servers: it keeps the codes it 'delivers' for the test to read."""

    name = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.fail_with: Exception | None = None

    def deliver(self, phone: str, email: str, code: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.note(phone, code)


__all__ = ["CodeBook", "Person", "RequestRefused", "WireClient"]
