"""How keys are written and signed: Encode(PK), lengths, signed statements, strict public-key parsing.

Every signature covers a statement with its own purpose label, the key's id and
the key in Signal's ``Encode(PK)`` form (a type byte, then the raw key), so a
signature made for one slot can never be replayed in another. Public keys read
from the wire are checked here (length, canonical base64, a valid curve point or
ML-KEM key) before any other module sees them. :class:`Serialised` gives every
key type of :mod:`crypto_core.keys` its one canonical byte spelling.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Self

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM1024PublicKey

from crypto_core.encoding import b64decode, canonical_json, parse_json, u32
from crypto_core.errors import InvalidKeyFormat, InvalidSignature

#: Type bytes of Signal's Encode(PK): 0x05 for Curve25519, 0x0A for ML-KEM-1024.
KEY_TYPE_X25519 = 0x05
KEY_TYPE_MLKEM1024 = 0x0A

X25519_LEN = 32
ED25519_LEN = 32
SIGNATURE_LEN = 64
MLKEM1024_PUBLIC_LEN = 1568
MLKEM1024_CIPHERTEXT_LEN = 1568
MLKEM1024_SEED_LEN = 64

_STATEMENT_PREFIX = b"Parley signature v1\x00"
PURPOSE_IDENTITY_DH = b"identity-dh"
PURPOSE_SIGNED_PREKEY = b"signed-prekey"
PURPOSE_KEM_PREKEY = b"kem-one-time-prekey"
PURPOSE_KEM_LAST_RESORT = b"kem-last-resort-prekey"


def encode_x25519(public: bytes) -> bytes:
    """Signal's Encode(PK) for a Curve25519 key."""
    return bytes([KEY_TYPE_X25519]) + public


def encode_mlkem(public: bytes) -> bytes:
    """Signal's Encode(PK) for an ML-KEM-1024 key."""
    return bytes([KEY_TYPE_MLKEM1024]) + public


def signed_statement(purpose: bytes, key_id: int, encoded_key: bytes) -> bytes:
    """What a signature covers: a versioned prefix, the purpose, the key id and the key."""
    return _STATEMENT_PREFIX + purpose + b"\x00" + u32(key_id) + encoded_key


def verify_signature(signing_public: bytes, signature: bytes, statement: bytes, what: str) -> None:
    """Check an Ed25519 signature; raise :class:`InvalidSignature` naming ``what``."""
    try:
        Ed25519PublicKey.from_public_bytes(signing_public).verify(signature, statement)
    except (_CryptoInvalidSignature, ValueError):
        raise InvalidSignature(f"the signature on the {what} does not verify") from None


def ed25519_public(data: object, what: str) -> bytes:
    raw = b64decode(data, length=ED25519_LEN, what=what)
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise InvalidKeyFormat(f"{what}: not an Ed25519 public key") from None
    return raw


def mlkem_public(data: object, what: str) -> bytes:
    # FIPS 203 asks for this input check (every coefficient below q) before encapsulating.
    raw = b64decode(data, length=MLKEM1024_PUBLIC_LEN, what=what)
    try:
        MLKEM1024PublicKey.from_public_bytes(raw)
    except ValueError:
        raise InvalidKeyFormat(f"{what}: not an ML-KEM-1024 public key") from None
    return raw


class Serialised(ABC):
    """Compact bytes for anything with ``to_json``/``from_json``: the canonical JSON text."""

    __slots__ = ()

    @abstractmethod
    def to_json(self) -> dict[str, Any]: ...

    @classmethod
    @abstractmethod
    def from_json(cls, data: object) -> Self: ...

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        return cls.from_json(parse_json(data, what=cls.__name__))
