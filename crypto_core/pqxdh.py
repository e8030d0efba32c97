"""PQXDH session start, after Signal's PQXDH specification (revision 1).

Parameters (section 2.2 of the specification):

* curve: X25519; hash: SHA-256; pqkem: ML-KEM-1024 (the standardised CRYSTALS-Kyber-1024);
* info: ``Parley_PQXDH_CURVE25519_SHA-256_ML-KEM-1024``;
* EncodeEC / EncodeKEM: a type byte (0x05 / 0x0A) followed by the raw key;
* identity keys: an X25519 key signed by an Ed25519 key (see :mod:`crypto_core.keys`)
  instead of one XEdDSA key; AD = Encode(IK_A) || Encode(IK_B) with each identity
  encoded as its 32-byte Ed25519 key followed by its 32-byte X25519 key.

The initiator (Alice) verifies every signature in Bob's bundle, then::

    DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)
    DH4 = DH(EK_A, OPK_B)   (only if the bundle had a one-time prekey)
    (CT, SS) = PQKEM-ENC(PQPK_B)
    SK = HKDF(salt = 32 zero bytes, IKM = 32 0xFF bytes || DH1 || DH2 || DH3 [|| DH4] || SS,
              info, 32 bytes)

The ephemeral key and the DH outputs are dropped once SK is known. The responder
recomputes SK from the :class:`InitialMessage` and reports which one-time prekeys
it must now delete.

Where we differ from the specification, and why:

* two identity keys instead of one XEdDSA key (``cryptography`` has no XEdDSA);
* each signature covers a labelled statement with the key's id and, for ML-KEM
  keys, whether it is last-resort, instead of the bare encoded key: a signature
  cannot be moved to another id or kind, and a server cannot pass a last-resort
  key off as one-time (or the reverse) to change what the responder deletes;
* a bundle's ML-KEM key gets FIPS 203's encapsulation-key check when parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM1024PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto_core.encoding import (
    RandomSource,
    b64decode,
    b64encode,
    canonical_json,
    default_random,
    expect_dict,
    parse_json,
    require_int,
)
from crypto_core.errors import InvalidKeyFormat, UnknownPreKey
from crypto_core.key_encoding import MLKEM1024_CIPHERTEXT_LEN, X25519_LEN
from crypto_core.keys import (
    IdentityKeyPair,
    KemPreKey,
    OneTimePreKey,
    PreKeyBundle,
    PublicIdentity,
    SignedPreKey,
    x25519,
    x25519_public_bytes,
)

PQXDH_INFO = b"Parley_PQXDH_CURVE25519_SHA-256_ML-KEM-1024"
_F = b"\xff" * 32
KEM_SECRET_LEN = 32
_SALT = b"\x00" * 32

#: Encapsulation is injectable because ML-KEM's own randomness cannot be: a
#: known-answer test passes a function returning a recorded (shared secret, ciphertext).
Encapsulate = Callable[[MLKEM1024PublicKey], tuple[bytes, bytes]]


def _default_encapsulate(public: MLKEM1024PublicKey) -> tuple[bytes, bytes]:
    return public.encapsulate()


def derive_secret(dh_outputs: list[bytes], kem_secret: bytes) -> bytes:
    """The PQXDH KDF: HKDF-SHA256 over F || DH1 || ... || SS."""
    ikm = _F + b"".join(dh_outputs) + kem_secret
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=PQXDH_INFO).derive(ikm)


def associated_data(initiator: PublicIdentity, responder: PublicIdentity) -> bytes:
    return initiator.encoded() + responder.encoded()


@dataclass(frozen=True)
class InitialMessage:
    """What Alice sends with her first ratchet message so that Bob can derive SK."""

    identity: PublicIdentity
    ephemeral: bytes
    kem_ciphertext: bytes
    signed_prekey_id: int
    kem_prekey_id: int
    one_time_prekey_id: int | None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "identity": self.identity.to_json(),
            "ek": b64encode(self.ephemeral),
            "ct": b64encode(self.kem_ciphertext),
            "spk": self.signed_prekey_id,
            "kem": self.kem_prekey_id,
        }
        if self.one_time_prekey_id is not None:
            out["otk"] = self.one_time_prekey_id
        return out

    @classmethod
    def from_json(cls, data: object) -> InitialMessage:
        data = expect_dict(data, "initial message")
        otk = data.get("otk")
        return cls(
            identity=PublicIdentity.from_json(data.get("identity")),
            ephemeral=b64decode(data.get("ek"), length=X25519_LEN, what="initial message ek"),
            kem_ciphertext=b64decode(
                data.get("ct"), length=MLKEM1024_CIPHERTEXT_LEN, what="initial message ct"
            ),
            signed_prekey_id=require_int(data.get("spk"), what="initial message spk"),
            kem_prekey_id=require_int(data.get("kem"), what="initial message kem"),
            one_time_prekey_id=None if otk is None else require_int(otk, what="initial message otk"),
        )

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    @classmethod
    def from_bytes(cls, data: bytes) -> InitialMessage:
        return cls.from_json(parse_json(data, what="initial message"))


# eq=False: a shared key is never compared with ==, which is not constant-time.
@dataclass(frozen=True, repr=False, eq=False)
class InitiatorResult:
    shared_key: bytes
    associated_data: bytes
    initial_message: InitialMessage
    peer_identity: PublicIdentity
    #: Bob's signed prekey: his first ratchet public key in the Double Ratchet.
    peer_ratchet_key: bytes

    def __repr__(self) -> str:
        return f"InitiatorResult(peer={self.peer_identity.short_id()})"


@dataclass(frozen=True, repr=False, eq=False)
class ResponderResult:
    shared_key: bytes
    associated_data: bytes
    peer_identity: PublicIdentity
    #: One-time prekeys this side must delete now (never to be used again).
    used_one_time_prekey_id: int | None
    used_kem_prekey_id: int | None

    def __repr__(self) -> str:
        return f"ResponderResult(peer={self.peer_identity.short_id()})"


def initiate(
    identity: IdentityKeyPair,
    bundle: PreKeyBundle,
    *,
    random: RandomSource = default_random,
    encapsulate: Encapsulate = _default_encapsulate,
) -> InitiatorResult:
    """Alice's side. Raises :class:`~crypto_core.errors.InvalidSignature` on a bad bundle."""
    bundle.verify()
    ephemeral = X25519PrivateKey.from_private_bytes(random(32))
    dh = [
        identity.dh(bundle.signed_prekey.public),
        x25519(ephemeral, bundle.identity.dh_key),
        x25519(ephemeral, bundle.signed_prekey.public),
    ]
    if bundle.one_time_prekey is not None:
        dh.append(x25519(ephemeral, bundle.one_time_prekey.public))
    try:
        kem_public = MLKEM1024PublicKey.from_public_bytes(bundle.kem_prekey.public)
    except ValueError:
        raise InvalidKeyFormat("bundle: the ML-KEM prekey is not an ML-KEM-1024 public key") from None
    kem_secret, kem_ciphertext = encapsulate(kem_public)
    if len(kem_secret) != KEM_SECRET_LEN or len(kem_ciphertext) != MLKEM1024_CIPHERTEXT_LEN:
        raise InvalidKeyFormat("ML-KEM encapsulation returned a secret or ciphertext of the wrong size")
    shared = derive_secret(dh, kem_secret)
    initial = InitialMessage(
        identity=identity.public,
        ephemeral=x25519_public_bytes(ephemeral),
        kem_ciphertext=kem_ciphertext,
        signed_prekey_id=bundle.signed_prekey.key_id,
        kem_prekey_id=bundle.kem_prekey.key_id,
        one_time_prekey_id=None if bundle.one_time_prekey is None else bundle.one_time_prekey.key_id,
    )
    return InitiatorResult(
        shared_key=shared,
        associated_data=associated_data(identity.public, bundle.identity),
        initial_message=initial,
        peer_identity=bundle.identity,
        peer_ratchet_key=bundle.signed_prekey.public,
    )


def respond(
    identity: IdentityKeyPair,
    message: InitialMessage,
    *,
    signed_prekey: SignedPreKey,
    kem_prekey: KemPreKey,
    one_time_prekey: OneTimePreKey | None,
) -> ResponderResult:
    """Bob's side, given the prekeys that ``message`` names (looked up by the caller).

    Raises :class:`UnknownPreKey` when the keys given are not the ones named, and
    :class:`~crypto_core.errors.InvalidSignature` when Alice's identity is not self-consistent.
    """
    message.identity.verify()
    if signed_prekey.key_id != message.signed_prekey_id or kem_prekey.key_id != message.kem_prekey_id:
        raise UnknownPreKey("the initial message names other prekeys than those given")
    wanted_otk = message.one_time_prekey_id
    if (one_time_prekey is None) != (wanted_otk is None) or (
        one_time_prekey is not None and one_time_prekey.key_id != wanted_otk
    ):
        raise UnknownPreKey("the initial message names another one-time prekey")
    dh = [
        x25519(signed_prekey.private, message.identity.dh_key),
        identity.dh(message.ephemeral),
        x25519(signed_prekey.private, message.ephemeral),
    ]
    if one_time_prekey is not None:
        dh.append(x25519(one_time_prekey.private, message.ephemeral))
    try:
        kem_secret = kem_prekey.decapsulate(message.kem_ciphertext)
    except ValueError:
        raise InvalidKeyFormat("ML-KEM ciphertext is malformed") from None
    return ResponderResult(
        shared_key=derive_secret(dh, kem_secret),
        associated_data=associated_data(message.identity, identity.public),
        peer_identity=message.identity,
        used_one_time_prekey_id=wanted_otk,
        used_kem_prekey_id=None if kem_prekey.last_resort else kem_prekey.key_id,
    )
