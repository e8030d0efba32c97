"""The profile's header: the one small file in clear, holding only what opens the database.

A profile folder holds ``header`` beside the encrypted database ``profile.db``.
The header is a versioned binary record (all integers big-endian)::

    magic          8 bytes   b"PRLYHDR\\n"
    version        u16       FORMAT_VERSION (1)
    memory_kib     u32       Argon2id memory cost
    iterations     u32       Argon2id passes
    lanes          u32       Argon2id lanes
    salt           16 bytes  Argon2id salt
    nonce          12 bytes  AES-256-GCM nonce of the wrap
    wrapped key    48 bytes  AES-256-GCM(Argon2id(passphrase, salt), master key), tag included
    label length   u16
    label          UTF-8     the name the person chose for this profile on this computer

and nothing else. The wrap binds every other field (magic, version, costs,
salt, label) as associated data, so a header changed in any byte does not open:
a tampered header, like a wrong passphrase, is :class:`~crypto_core.errors.WrongPassphrase`
(the AEAD cannot tell the two apart, and an error that did would help no one).
A header that does not even parse is :class:`~storage.profile.errors.NotAProfile`
(wrong magic) or :class:`~storage.profile.errors.ProfileDamaged` (cut short).

Why a label in clear: the welcome screen lists profiles before a passphrase is
typed, and a person with two profiles must know which one they unlock. The
label is what the person typed as the profile's name on this computer; the
display name (and phone, e-mail, server) live only inside the database. An
upgraded profile takes its old display name as label, which the old format
showed in clear anyway.

The database key is derived from the master key with HKDF-SHA256 and its own
label (:data:`DATABASE_KEY_INFO`), so no other use of the master key can yield
it. Writes are atomic: a temporary file, fsync, rename over ``header``, fsync
of the folder; changing the passphrase rewrites only this file.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto_core.encoding import RandomSource, default_random
from crypto_core.errors import InvalidKeyFormat, WrongPassphrase
from crypto_core.sealing import KdfParams
from storage.profile.errors import NotAProfile, ProfileDamaged, ProfileTooNew

MAGIC = b"PRLYHDR\n"
FORMAT_VERSION = 1
HEADER_NAME = "header"
_FIXED = struct.Struct(">8sHIII16s12s48sH")
_AAD_LABEL = b"Parley profile header v1\x00"
DATABASE_KEY_INFO = b"Parley profile database key v1"
MASTER_KEY_LEN = 32
#: The fields of a header, in order; the raw-file test checks a header holds these and nothing more.
FIELDS = ("magic", "version", "memory_kib", "iterations", "lanes", "salt", "nonce", "wrapped_key", "label")
MAX_LABEL_BYTES = 1024


@dataclass(frozen=True)
class ProfileHeader:
    version: int
    params: KdfParams
    salt: bytes
    nonce: bytes
    wrapped_key: bytes
    label: str

    def encode(self) -> bytes:
        return self._fixed(self.nonce, self.wrapped_key) + self.label.encode("utf-8")

    def _fixed(self, nonce: bytes, wrapped: bytes) -> bytes:
        label = self.label.encode("utf-8")
        p = self.params
        return _FIXED.pack(
            MAGIC, self.version, p.memory_kib, p.iterations, p.lanes, self.salt, nonce, wrapped, len(label)
        )

    def associated_data(self) -> bytes:
        """Every field but the nonce and the wrapped key itself."""
        p = self.params
        label = self.label.encode("utf-8")
        return (
            _AAD_LABEL
            + struct.pack(
                ">8sHIII16sH", MAGIC, self.version, p.memory_kib, p.iterations, p.lanes, self.salt, len(label)
            )
            + label
        )

    def unwrap(self, passphrase: str) -> bytes:
        """The master key; :class:`WrongPassphrase` for a wrong passphrase or a tampered header."""
        try:
            self.params.check()
        except InvalidKeyFormat:
            raise ProfileDamaged("header") from None
        kek = self.params.derive(passphrase, self.salt)
        try:
            return AESGCM(kek).decrypt(self.nonce, self.wrapped_key, self.associated_data())
        except InvalidTag:
            raise WrongPassphrase from None

    def __repr__(self) -> str:
        return f"ProfileHeader(version={self.version}, params={self.params!r})"


def wrap(
    master_key: bytes,
    passphrase: str,
    label: str,
    *,
    params: KdfParams,
    random: RandomSource = default_random,
) -> ProfileHeader:
    """A header that opens with ``passphrase`` to ``master_key``; a fresh salt and nonce each time."""
    if len(master_key) != MASTER_KEY_LEN:
        raise ValueError("the master key has 32 bytes")
    if len(label.encode("utf-8")) > MAX_LABEL_BYTES:
        raise ValueError("the label is too long")
    params.check()
    unsealed = ProfileHeader(FORMAT_VERSION, params, random(16), random(12), b"", label)
    kek = params.derive(passphrase, unsealed.salt)
    wrapped = AESGCM(kek).encrypt(unsealed.nonce, master_key, unsealed.associated_data())
    return ProfileHeader(FORMAT_VERSION, params, unsealed.salt, unsealed.nonce, wrapped, label)


def decode(data: bytes) -> ProfileHeader:
    if not data.startswith(MAGIC):
        raise NotAProfile("this folder's header is not a Parley profile header")
    if len(data) < _FIXED.size:
        raise ProfileDamaged("header")
    _magic, version, memory_kib, iterations, lanes, salt, nonce, wrapped, label_len = _FIXED.unpack_from(data)
    if version > FORMAT_VERSION:
        raise ProfileTooNew(version, FORMAT_VERSION)
    if version < 1 or len(data) != _FIXED.size + label_len:
        raise ProfileDamaged("header")
    try:
        label = data[_FIXED.size :].decode("utf-8")
    except UnicodeDecodeError:
        raise ProfileDamaged("header") from None
    params = KdfParams(memory_kib=memory_kib, iterations=iterations, lanes=lanes)
    return ProfileHeader(version, params, salt, nonce, wrapped, label)


def read(folder: Path) -> ProfileHeader:
    try:
        data = (folder / HEADER_NAME).read_bytes()
    except FileNotFoundError:
        raise ProfileDamaged("header") from None
    return decode(data)


def write(folder: Path, header: ProfileHeader) -> None:
    """Replace ``folder/header`` atomically: the old one or the new one, never half of either."""
    temporary = folder / f"{HEADER_NAME}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, header.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, folder / HEADER_NAME)
    fsync_folder(folder)


def fsync_folder(folder: Path, *, strict: bool = False) -> None:
    """Make a rename inside ``folder`` durable (where the platform can: not on Windows).

    ``strict``: a failure to sync is raised (a backup that says "written" must be), where otherwise
    it is let pass, as for the profile's own folders, which the next open checks anyway.
    """
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        if strict:
            raise


def database_key(master_key: bytes) -> bytes:
    """The raw 256-bit SQLCipher key, derived from the master key for this purpose only."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DATABASE_KEY_INFO).derive(master_key)
