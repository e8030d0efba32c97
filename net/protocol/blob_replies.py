"""The replies of the blob operations, as the client checks them (PROTOCOL.md, section "Blobs").

Like every reply of :mod:`net.protocol.replies` (which lists these in its
``REPLIES``): checked field by field into a frozen dataclass, a broken one a
``bad_reply`` naming the field. A reply's counts are checked against each other
where the protocol relates them (``received`` never past ``size``); ``data`` of
a ``blob_get`` is bytes, kept out of reprs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from net.protocol.blobs import BLOB_PIECE
from net.protocol.errors import RemoteProtocolError
from net.protocol.reply_shapes import BAD_REPLY, COUNT, TS, Shape, reply
from net.protocol.schema import Field, base64_bytes, blob_id, boolean, integer

# The ``size`` of a blob: at least one byte (``blob_start`` allows no empty blob).
SIZE = integer(1, 2**53 - 1)


@dataclass(frozen=True)
class BlobStartReply:
    blob: str  # the id: a capability, so kept out of reprs
    expires: int  # ms since the epoch

    def __repr__(self) -> str:
        return f"BlobStartReply(expires={self.expires})"


@dataclass(frozen=True)
class BlobPutReply:
    received: int  # bytes the server holds, contiguous from 0


@dataclass(frozen=True)
class BlobStatusReply:
    size: int
    received: int
    done: bool
    expires: int


@dataclass(frozen=True)
class BlobFinishReply:
    size: int
    expires: int


@dataclass(frozen=True)
class BlobGetReply:
    data: bytes
    size: int  # the whole blob's

    def __repr__(self) -> str:
        return f"BlobGetReply(size={self.size}, data={len(self.data)} bytes)"


@dataclass(frozen=True)
class BlobDeleteReply:
    """``blob_delete`` answers no fields."""


def _status(size: int, received: int, done: bool, expires: int) -> BlobStatusReply:
    if received > size or (done and received != size):
        raise RemoteProtocolError(BAD_REPLY, "blob_status reply.received: does not fit size and done")
    return BlobStatusReply(size, received, done, expires)


BLOB_START = reply("blob_start", BlobStartReply, Field("blob", blob_id), Field("expires", TS))
BLOB_PUT = reply("blob_put", BlobPutReply, Field("received", COUNT))
BLOB_STATUS = reply(
    "blob_status",
    _status,
    Field("size", SIZE),
    Field("received", COUNT),
    Field("done", boolean),
    Field("expires", TS),
)
BLOB_FINISH = reply("blob_finish", BlobFinishReply, Field("size", SIZE), Field("expires", TS))
BLOB_GET = reply("blob_get", BlobGetReply, Field("data", base64_bytes(BLOB_PIECE)), Field("size", SIZE))
BLOB_DELETE = reply("blob_delete", BlobDeleteReply)

#: The shapes of the blob operations, for ``replies.REPLIES``.
BLOB_REPLIES: tuple[Shape[Any], ...] = (BLOB_START, BLOB_PUT, BLOB_STATUS, BLOB_FINISH, BLOB_GET, BLOB_DELETE)
