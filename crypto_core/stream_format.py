"""What tells the versions of a sealed stream apart: where the counter and the last flag go, the key label.

The byte layouts are described in full in :mod:`crypto_core.stream`, which reads
every version here and writes the newest.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@dataclass(frozen=True)
class Format:
    """Where one version puts the counter and the last flag, and the label of its chunk key."""

    version: int
    chunk_key_info: bytes
    flag_in_nonce: bool

    def nonce(self, prefix: bytes, counter: int, last: bool) -> bytes:
        if self.flag_in_nonce:
            return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")
        return prefix + counter.to_bytes(5, "big")

    def aad(self, header: bytes, associated: bytes, last: bool) -> bytes:
        if self.flag_in_nonce:
            return header + associated
        return header + (b"\x01" if last else b"\x00") + associated

    def aead(self, key: bytes) -> AESGCM:
        return AESGCM(
            HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=self.chunk_key_info).derive(key)
        )


FORMATS = {
    1: Format(1, b"Parley stream chunks v1", flag_in_nonce=True),
    2: Format(2, b"Parley stream chunks v2", flag_in_nonce=False),
}
READABLE = tuple(sorted(FORMATS))
