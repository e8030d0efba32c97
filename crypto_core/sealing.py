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
* A blob states its own Argon2id cost, so :func:`unlock` refuses costs outside
  sane bounds rather than letting a damaged file ask for terabytes of memory.

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
_MASTER_KEY_LEN = 32
_TAG_LEN = 16
WRAPPED_LEN = _WRAP_HEADER.size + _NONCE_LEN + _MASTER_KEY_LEN + _TAG_LEN

#: Bounds on what a blob may ask for: up to 4 GiB of memory, 64 passes, 64 lanes.
MAX_MEMORY_KIB = 4 * 1024 * 1024
MAX_ITERATIONS = 64
MAX_LANES = 64


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. The defaults follow RFC 9106's second recommended option (64 MiB)."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def check(self) -> None:
        """Raise :class:`InvalidKeyFormat` unless Argon2id can run with these costs within the bounds."""
        if not (
            1 <= self.lanes <= MAX_LANES
            and 1 <= self.iterations <= MAX_ITERATIONS
            and 8 * self.lanes <= self.memory_kib <= MAX_MEMORY_KIB
        ):
            raise InvalidKeyFormat("wrapped master key: Argon2id parameters out of bounds")

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
        if len(master_key) != _MASTER_KEY_LEN:
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
        # The kind is length-prefixed, so no (kind, value) pair can spell another one.
        kind_bytes = kind.encode("utf-8")
        mac.update(len(kind_bytes).to_bytes(4, "big") + kind_bytes + value.encode("utf-8"))
        return mac.finalize()

    def wrap(
        self, passphrase: str, *, params: KdfParams = DEFAULT_PARAMS, random: RandomSource = default_random
    ) -> bytes:
        """The wrapped-key blob for ``passphrase`` (used to change the passphrase)."""
        params.check()
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
    sealer = Sealer(random(_MASTER_KEY_LEN))
    return sealer, sealer.wrap(passphrase, params=params, random=random)


def read_params(wrapped: bytes) -> KdfParams:
    """The Argon2id parameters a blob was made with (to decide whether to rewrap stronger)."""
    if len(wrapped) != WRAPPED_LEN or wrapped[0] != WRAP_VERSION:
        raise InvalidKeyFormat("wrapped master key: unknown format")
    _version, memory_kib, iterations, lanes, _salt = _WRAP_HEADER.unpack_from(wrapped)
    params = KdfParams(memory_kib=memory_kib, iterations=iterations, lanes=lanes)
    params.check()
    return params


def unlock(passphrase: str, wrapped: bytes) -> Sealer:
    """The :class:`Sealer` of the master key :func:`unwrap` gives."""
    return Sealer(unwrap(passphrase, wrapped))


def unwrap(passphrase: str, wrapped: bytes) -> bytes:
    """Unwrap the master key; raises :class:`WrongPassphrase` when it does not open.

    A damaged blob whose header still parses is indistinguishable from a wrong
    passphrase (the header is authenticated, not checked separately); one that
    does not parse raises :class:`InvalidKeyFormat`.
    """
    params = read_params(wrapped)
    header = wrapped[: _WRAP_HEADER.size]
    nonce = wrapped[_WRAP_HEADER.size : _WRAP_HEADER.size + _NONCE_LEN]
    body = wrapped[_WRAP_HEADER.size + _NONCE_LEN :]
    kek = params.derive(passphrase, header[-16:])
    try:
        master = AESGCM(kek).decrypt(nonce, body, _WRAP_AAD_LABEL + header)
    except InvalidTag:
        raise WrongPassphrase from None
    return master


def change_passphrase(
    wrapped: bytes,
    old: str,
    new: str,
    *,
    params: KdfParams = DEFAULT_PARAMS,
    random: RandomSource = default_random,
) -> bytes:
    """A new blob for ``new``; the master key, and so every sealed value, stays the same.

    Raises :class:`WrongPassphrase` when ``old`` does not open ``wrapped``.
    """
    return unlock(old, wrapped).wrap(new, params=params, random=random)
