"""Linking a new computer to an account: the link code, the handshake, the comparison number, sealing.

The new computer makes an ephemeral X25519 key and asks the server for a *link code*
(16 characters of RFC 4648 base32 from 10 random bytes; the server makes it, this module
only reads and spells it). The existing device, told the code by the person, makes its own
ephemeral X25519 key; the server relays the two public keys. Each end then computes::

    transcript = u32(len code) || code (ASCII) || new_key (32) || existing_key (32)
    shared     = X25519(own private, other public)
    sealing key       = HKDF-SHA256(shared, info = "Parley link v1" 0x00 || transcript), 32 bytes
    comparison number = HKDF-SHA256(shared, info = "Parley link comparison v1" 0x00 || transcript), 8 bytes
                        as a big-endian integer modulo 10**6, shown as "123 456"

A server that swaps either public key ends up with two different shared secrets, so the
two screens show different numbers (a one-in-a-million chance of a match), and the person
says no. The server never holds a private key of the link, so it cannot compute either.

Link messages are sealed with AES-256-GCM under the sealing key: ``version (1) || nonce
(12) || ciphertext+tag``, the associated data naming the direction (``new`` or
``existing`` as sender) and the message kind, so a message reflected back to its sender,
or moved to another kind, fails to open. Every failure is the one opaque
:class:`~crypto_core.errors.DecryptionError`.

The *link statement* is what the account's identity key signs to authorise a device
key (``link_device`` on the wire)::

    "Parley device link v1" 0x00 || u32(len code) || code || u32(len phone) || phone
        || device_key (32) || fingerprint (32)

where ``fingerprint`` is the server's TLS fingerprint (SHA-256 of its certificate's
public key, as pinned by the client), so a statement made for one server says nothing
to another. Randomness is injectable everywhere for known-answer tests.
"""

from __future__ import annotations

import hmac as _hmac
import re
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto_core.encoding import RandomSource, default_random, u32
from crypto_core.errors import DecryptionError, InvalidKeyFormat

Role = Literal["new", "existing"]

LINK_VERSION = 1
CODE_LEN = 16
CODE_RANDOM_LEN = 10
QR_PREFIX = "parley-link:"
COMPARISON_DIGITS = 6
_KEY_INFO = b"Parley link v1\x00"
_COMPARISON_INFO = b"Parley link comparison v1\x00"
_SEAL_AAD_LABEL = b"Parley link message v1\x00"
_STATEMENT_LABEL = b"Parley device link v1\x00"
_NONCE_LEN = 12
_TAG_LEN = 16
_KEY_LEN = 32
_FINGERPRINT_LEN = 32
_BASE32 = re.compile(r"[A-Z2-7]{16}")


def normalize_code(text: str) -> str:
    """The one spelling of a link code typed or scanned in any form, or ``InvalidKeyFormat`` in words.

    Accepts lower case, dashes, spaces and the ``parley-link:`` prefix of the QR text.
    """
    cleaned = text.strip()
    if cleaned.lower().startswith(QR_PREFIX):
        cleaned = cleaned[len(QR_PREFIX) :]
    cleaned = re.sub(r"[\s\-]", "", cleaned).upper()
    if not _BASE32.fullmatch(cleaned):
        raise InvalidKeyFormat("link code: expected 16 letters A to Z and digits 2 to 7")
    return cleaned


def group_code(code: str) -> str:
    """``ABCDEFGHIJKLMNOP`` -> ``ABCD-EFGH-IJKL-MNOP``: easier to read out and type."""
    plain = normalize_code(code)
    return "-".join(plain[i : i + 4] for i in range(0, CODE_LEN, 4))


def qr_text(code: str) -> str:
    """The text a QR code of the link carries."""
    return QR_PREFIX + normalize_code(code)


def format_comparison(number: int) -> str:
    """``123456`` -> ``"123 456"`` (leading zeros kept)."""
    digits = f"{number:0{COMPARISON_DIGITS}d}"
    return f"{digits[:3]} {digits[3:]}"


def _transcript(code: str, new_key: bytes, existing_key: bytes) -> bytes:
    raw = code.encode("ascii")
    return u32(len(raw)) + raw + new_key + existing_key


def _public(data: bytes, what: str) -> bytes:
    if len(data) != _KEY_LEN:
        raise InvalidKeyFormat(f"{what}: expected {_KEY_LEN} bytes")
    try:
        X25519PublicKey.from_public_bytes(data)
    except ValueError:
        raise InvalidKeyFormat(f"{what}: not an X25519 key") from None
    return data


class LinkKeyPair:
    """One end's ephemeral X25519 key for one link. Private; never printed."""

    __slots__ = ("_private", "public")

    def __init__(self, private: X25519PrivateKey) -> None:
        self._private = private
        self.public: bytes = private.public_key().public_bytes_raw()

    @classmethod
    def generate(cls, random: RandomSource = default_random) -> LinkKeyPair:
        return cls(X25519PrivateKey.from_private_bytes(random(_KEY_LEN)))

    def agree(self, role: Role, code: str, peer_public: bytes) -> LinkChannel:
        """The keys of the link once the other end's public key is known."""
        peer = _public(peer_public, "link key")
        plain_code = normalize_code(code)
        new_key, existing_key = (self.public, peer) if role == "new" else (peer, self.public)
        try:
            shared = self._private.exchange(X25519PublicKey.from_public_bytes(peer))
        except ValueError:
            # A low-order point gives an all-zero secret the server could predict: refused.
            raise InvalidKeyFormat("link key: not an acceptable X25519 key") from None
        transcript = _transcript(plain_code, new_key, existing_key)
        sealing = _hkdf(shared, _KEY_INFO + transcript, _KEY_LEN)
        comparison = int.from_bytes(_hkdf(shared, _COMPARISON_INFO + transcript, 8), "big")
        return LinkChannel(role, sealing, comparison % 10**COMPARISON_DIGITS)

    def __repr__(self) -> str:
        return "LinkKeyPair(<private>)"


def _hkdf(shared: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(shared)


@dataclass(frozen=True, repr=False)
class LinkChannel:
    """The sealing key and comparison number of one link, from one end's point of view."""

    role: Role
    _key: bytes
    comparison_value: int

    @property
    def comparison(self) -> str:
        """The number both screens show, spelled ``123 456``."""
        return format_comparison(self.comparison_value)

    def matches(self, spoken: str) -> bool:
        """Whether a number typed by the person is this link's (constant time)."""
        digits = re.sub(r"\s", "", spoken)
        return _hmac.compare_digest(digits.encode(), f"{self.comparison_value:06d}".encode())

    def seal(self, kind: str, plaintext: bytes, *, random: RandomSource = default_random) -> bytes:
        """Seal a message of ``kind`` from this end to the other."""
        nonce = random(_NONCE_LEN)
        aad = _aad(self.role, kind)
        return bytes([LINK_VERSION]) + nonce + AESGCM(self._key).encrypt(nonce, plaintext, aad)

    def open(self, kind: str, sealed: bytes) -> bytes:
        """Open a message of ``kind`` from the other end; any failure is the one DecryptionError."""
        if len(sealed) < 1 + _NONCE_LEN + _TAG_LEN or sealed[0] != LINK_VERSION:
            raise DecryptionError
        other: Role = "existing" if self.role == "new" else "new"
        try:
            return AESGCM(self._key).decrypt(
                sealed[1 : 1 + _NONCE_LEN], sealed[1 + _NONCE_LEN :], _aad(other, kind)
            )
        except InvalidTag:
            raise DecryptionError from None

    def __repr__(self) -> str:
        return f"LinkChannel(role={self.role!r}, <key>)"


def _aad(sender: Role, kind: str) -> bytes:
    sender_raw, kind_raw = sender.encode("ascii"), kind.encode("utf-8")
    return (
        _SEAL_AAD_LABEL
        + bytes([LINK_VERSION])
        + u32(len(sender_raw))
        + sender_raw
        + u32(len(kind_raw))
        + kind_raw
    )


def link_statement(code: str, phone: str, device_key: bytes, fingerprint: bytes) -> bytes:
    """The bytes the identity's ``sign`` key signs to add ``device_key`` to ``phone``'s account."""
    if len(device_key) != _KEY_LEN:
        raise InvalidKeyFormat("device key: expected 32 bytes")
    if len(fingerprint) != _FINGERPRINT_LEN:
        raise InvalidKeyFormat("server fingerprint: expected 32 bytes")
    raw_code, raw_phone = normalize_code(code).encode("ascii"), phone.encode("utf-8")
    return (
        _STATEMENT_LABEL
        + u32(len(raw_code))
        + raw_code
        + u32(len(raw_phone))
        + raw_phone
        + device_key
        + fingerprint
    )
