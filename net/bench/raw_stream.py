"""The attachment bench's yardstick: a raw TLS stream of the same bytes through loopback, nothing else.

A peer process (its own interpreter, as the server is) listens on a loopback
port with a self-signed certificate of the server's kind (``net/server/tls.py``)
and TLS 1.3. A client connection says what it wants in 9 bytes: ``U`` or ``D``
and a length (8 bytes, big-endian). ``U``: the peer reads that many bytes, keeps
them, and answers one byte once it has them all. ``D``: the peer sends the bytes
it kept. No framing, no JSON, no base64, no storage: what the machine's TLS
alone does, for the bench to set Parley's figures beside.
"""

from __future__ import annotations

import multiprocessing
import socket
import ssl
import struct
import tempfile
import time
from multiprocessing.connection import Connection as Pipe
from pathlib import Path

from net.client.transport import client_context
from net.server.tls import ensure_self_signed, server_context

_HEADER = struct.Struct(">cQ")
RECV_SIZE = 1024 * 1024
_CONTEXT = multiprocessing.get_context("spawn")
Address = tuple[str, int]


def _read_exactly(sock: ssl.SSLSocket, size: int) -> bytes:
    parts = bytearray()
    while len(parts) < size:
        data = sock.recv(min(RECV_SIZE, size - len(parts)))
        if not data:
            raise ConnectionError("the stream ended early")
        parts += data
    return bytes(parts)


def _serve(pipe: Pipe) -> None:
    with tempfile.TemporaryDirectory(prefix="parley-raw-") as folder:
        cert, key = ensure_self_signed(Path(folder))
        context = server_context(cert, key)
        listener = socket.create_server(("127.0.0.1", 0))
        pipe.send(listener.getsockname()[:2])
        kept = b""
        while True:
            raw, _ = listener.accept()
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with context.wrap_socket(raw, server_side=True) as sock:
                try:
                    mode, size = _HEADER.unpack(_read_exactly(sock, _HEADER.size))
                except (ConnectionError, ssl.SSLError, OSError):
                    continue
                if mode == b"Q":
                    return
                if mode == b"U":
                    kept = _read_exactly(sock, size)
                    sock.sendall(b"k")
                else:
                    sock.sendall(kept[:size])


class RawPeer:
    """The peer process; :meth:`upload` and :meth:`download` time one stream each."""

    def __init__(self) -> None:
        parent, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(child,), name="raw-tls-peer", daemon=True)
        self.process.start()
        if not parent.poll(60.0):
            self.process.kill()
            raise ConnectionError("the raw TLS peer did not start")
        host, port = parent.recv()
        self.address: Address = (host, port)
        self._context = client_context()

    def _connect(self) -> ssl.SSLSocket:
        raw = socket.create_connection(self.address, timeout=60.0)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._context.wrap_socket(raw)

    def upload(self, data: bytes, piece: int) -> float:
        """Seconds from the connection to the peer's word that it has every byte, sent ``piece`` at a time."""
        began = time.perf_counter()
        with self._connect() as sock:
            sock.sendall(_HEADER.pack(b"U", len(data)))
            view = memoryview(data)
            for start in range(0, len(data), piece):
                sock.sendall(view[start : start + piece])
            _read_exactly(sock, 1)
        return time.perf_counter() - began

    def download(self, size: int) -> float:
        """Seconds from the connection to the last of ``size`` bytes the peer kept."""
        began = time.perf_counter()
        with self._connect() as sock:
            sock.sendall(_HEADER.pack(b"D", size))
            _read_exactly(sock, size)
        return time.perf_counter() - began

    def stop(self) -> None:
        try:
            with self._connect() as sock:
                sock.sendall(_HEADER.pack(b"Q", 0))
        except OSError:
            pass
        self.process.join(10.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(10.0)
