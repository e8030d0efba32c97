"""A plain blocking client for the attachment bench: one TLS connection, requests pipelined by window.

It registers (a ``--dev-codes`` server answers the code), logs in, and moves a
file through the blob operations: the upload seals the plaintext with
:mod:`crypto_core.stream` under a fresh key as it goes, cuts the sealed bytes
into pieces of :data:`~net.protocol.blobs.BLOB_PIECE` and keeps
:data:`~net.protocol.blobs.BLOB_WINDOW` puts in flight; the download keeps as
many gets in flight and opens the stream as the pieces arrive, so neither side
ever holds more than a window of pieces (the bench's plaintext is its own input).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pybase64

from crypto_core.keys import IdentityKeyPair, KemPreKey, SignedPreKey
from crypto_core.stream import StreamDecryptor, StreamEncryptor, sealed_size
from net.client.transport import client_context
from net.protocol.blobs import BLOB_PIECE, BLOB_WINDOW
from net.protocol.connection import NEED_DATA, Connection, ErrorReply, Push, Reply, Role
from net.protocol.fingerprints import fingerprint_of_der
from net.protocol.login import sign_login

Address = tuple[str, int]
RECV_SIZE = 1024 * 1024
#: The associated data of the bench's sealed streams (a purpose label, as the client's own files have).
BENCH_STREAM_LABEL = b"Parley bench attachment"


class BlobBenchError(Exception):
    """A request was refused or the connection broke; the message says which."""


@dataclass(frozen=True)
class Transfer:
    """One upload or download: bytes of the file (plaintext) and of the blob (sealed), and seconds."""

    plaintext: int
    sealed: int
    seconds: float
    blob: str = ""
    key: bytes = b""
    sha256: bytes = b""

    @property
    def mb_per_second(self) -> float:
        return self.plaintext / self.seconds / 1e6 if self.seconds > 0 else float("nan")

    def __repr__(self) -> str:  # the key stays out of logs
        return f"Transfer(plaintext={self.plaintext}, seconds={self.seconds:.3f})"


def sealed_pieces(key: bytes, plaintext: bytes) -> Iterator[bytes]:
    """The sealed stream of ``plaintext`` in pieces of BLOB_PIECE bytes (the last one shorter)."""
    encryptor = StreamEncryptor(key, BENCH_STREAM_LABEL)
    pending = bytearray(encryptor.header)
    for start in range(0, len(plaintext), BLOB_PIECE):
        pending += encryptor.update(plaintext[start : start + BLOB_PIECE])
        while len(pending) >= BLOB_PIECE:
            yield _cut(pending)
    pending += encryptor.finalize()
    while pending:
        yield _cut(pending)


def _cut(pending: bytearray) -> bytes:
    """The first piece of ``pending``, taken off it (one copy: a slice of a bytearray would make two)."""
    with memoryview(pending) as view:
        piece = bytes(view[:BLOB_PIECE])
    del pending[:BLOB_PIECE]
    return piece


class BlobClient:
    def __init__(
        self, address: Address, *, context: ssl.SSLContext | None = None, timeout: float = 60.0
    ) -> None:
        raw = socket.create_connection(address, timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = (context or client_context()).wrap_socket(raw)
        der = self.sock.getpeercert(binary_form=True)
        assert der is not None  # TLS 1.3 always shows the server's certificate
        self.fingerprint = fingerprint_of_der(der)
        self.protocol = Connection(Role.CLIENT)
        self._replies: dict[int, Reply | ErrorReply] = {}
        self.pushes: list[Push] = []
        self.phone = ""

    # ---------------------------------------------------------------- plumbing

    def send(self, op: str, **args: Any) -> int:
        request_id, data = self.protocol.request(op, **args)
        self.sock.sendall(data)
        return request_id

    def receive(self) -> None:
        """Read what arrives (blocking for the first bytes) and sort it into replies and pushes."""
        data = self.sock.recv(RECV_SIZE)
        if not data:
            raise BlobBenchError("the server closed the connection")
        self.protocol.receive_data(data)
        while (event := self.protocol.next_event()) is not NEED_DATA:
            if isinstance(event, Push):
                self.pushes.append(event)
            elif isinstance(event, Reply | ErrorReply) and event.re is not None:
                self._replies[event.re] = event
            else:
                raise BlobBenchError(f"the server refused a frame: {event}")

    def wait(self, request_id: int) -> dict[str, Any]:
        while request_id not in self._replies:
            self.receive()
        reply = self._replies.pop(request_id)
        if isinstance(reply, ErrorReply):
            raise BlobBenchError(f"refused: {reply.code}: {reply.message}")
        return reply.body

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        return self.wait(self.send(op, **args))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    # ---------------------------------------------------------------- accounts

    def register_and_login(self, phone: str) -> None:
        """A new account on a ``--dev-codes`` server, logged in on this connection."""
        identity = IdentityKeyPair.generate()
        started = self.call("register_start", phone=phone, email=f"bench{phone[1:]}@example.org")
        if "code" not in started:
            raise BlobBenchError("the server does not return codes: start it with --dev-codes")
        self.call(
            "register_finish",
            phone=phone,
            token=base64.b64decode(started["token"]),
            code=started["code"],
            identity=identity.public,
            signed_prekey=SignedPreKey.generate(identity, 1, int(time.time())).public(),
            kem_last_resort=KemPreKey.generate(identity, 1, last_resort=True).public(),
        )
        nonce = base64.b64decode(self.call("challenge", phone=phone)["nonce"])
        self.call("login", phone=phone, signature=sign_login(identity, nonce, phone, self.fingerprint))
        self.phone = phone

    # ---------------------------------------------------------------- blobs

    def upload(self, plaintext: bytes, *, window: int = BLOB_WINDOW) -> Transfer:
        """Seal ``plaintext`` under a fresh key and upload it; timed from the start to the synced finish."""
        key = os.urandom(32)
        size = sealed_size(len(plaintext))
        began = time.perf_counter()
        blob = self.call("blob_start", size=size)["blob"]
        digest = hashlib.sha256()
        in_flight: list[int] = []
        offset = 0
        for piece in sealed_pieces(key, plaintext):
            digest.update(piece)
            in_flight.append(self.send("blob_put", blob=blob, offset=offset, data=piece))
            offset += len(piece)
            if len(in_flight) >= window:
                self.wait(in_flight.pop(0))
        for request_id in in_flight:
            self.wait(request_id)
        sha = digest.digest()
        self.call("blob_finish", blob=blob, sha256=sha)
        return Transfer(len(plaintext), size, time.perf_counter() - began, blob, key, sha)

    def download(self, blob: str, key: bytes, expected: bytes, *, window: int = BLOB_WINDOW) -> Transfer:
        """Download ``blob`` in pipelined pieces and open it; BlobBenchError unless it is ``expected``."""
        began = time.perf_counter()
        size = self.call("blob_status", blob=blob)["size"]
        decryptor = StreamDecryptor(key, BENCH_STREAM_LABEL)
        offsets = iter(range(0, size, BLOB_PIECE))
        in_flight: list[int] = []
        matched = 0
        for offset in offsets:
            in_flight.append(self.send("blob_get", blob=blob, offset=offset, length=BLOB_PIECE))
            if len(in_flight) >= window:
                matched = self._check(decryptor, self.wait(in_flight.pop(0)), expected, matched)
        for request_id in in_flight:
            matched = self._check(decryptor, self.wait(request_id), expected, matched)
        tail = decryptor.finalize()
        if expected[matched:] != tail:
            raise BlobBenchError("the downloaded file does not match what was uploaded")
        return Transfer(len(expected), size, time.perf_counter() - began, blob)

    @staticmethod
    def _check(decryptor: StreamDecryptor, reply: dict[str, Any], expected: bytes, matched: int) -> int:
        opened = decryptor.update(pybase64.b64decode(reply["data"], validate=True))
        if expected[matched : matched + len(opened)] != opened:
            raise BlobBenchError("the downloaded file does not match what was uploaded")
        return matched + len(opened)
