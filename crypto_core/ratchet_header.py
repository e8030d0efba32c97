"""The wire format of a Double Ratchet message.

Byte layout (all integers big-endian)::

    offset  length  field
    0       1       version, currently 0x01
    1       32      DH: the sender's current ratchet public key (X25519, raw)
    33      4       PN: the number of messages in the sender's previous sending chain
    37      4       N: the number of this message in the current sending chain
    41      n+16    AES-256-GCM ciphertext of the plaintext, followed by its 16-byte tag

The 41 bytes before the ciphertext (version and header) are bound into the
AEAD's associated data after the session's own associated data, so that neither
can be changed without the tag failing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from crypto_core.errors import DecryptionError

MESSAGE_VERSION = 1
DH_LEN = 32
#: The largest PN or N the four header bytes hold.
MAX_COUNTER = 2**32 - 1
TAG_LEN = 16
_PREFIX = struct.Struct(">B32sII")
PREFIX_LEN = _PREFIX.size
MIN_MESSAGE_LEN = PREFIX_LEN + TAG_LEN


@dataclass(frozen=True)
class Header:
    """What a ratchet message says in clear: the sender's ratchet key, PN and N."""

    dh: bytes
    pn: int
    n: int

    def prefix(self) -> bytes:
        """The version byte and the encoded header: everything before the ciphertext."""
        return _PREFIX.pack(MESSAGE_VERSION, self.dh, self.pn, self.n)


def split_message(message: bytes) -> tuple[Header, bytes, bytes]:
    """``(header, prefix bytes, ciphertext)``; anything malformed is the opaque DecryptionError."""
    if not isinstance(message, bytes | bytearray | memoryview) or len(message) < MIN_MESSAGE_LEN:
        raise DecryptionError
    message = bytes(message)
    version, dh, pn, n = _PREFIX.unpack_from(message)
    if version != MESSAGE_VERSION:
        raise DecryptionError
    return Header(dh, pn, n), message[:PREFIX_LEN], message[PREFIX_LEN:]
