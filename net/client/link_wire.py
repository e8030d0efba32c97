"""The server's link operations on the engine's own connection: :class:`~net.client.linking.LinkWire`.

``link_open``, ``link_relay`` and ``link_device`` run before any login (the new computer has no
account yet); ``link_join`` on a logged-in device. The new device's login is the ordinary
``challenge``/``login``, signed with its own login key and naming its device
(:meth:`net.client.link.Link.login`); blobs are the ``blob_*`` operations, one piece at a time
(a provisioning is read and written whole, once).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from net.client.link import Link
from net.client.link_end import LinkRefused
from net.client.transport import ConnectionLost, ServerConnection
from net.protocol import blob_replies
from net.protocol.blobs import BLOB_PIECE
from net.protocol.errors import RequestRefused

T = TypeVar("T")


class EngineWire:
    """LinkWire over :class:`~net.client.link.Link`'s connection (opened by the caller)."""

    def __init__(self, link: Link) -> None:
        self._link = link

    def _conn(self) -> ServerConnection:
        conn = self._link.conn
        if conn is None:
            raise ConnectionLost("not connected")
        return conn

    def _call(self, step: Callable[[ServerConnection], T]) -> T:
        try:
            return step(self._conn())
        except RequestRefused as exc:
            raise LinkRefused(exc.code, exc.message) from None

    @property
    def fingerprint(self) -> bytes:
        return self._conn().fingerprint

    def open(self, key: bytes) -> tuple[str, int]:
        reply = self._call(lambda c: c.link_open(key))
        return reply.code, reply.expires_in

    def join(self, code: str, key: bytes) -> bytes:
        return self._call(lambda c: c.link_join(code, key)).key

    def relay(self, code: str, body: bytes) -> None:
        self._call(lambda c: c.link_relay(code, body))

    def link_device(self, fields: dict[str, Any]) -> tuple[str, int]:
        reply = self._call(lambda c: c.link_device(**fields))
        return reply.phone, reply.device

    def log_in(self, phone: str, device: int, login_key: Ed25519PrivateKey) -> list[int]:
        reply = self._call(lambda _c: self._link.login_device(phone, device, login_key))
        return list(reply.devices)

    def put_blob(self, data: bytes) -> str:
        def upload(c: ServerConnection) -> str:
            blob = c.request(blob_replies.BLOB_START, size=len(data)).blob
            for offset in range(0, len(data), BLOB_PIECE):
                c.request(
                    blob_replies.BLOB_PUT, blob=blob, offset=offset, data=data[offset : offset + BLOB_PIECE]
                )
            c.request(blob_replies.BLOB_FINISH, blob=blob, sha256=hashlib.sha256(data).digest())
            return str(blob)

        return self._call(upload)

    def get_blob(self, blob: str, size: int) -> bytes:
        def download(c: ServerConnection) -> bytes:
            pieces = []
            for offset in range(0, size, BLOB_PIECE):
                length = min(BLOB_PIECE, size - offset)
                pieces.append(c.request(blob_replies.BLOB_GET, blob=blob, offset=offset, length=length).data)
            return b"".join(pieces)

        return self._call(download)
