"""Blobs on the wire: the sizes both sides share and the check of a blob id.

A blob is a file's sealed bytes held by the server for a while (the
``blob_*`` operations of PROTOCOL.md, section "Blobs"). Its id is 32 random
bytes in base64url without padding (43 characters): whoever knows it may read
the finished blob, so it is made unguessable and never logged (its check as a
request field is ``schema.blob_id``).

:data:`BLOB_PIECE` is the most bytes one ``blob_put`` carries or one
``blob_get`` asks for; its base64 (699,052 characters) and the request around
it fit the default 1 MiB frame. :data:`BLOB_WINDOW` is how many puts or gets a
client keeps in flight on one connection: enough to keep the link busy while
the server handles the one before, few enough that the replies waiting for it
stay under the server's 4 MiB limit of unread output.
"""

from __future__ import annotations

import base64
from typing import Final

#: Bytes of one put or get.
BLOB_PIECE: Final = 512 * 1024
#: Puts or gets a client keeps in flight (the server answers them one at a time, in order).
BLOB_WINDOW: Final = 4
#: Random bytes of a blob id (256 bits: an unguessable capability).
BLOB_ID_BYTES: Final = 32
#: Characters of a blob id: base64url of 32 bytes, no padding.
BLOB_ID_LENGTH: Final = 43
#: The largest size the schema lets through (what JSON keeps exact); the server's own limit is lower.
MAX_BLOB_SIZE: Final = 2**53 - 1


def encode_blob_id(raw: bytes) -> str:
    """The id of ``raw`` random bytes as it travels."""
    if len(raw) != BLOB_ID_BYTES:
        raise ValueError(f"a blob id is {BLOB_ID_BYTES} bytes")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
