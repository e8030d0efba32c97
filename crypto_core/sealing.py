"""Sealing values at rest: a random master key, wrapped by a key derived from a passphrase.

* ``create(passphrase)`` makes a random 32-byte master key and returns a
  :class:`Sealer` plus the *wrapped key blob* that the profile stores in clear.
* The key-encryption key comes from Argon2id (64 MiB, 3 passes, 4 lanes by
  default; the parameters travel in the blob so that they can be raised later).
* The blob is ``version || memory_kib || iterations || lanes || salt || nonce ||
  AES-256-GCM(KEK, master key)``, with everything before the nonce bound as
  associated data. Changing the passphrase rewraps only the master key.
* Values are sealed under a key derived from the master key with its own label
  (HKDF-SHA256, ``Parley profile sealing v1``): ``version || nonce || AES-256-GCM``
  with associated data naming the slot, so that a sealed value moved to another
  slot (another contact, another message) fails to open.
* Rows are found by a *blind index* (HMAC-SHA256 under a third derived key), so
  the file holds no phone number in clear even where the profile looks one up.

A wrong passphrase raises :class:`~crypto_core.errors.WrongPassphrase`; a value
that fails to open raises the one opaque :class:`~crypto_core.errors.DecryptionError`.
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto_core.encoding import RandomSource, default_random
from crypto_core.errors import DecryptionError, InvalidKeyFormat, WrongPassphrase

WRAP_VERSION = 1
SEAL_VERSION = 1
_WRAP_HEADER = struct.Struct(">BIII16s")  # version, memory KiB, iterations, lanes, salt
_NONCE_LEN = 12
_WRAP_AAD_LABEL = b"Parley master key wrap v1\x00"
_SEAL_KEY_INFO = b"Parley profile sealing v1"
_SEAL_AAD_LABEL = b"Parley sealed value v1\x00"
_INDEX_KEY_INFO = b"Parley profile blind index v1"


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. The defaults follow RFC 9106's second recommended option (64 MiB)."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        # NFC, so that the same passphrase typed on another keyboard layout or OS still opens.
        secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
        kdf = Argon2id(
            salt=salt, length=32, iterations=self.iterations, lanes=self.lanes, memory_cost=self.memory_kib
        )
        return kdf.derive(secret)


DEFAULT_PARAMS = KdfParams()


class Sealer:
    """Seals and opens values under a profile's master key. Never shows the key."""

    __slots__ = ("_aead", "_index_key", "_master")

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise InvalidKeyFormat("master key: expected 32 bytes")
        self._master = master_key
        sealing_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_KEY_INFO).derive(
            master_key
        )
        self._aead = AESGCM(sealing_key)
        self._index_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INDEX_KEY_INFO).derive(
            master_key
        )

    def seal(self, slot: str, plaintext: bytes, *, random: RandomSource = default_random) -> bytes:
        """Encrypt ``plaintext`` for the named ``slot`` (e.g. ``"session:+15551234567"``)."""
        nonce = random(_NONCE_LEN)
        return bytes([SEAL_VERSION]) + nonce + self._aead.encrypt(nonce, plaintext, _slot_aad(slot))

    def open(self, slot: str, sealed: bytes) -> bytes:
        """Decrypt a value sealed for ``slot``; any failure is the one opaque DecryptionError."""
        if len(sealed) < 1 + _NONCE_LEN + 16 or sealed[0] != SEAL_VERSION:
            raise DecryptionError
        nonce = sealed[1 : 1 + _NONCE_LEN]
        try:
            return self._aead.decrypt(nonce, sealed[1 + _NONCE_LEN :], _slot_aad(slot))
        except InvalidTag:
            raise DecryptionError from None

    def blind_index(self, kind: str, value: str) -> bytes:
        """A keyed hash to look rows up by (a contact's phone, say) without storing it in clear."""
        mac = hmac.HMAC(self._index_key, hashes.SHA256())
        mac.update(kind.encode("utf-8") + b"\x00" + value.encode("utf-8"))
        return mac.finalize()

    def wrap(
        self, passphrase: str, *, params: KdfParams = DEFAULT_PARAMS, random: RandomSource = default_random
    ) -> bytes:
        """The wrapped-key blob for ``passphrase`` (used to change the passphrase)."""
        salt = random(16)
        header = _WRAP_HEADER.pack(WRAP_VERSION, params.memory_kib, params.iterations, params.lanes, salt)
        kek = params.derive(passphrase, salt)
        nonce = random(_NONCE_LEN)
        return header + nonce + AESGCM(kek).encrypt(nonce, self._master, _WRAP_AAD_LABEL + header)

    def __repr__(self) -> str:
        return "Sealer(<master key hidden>)"


def _slot_aad(slot: str) -> bytes:
    return _SEAL_AAD_LABEL + slot.encode("utf-8")


def create(
    passphrase: str, *, params: KdfParams = DEFAULT_PARAMS, random: RandomSource = default_random
) -> tuple[Sealer, bytes]:
    """A new random master key: the :class:`Sealer` and the wrapped-key blob to store."""
    sealer = Sealer(random(32))
    return sealer, sealer.wrap(passphrase, params=params, random=random)


def read_params(wrapped: bytes) -> KdfParams:
    """The Argon2id parameters a blob was made with (to decide whether to rewrap stronger)."""
    if len(wrapped) < _WRAP_HEADER.size or wrapped[0] != WRAP_VERSION:
        raise InvalidKeyFormat("wrapped master key: unknown format")
    _version, memory_kib, iterations, lanes, _salt = _WRAP_HEADER.unpack_from(wrapped)
    return KdfParams(memory_kib=memory_kib, iterations=iterations, lanes=lanes)


def unlock(passphrase: str, wrapped: bytes) -> Sealer:
    """Unwrap the master key; raises :class:`WrongPassphrase` when it does not open."""
    params = read_params(wrapped)
    header = wrapped[: _WRAP_HEADER.size]
    nonce = wrapped[_WRAP_HEADER.size : _WRAP_HEADER.size + _NONCE_LEN]
    body = wrapped[_WRAP_HEADER.size + _NONCE_LEN :]
    kek = params.derive(passphrase, header[-16:])
    try:
        master = AESGCM(kek).decrypt(nonce, body, _WRAP_AAD_LABEL + header)
    except InvalidTag:
        raise WrongPassphrase from None
    return Sealer(master)
