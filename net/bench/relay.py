"""The raw baseline: a minimal plain-TCP relay of Parley frames.

No TLS, no database, no cryptography, no checks: one thread, one ``selectors``
loop, a dictionary from phone to connection. It understands just enough of the
protocol to carry the bench's traffic — ``login`` (by phone, no signature),
``send`` (replied to at once and pushed to the recipient), ``ack`` and ``ping`` —
so the same clients, sending the same frames, measure what this machine can
relay at best. Parley's throughput is reported as a fraction of it.
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

_HEADER = struct.Struct(">I")
_RECV = 256 * 1024


class _Peer:
    __slots__ = ("sock", "inbox", "outbox", "phone", "watching_writes", "closed")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.inbox = bytearray()
        self.outbox = bytearray()
        self.phone: str | None = None
        self.watching_writes = False
        self.closed = False


def _frame(obj: dict[str, Any]) -> bytes:
    payload = json.dumps(obj, separators=(",", ":")).encode()
    return _HEADER.pack(len(payload)) + payload


class Relay:
    """Serve ``listener`` until ``should_stop`` says so (checked about twice a second)."""

    def __init__(self, listener: socket.socket) -> None:
        listener.setblocking(False)
        self._listener = listener
        self._selector = selectors.DefaultSelector()
        self._selector.register(listener, selectors.EVENT_READ, None)
        self._online: dict[str, _Peer] = {}
        self._next_id = 0
        self._dirty: set[_Peer] = set()

    def serve(self, should_stop: Callable[[], bool]) -> None:
        try:
            while not should_stop():
                for key, mask in self._selector.select(0.5):
                    peer: _Peer | None = key.data
                    if peer is None:
                        self._accept()
                    elif mask & selectors.EVENT_READ:
                        self._read(peer)
                    else:
                        self._dirty.add(peer)
                for peer in self._dirty:
                    self._flush(peer)
                self._dirty.clear()
        finally:
            for key in list(self._selector.get_map().values()):
                key.fileobj.close()  # type: ignore[union-attr]
            self._selector.close()

    def _accept(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while True:
                sock, _ = self._listener.accept()
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._selector.register(sock, selectors.EVENT_READ, _Peer(sock))

    def _read(self, peer: _Peer) -> None:
        try:
            data = peer.sock.recv(_RECV)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(peer)
            return
        peer.inbox += data
        buffer, start = peer.inbox, 0
        while len(buffer) - start >= 4:
            (length,) = _HEADER.unpack_from(buffer, start)
            end = start + 4 + length
            if len(buffer) < end:
                break
            self._handle(peer, json.loads(bytes(buffer[start + 4 : end])))
            start = end
            if peer.closed:
                return
        del buffer[:start]

    def _handle(self, peer: _Peer, request: dict[str, Any]) -> None:
        op, request_id = request.get("op"), request.get("id")
        reply: dict[str, Any] = {"re": request_id, "ok": True}
        if op == "send":
            self._next_id += 1
            now = int(time.time() * 1000)
            reply.update(id=self._next_id, ts=now, duplicate=False)
            target = self._online.get(request["to"])
            if target is not None:
                push = {"push": "message", "id": self._next_id, "from": peer.phone, "body": request["body"]}
                self._send(target, _frame({**push, "ts": now}))
        elif op == "ack":
            reply["deleted"] = len(request["ids"])
        elif op == "login":
            peer.phone = request["phone"]
            self._online[request["phone"]] = peer
            reply.update(phone=request["phone"], queued=0)
        elif op == "ping":
            reply["time"] = int(time.time() * 1000)
        else:
            reply = {"re": request_id, "ok": False, "error": {"code": "unknown_op", "message": "not relayed"}}
        self._send(peer, _frame(reply))

    def _send(self, peer: _Peer, data: bytes) -> None:
        peer.outbox += data
        self._dirty.add(peer)

    def _flush(self, peer: _Peer) -> None:
        if peer.closed:
            return
        if peer.outbox:
            try:
                sent = peer.sock.send(peer.outbox)
                del peer.outbox[:sent]
            except BlockingIOError:
                pass
            except OSError:
                self._drop(peer)
                return
        wanted = bool(peer.outbox)
        if wanted != peer.watching_writes:
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if wanted else 0)
            self._selector.modify(peer.sock, events, peer)
            peer.watching_writes = wanted

    def _drop(self, peer: _Peer) -> None:
        if peer.phone is not None and self._online.get(peer.phone) is peer:
            del self._online[peer.phone]
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(peer.sock)
        peer.closed = True
        peer.sock.close()
        peer.outbox.clear()


def listen(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    listener = socket.create_server((host, port), backlog=1024)
    return listener
