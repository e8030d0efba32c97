"""A device's name, sealed so that only the account's own devices can read it.

The server keeps each device's name for the list of linked devices, but only as
opaque bytes: the name is sealed with AES-256-GCM under a key derived from the
identity's private X25519 key (label ``Parley device name v1``), which every device of
the account holds and nobody else does. The sealed form is::

    version (1) || nonce (12) || AES-256-GCM(key, padded name, ad = label || version)

The name (UTF-8, at most :data:`MAX_NAME_BYTES`) is prefixed with its length (u16) and
padded with zeros to the next bucket of :data:`BUCKETS`, so the server learns little more
than "short" or "long". Sealed names are at most 285 bytes (the wire allows 512).
A name that does not open is the one opaque :class:`~crypto_core.errors.DecryptionError`.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto_core.encoding import RandomSource, default_random
from crypto_core.errors import DecryptionError, InvalidKeyFormat
from crypto_core.keys import IdentityKeyPair

NAME_VERSION = 1
BUCKETS = (32, 64, 128, 256)
MAX_NAME_BYTES = BUCKETS[-1] - 2
_KEY_LABEL = b"Parley device name v1"
_AAD = b"Parley device name v1\x00" + bytes([NAME_VERSION])
_NONCE_LEN = 12
_TAG_LEN = 16


def _pad(name: str) -> bytes:
    raw = name.encode("utf-8")
    if len(raw) > MAX_NAME_BYTES:
        raise InvalidKeyFormat(f"device name: at most {MAX_NAME_BYTES} bytes of UTF-8")
    framed = len(raw).to_bytes(2, "big") + raw
    bucket = next(size for size in BUCKETS if size >= len(framed))
    return framed + bytes(bucket - len(framed))


def _unpad(padded: bytes) -> str:
    if len(padded) not in BUCKETS:
        raise DecryptionError
    length = int.from_bytes(padded[:2], "big")
    if length > len(padded) - 2 or any(padded[2 + length :]):
        raise DecryptionError
    try:
        return padded[2 : 2 + length].decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionError from None


def seal_name(identity: IdentityKeyPair, name: str, *, random: RandomSource = default_random) -> bytes:
    """Seal ``name`` for the server to keep; only devices holding ``identity`` can open it."""
    nonce = random(_NONCE_LEN)
    aead = AESGCM(identity.derive_secret(_KEY_LABEL))
    return bytes([NAME_VERSION]) + nonce + aead.encrypt(nonce, _pad(name), _AAD)


def open_name(identity: IdentityKeyPair, sealed: bytes) -> str:
    """The name sealed by :func:`seal_name`; any defect is the one opaque DecryptionError."""
    if len(sealed) < 1 + _NONCE_LEN + _TAG_LEN + BUCKETS[0] or sealed[0] != NAME_VERSION:
        raise DecryptionError
    aead = AESGCM(identity.derive_secret(_KEY_LABEL))
    try:
        padded = aead.decrypt(sealed[1 : 1 + _NONCE_LEN], sealed[1 + _NONCE_LEN :], _AAD)
    except InvalidTag:
        raise DecryptionError from None
    return _unpad(padded)
