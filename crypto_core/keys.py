"""Identity keys and prekeys, public bundles, and their serialisation.

As in Signal, an identity is long-lived and every other key is signed by it.
Unlike Signal we keep two identity keys instead of one XEdDSA key: an Ed25519
key that signs, and an X25519 key that takes part in PQXDH. The X25519 key is
itself signed by the Ed25519 key, so the pair stands or falls together.

Every signature covers a statement with its own purpose label (the statements,
the ``Encode(PK)`` form and the strict parsing of public keys are in
:mod:`crypto_core.key_encoding`), so a signature made for one slot can never be
replayed in another.

Public parts serialise to JSON dicts with base64 fields (the wire format);
private parts to JSON dicts too (sealed by the profile before they touch disk).
``to_bytes`` gives the compact canonical JSON text of either, one spelling per
value, so known-answer tests can pin it. Parsing is strict: wrong lengths, bad or
non-canonical base64, wrong types and invalid ML-KEM keys raise InvalidKeyFormat.
No repr or str here ever shows private material.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Self

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM1024PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto_core.encoding import (
    RandomSource,
    b64decode,
    b64encode,
    default_random,
    expect_dict,
    require_bool,
    require_int,
)
from crypto_core.errors import InvalidKeyFormat
from crypto_core.key_encoding import (
    MLKEM1024_SEED_LEN,
    PURPOSE_IDENTITY_DH,
    PURPOSE_KEM_LAST_RESORT,
    PURPOSE_KEM_PREKEY,
    PURPOSE_SIGNED_PREKEY,
    SIGNATURE_LEN,
    X25519_LEN,
    Serialised,
    ed25519_public,
    encode_mlkem,
    encode_x25519,
    mlkem_public,
    signed_statement,
    verify_signature,
)


def x25519_public_bytes(private: X25519PrivateKey) -> bytes:
    return private.public_key().public_bytes_raw()


# --------------------------------------------------------------------------- public parts


@dataclass(frozen=True)
class PublicIdentity(Serialised):
    """Someone's public identity: Ed25519 signing key, X25519 key and the signature binding them."""

    signing_key: bytes
    dh_key: bytes
    dh_signature: bytes

    def verify(self) -> None:
        """Check that the X25519 key really belongs to the signing key."""
        statement = signed_statement(PURPOSE_IDENTITY_DH, 0, encode_x25519(self.dh_key))
        verify_signature(self.signing_key, self.dh_signature, statement, "identity key")

    def encoded(self) -> bytes:
        """The 64 bytes that name this identity in associated data and safety numbers."""
        return self.signing_key + self.dh_key

    def short_id(self) -> str:
        """A short hex digest for logs and reprs (public, so safe to show).

        Not a fingerprint: in Parley that word names the server's TLS key; people compare
        identities by their safety number (:mod:`crypto_core.safety_number`).
        """
        return hashlib.sha256(self.encoded()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        return {
            "sign": b64encode(self.signing_key),
            "dh": b64encode(self.dh_key),
            "sig": b64encode(self.dh_signature),
        }

    @classmethod
    def from_json(cls, data: object) -> Self:
        d = expect_dict(data, "identity")
        return cls(
            signing_key=ed25519_public(d.get("sign"), what="identity.sign"),
            dh_key=b64decode(d.get("dh"), length=X25519_LEN, what="identity.dh"),
            dh_signature=b64decode(d.get("sig"), length=SIGNATURE_LEN, what="identity.sig"),
        )


@dataclass(frozen=True)
class SignedPreKeyPublic(Serialised):
    key_id: int
    public: bytes
    signature: bytes

    def verify(self, identity: PublicIdentity) -> None:
        statement = signed_statement(PURPOSE_SIGNED_PREKEY, self.key_id, encode_x25519(self.public))
        verify_signature(identity.signing_key, self.signature, statement, "signed prekey")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.key_id, "key": b64encode(self.public), "sig": b64encode(self.signature)}

    @classmethod
    def from_json(cls, data: object) -> Self:
        d = expect_dict(data, "signed prekey")
        return cls(
            key_id=require_int(d.get("id"), what="signed prekey id"),
            public=b64decode(d.get("key"), length=X25519_LEN, what="signed prekey key"),
            signature=b64decode(d.get("sig"), length=SIGNATURE_LEN, what="signed prekey sig"),
        )


@dataclass(frozen=True)
class OneTimePreKeyPublic(Serialised):
    key_id: int
    public: bytes

    def to_json(self) -> dict[str, Any]:
        return {"id": self.key_id, "key": b64encode(self.public)}

    @classmethod
    def from_json(cls, data: object) -> Self:
        d = expect_dict(data, "one-time prekey")
        return cls(
            key_id=require_int(d.get("id"), what="one-time prekey id"),
            public=b64decode(d.get("key"), length=X25519_LEN, what="one-time prekey key"),
        )


@dataclass(frozen=True)
class KemPreKeyPublic(Serialised):
    key_id: int
    public: bytes
    signature: bytes
    last_resort: bool

    @property
    def purpose(self) -> bytes:
        return PURPOSE_KEM_LAST_RESORT if self.last_resort else PURPOSE_KEM_PREKEY

    def verify(self, identity: PublicIdentity) -> None:
        statement = signed_statement(self.purpose, self.key_id, encode_mlkem(self.public))
        verify_signature(identity.signing_key, self.signature, statement, "ML-KEM prekey")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.key_id,
            "key": b64encode(self.public),
            "sig": b64encode(self.signature),
            "last_resort": self.last_resort,
        }

    @classmethod
    def from_json(cls, data: object) -> Self:
        d = expect_dict(data, "ML-KEM prekey")
        return cls(
            key_id=require_int(d.get("id"), what="ML-KEM prekey id"),
            public=mlkem_public(d.get("key"), what="ML-KEM prekey key"),
            signature=b64decode(d.get("sig"), length=SIGNATURE_LEN, what="ML-KEM prekey sig"),
            last_resort=require_bool(d.get("last_resort"), what="ML-KEM prekey last_resort"),
        )


@dataclass(frozen=True)
class PreKeyBundle(Serialised):
    """What the server hands out so that someone can start a session with its owner."""

    identity: PublicIdentity
    signed_prekey: SignedPreKeyPublic
    kem_prekey: KemPreKeyPublic
    one_time_prekey: OneTimePreKeyPublic | None = None

    def verify(self) -> None:
        """Check every signature; raise :class:`InvalidSignature` naming the bad one."""
        self.identity.verify()
        self.signed_prekey.verify(self.identity)
        self.kem_prekey.verify(self.identity)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "identity": self.identity.to_json(),
            "signed_prekey": self.signed_prekey.to_json(),
            "kem_prekey": self.kem_prekey.to_json(),
        }
        if self.one_time_prekey is not None:
            out["one_time_prekey"] = self.one_time_prekey.to_json()
        return out

    @classmethod
    def from_json(cls, data: object) -> Self:
        d = expect_dict(data, "bundle")
        otk = d.get("one_time_prekey")
        return cls(
            identity=PublicIdentity.from_json(d.get("identity")),
            signed_prekey=SignedPreKeyPublic.from_json(d.get("signed_prekey")),
            kem_prekey=KemPreKeyPublic.from_json(d.get("kem_prekey")),
            one_time_prekey=None if otk is None else OneTimePreKeyPublic.from_json(otk),
        )


# --------------------------------------------------------------------------- private parts


class IdentityKeyPair(Serialised):
    """Our long-term identity. Private; never printed."""

    __slots__ = ("_signing", "_dh", "public")

    def __init__(self, signing: Ed25519PrivateKey, dh: X25519PrivateKey) -> None:
        self._signing = signing
        self._dh = dh
        dh_public = x25519_public_bytes(dh)
        statement = signed_statement(PURPOSE_IDENTITY_DH, 0, encode_x25519(dh_public))
        self.public = PublicIdentity(
            signing_key=signing.public_key().public_bytes_raw(),
            dh_key=dh_public,
            dh_signature=signing.sign(statement),
        )

    @classmethod
    def generate(cls, random: RandomSource = default_random) -> IdentityKeyPair:
        return cls(
            Ed25519PrivateKey.from_private_bytes(random(32)),
            X25519PrivateKey.from_private_bytes(random(32)),
        )

    def sign(self, message: bytes) -> bytes:
        return self._signing.sign(message)

    def dh(self, peer_public: bytes) -> bytes:
        return x25519(self._dh, peer_public)

    def derive_secret(self, label: bytes) -> bytes:
        """A 32-byte key for one purpose (``label``), derived from the private X25519 key.

        Every device of an account holds the same identity, so such a key is shared by
        exactly those devices (device names are sealed with one) and by nobody else.
        """
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
            self._dh.private_bytes_raw()
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "sign": b64encode(self._signing.private_bytes_raw()),
            "dh": b64encode(self._dh.private_bytes_raw()),
        }

    @classmethod
    def from_json(cls, data: object) -> Self:
        d = expect_dict(data, "identity key pair")
        return cls(
            Ed25519PrivateKey.from_private_bytes(b64decode(d.get("sign"), length=32, what="identity.sign")),
            X25519PrivateKey.from_private_bytes(b64decode(d.get("dh"), length=32, what="identity.dh")),
        )

    def __repr__(self) -> str:
        return f"IdentityKeyPair(public={self.public.short_id()})"


class SignedPreKey(Serialised):
    """A signed X25519 prekey with its creation time (seconds), for rotation."""

    __slots__ = ("key_id", "private", "signature", "created_at")

    def __init__(self, key_id: int, private: X25519PrivateKey, signature: bytes, created_at: int) -> None:
        self.key_id = key_id
        self.private = private
        self.signature = signature
        self.created_at = created_at

    @classmethod
    def generate(
        cls, identity: IdentityKeyPair, key_id: int, created_at: int, random: RandomSource = default_random
    ) -> SignedPreKey:
        private = X25519PrivateKey.from_private_bytes(random(32))
        statement = signed_statement(
            PURPOSE_SIGNED_PREKEY, key_id, encode_x25519(x25519_public_bytes(private))
        )
        return cls(key_id, private, identity.sign(statement), created_at)

    def public(self) -> SignedPreKeyPublic:
        return SignedPreKeyPublic(self.key_id, x25519_public_bytes(self.private), self.signature)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.key_id,
            "key": b64encode(self.private.private_bytes_raw()),
            "sig": b64encode(self.signature),
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, data: object) -> Self:
        d = expect_dict(data, "signed prekey")
        return cls(
            require_int(d.get("id"), what="signed prekey id"),
            X25519PrivateKey.from_private_bytes(b64decode(d.get("key"), length=32, what="signed prekey")),
            b64decode(d.get("sig"), length=SIGNATURE_LEN, what="signed prekey sig"),
            require_int(d.get("created_at"), what="signed prekey created_at", high=2**63 - 1),
        )

    def __repr__(self) -> str:
        return f"SignedPreKey(id={self.key_id}, created_at={self.created_at})"


class OneTimePreKey(Serialised):
    """A one-time X25519 prekey: used for at most one session, then deleted."""

    __slots__ = ("key_id", "private")

    def __init__(self, key_id: int, private: X25519PrivateKey) -> None:
        self.key_id = key_id
        self.private = private

    @classmethod
    def generate(cls, key_id: int, random: RandomSource = default_random) -> OneTimePreKey:
        return cls(key_id, X25519PrivateKey.from_private_bytes(random(32)))

    def public(self) -> OneTimePreKeyPublic:
        return OneTimePreKeyPublic(self.key_id, x25519_public_bytes(self.private))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.key_id, "key": b64encode(self.private.private_bytes_raw())}

    @classmethod
    def from_json(cls, data: object) -> Self:
        d = expect_dict(data, "one-time prekey")
        return cls(
            require_int(d.get("id"), what="one-time prekey id"),
            X25519PrivateKey.from_private_bytes(b64decode(d.get("key"), length=32, what="one-time prekey")),
        )

    def __repr__(self) -> str:
        return f"OneTimePreKey(id={self.key_id})"


class KemPreKey(Serialised):
    """A signed ML-KEM-1024 prekey, one-time or last-resort. Stored as its 64-byte seed."""

    __slots__ = ("key_id", "seed", "private", "signature", "last_resort")

    def __init__(self, key_id: int, seed: bytes, signature: bytes, last_resort: bool) -> None:
        if len(seed) != MLKEM1024_SEED_LEN:
            raise InvalidKeyFormat(f"ML-KEM prekey seed: expected {MLKEM1024_SEED_LEN} bytes")
        self.key_id = key_id
        self.seed = seed
        self.private = MLKEM1024PrivateKey.from_seed_bytes(seed)
        self.signature = signature
        self.last_resort = last_resort

    @classmethod
    def generate(
        cls,
        identity: IdentityKeyPair,
        key_id: int,
        *,
        last_resort: bool,
        random: RandomSource = default_random,
    ) -> KemPreKey:
        seed = random(MLKEM1024_SEED_LEN)
        public = MLKEM1024PrivateKey.from_seed_bytes(seed).public_key().public_bytes_raw()
        purpose = PURPOSE_KEM_LAST_RESORT if last_resort else PURPOSE_KEM_PREKEY
        signature = identity.sign(signed_statement(purpose, key_id, encode_mlkem(public)))
        return cls(key_id, seed, signature, last_resort)

    def public(self) -> KemPreKeyPublic:
        return KemPreKeyPublic(
            self.key_id, self.private.public_key().public_bytes_raw(), self.signature, self.last_resort
        )

    def decapsulate(self, ciphertext: bytes) -> bytes:
        return self.private.decapsulate(ciphertext)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.key_id,
            "seed": b64encode(self.seed),
            "sig": b64encode(self.signature),
            "last_resort": self.last_resort,
        }

    @classmethod
    def from_json(cls, data: object) -> Self:
        d = expect_dict(data, "ML-KEM prekey")
        return cls(
            require_int(d.get("id"), what="ML-KEM prekey id"),
            b64decode(d.get("seed"), length=MLKEM1024_SEED_LEN, what="ML-KEM prekey seed"),
            b64decode(d.get("sig"), length=SIGNATURE_LEN, what="ML-KEM prekey sig"),
            require_bool(d.get("last_resort"), what="ML-KEM prekey last_resort"),
        )

    def __repr__(self) -> str:
        kind = "last-resort" if self.last_resort else "one-time"
        return f"KemPreKey(id={self.key_id}, {kind})"


def x25519(private: X25519PrivateKey, peer_public: bytes) -> bytes:
    """X25519 agreement; a low-order peer key (all-zero output) is a format error, not a key."""
    try:
        return private.exchange(X25519PublicKey.from_public_bytes(peer_public))
    except ValueError:
        raise InvalidKeyFormat("X25519 public key is invalid or of low order") from None
