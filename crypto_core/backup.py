"""The backup container: one file, sealed under a backup passphrase of its own.

A backup is a header in clear, then a sealed stream (:mod:`crypto_core.stream`)
whose associated data is that header, so no byte of it can change unnoticed.
The stream key comes from the backup passphrase: Argon2id (the same
:class:`~crypto_core.sealing.KdfParams` as a profile's passphrase, 64 MiB, 3 passes,
4 lanes by default) stretches it with a random salt, and HKDF-SHA256 derives two
keys from the result, each with its own label: the stream key
(``Parley backup stream v1``) and a passphrase check key (``Parley backup
passphrase check v1``).

Byte layout (format version 3; integers big-endian)::

    offset  size  field
     0       8    magic "PARLEYBK"
     8       1    format version, 0x03 (0x01 and 0x02 in backups of earlier versions, still read)
     9       4    Argon2id memory in KiB
    13       4    Argon2id passes
    17       4    Argon2id lanes
    21      16    salt
    37      16    passphrase check: HMAC-SHA256(check key, bytes 0..36), first 16 bytes
    53       4    header checksum: SHA-256(bytes 0..52), first 4 bytes
    57       -    the sealed stream (its own 8-byte header, then 64 KiB chunks), with
                  bytes 0..56 as associated data

Versions 1 and 2 differ only in the stream inside: version 1 holds a stream of
format 1, version 2 one of format 2 (see :mod:`crypto_core.stream`). The version
went up with the stream so that an earlier Parley, which cannot read the newer
stream, says the backup is too new instead of damaged. Version 3 holds a stream of
format 2 like version 2, but its payload has a layout of its own, which the caller
defines (a profile's backup: the database snapshot, then the sealed copies of its
files, :mod:`storage.profile.backup_payload`); :attr:`BackupOpener.version` tells the
caller which layout it reads, and an earlier Parley says such a backup is too new
instead of restoring a payload it would take for a damaged database. The stream names its own
format in its first byte, and that byte and the container's header are both
authenticated by every chunk, so neither can be changed to pass one format for the other.

The passphrase check tells a wrong passphrase (:class:`~crypto_core.errors.WrongPassphrase`)
from damage before a single byte of plaintext is handed out, so a caller can refuse
before it writes anything. The checksum is not a secret and proves nothing against an
attacker (the stream does that); it only tells a damaged header (:class:`BackupDamaged`)
from a wrong passphrase, so that a person with a damaged file is not asked again and
again for a passphrase that is right. It guesses no faster than the stream's first
chunk would: either way each guess costs an Argon2id.

The plaintext inside the stream (format version 1)::

    1 byte    preamble version, 0x01
    4 bytes   manifest length m (at most 64 KiB)
    m bytes   the manifest: a JSON object, UTF-8, with the caller's fields
    rest      the payload: opaque bytes (a profile's database snapshot)

The manifest travels sealed, so whatever it says (what kind of payload, made
when, by which version) shows to nobody without the passphrase. A stolen backup
shows its size (so the payload's, to within 16 bytes per 64 KiB) and its Argon2id
parameters, and nothing else.

Errors are in words: :class:`NotABackup` (no magic), :class:`BackupTooNew` (a
later format version), :class:`BackupDamaged` (anything else that does not open,
or ends early), and ``WrongPassphrase``.
"""

from __future__ import annotations

import hmac
import json
import struct
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto_core.encoding import RandomSource, default_random
from crypto_core.errors import CryptoError, DecryptionError, InvalidKeyFormat, WrongPassphrase
from crypto_core.sealing import DEFAULT_PARAMS, KdfParams
from crypto_core.stream import (
    SEALED_CHUNK_SIZE,
    Progress,
    Readable,
    StreamDecryptor,
    StreamEncryptor,
    Writable,
    pump,
    read_fully,
)

MAGIC = b"PARLEYBK"
VERSION = 3
#: The versions written: 2 (a payload of one piece) only for the frozen vectors and callers that ask.
WRITABLE = frozenset({2, 3})
PREAMBLE_VERSION = 1
MAX_MANIFEST = 64 * 1024
_FIELDS = struct.Struct(">8sBIII16s")  # magic, version, memory KiB, passes, lanes, salt
_CHECK_SIZE = 16
_CHECKSUM_SIZE = 4
HEADER_SIZE = _FIELDS.size + _CHECK_SIZE + _CHECKSUM_SIZE
_STREAM_INFO = b"Parley backup stream v1"
_CHECK_INFO = b"Parley backup passphrase check v1"
_PREAMBLE = struct.Struct(">BI")

#: What a manifest holds: the caller's JSON fields.
Manifest = dict[str, Any]


class BackupError(CryptoError):
    """Base of the errors of a backup file that is not what it should be."""


class NotABackup(BackupError):
    def __init__(self) -> None:
        super().__init__("this file is not a Parley backup")


class BackupTooNew(BackupError):
    def __init__(self, found: int) -> None:
        super().__init__(
            f"this backup has format version {found}, but this version of Parley reads up to {VERSION}; "
            "update Parley to restore it"
        )
        self.found = found


class BackupDamaged(BackupError):
    """Part of the backup does not open: the file was cut off, changed or damaged."""

    def __init__(self, where: str = "file") -> None:
        super().__init__(f"this backup {where} is damaged or incomplete, so it cannot be restored")
        self.where = where


def _derive(passphrase: str, params: KdfParams, salt: bytes) -> tuple[bytes, bytes]:
    """The stream key and the check key, each from the stretched passphrase with its own label."""
    stretched = params.derive(passphrase, salt)

    def expand(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(stretched)

    return expand(_STREAM_INFO), expand(_CHECK_INFO)


def _check(check_key: bytes, fields: bytes) -> bytes:
    mac = crypto_hmac.HMAC(check_key, hashes.SHA256())
    mac.update(fields)
    return mac.finalize()[:_CHECK_SIZE]


def _checksum(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize()[:_CHECKSUM_SIZE]


def encode_preamble(manifest: Mapping[str, Any]) -> bytes:
    """The plaintext's start: version, length, the manifest as compact JSON."""
    text = json.dumps(dict(manifest), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    body = text.encode("utf-8")
    if len(body) > MAX_MANIFEST:
        raise ValueError(f"a backup manifest holds at most {MAX_MANIFEST} bytes")
    return _PREAMBLE.pack(PREAMBLE_VERSION, len(body)) + body


class BackupSealer:
    """Writes a backup incrementally: :attr:`header`, then :meth:`update` output, then :meth:`finalize`.

    The manifest goes first in the sealed plaintext; what :meth:`update` is fed is the payload.
    """

    __slots__ = ("_held", "_stream", "header")

    def __init__(
        self,
        passphrase: str,
        manifest: Mapping[str, Any] | None = None,
        *,
        params: KdfParams = DEFAULT_PARAMS,
        random: RandomSource = default_random,
        version: int = VERSION,
    ) -> None:
        if not passphrase:
            raise ValueError("the backup passphrase is empty")
        if version not in WRITABLE:
            raise ValueError(f"a backup is written in format version {sorted(WRITABLE)}, not {version}")
        params.check()
        salt = random(16)
        stream_key, check_key = _derive(passphrase, params, salt)
        fields = _FIELDS.pack(MAGIC, version, params.memory_kib, params.iterations, params.lanes, salt)
        checked = fields + _check(check_key, fields)
        container = checked + _checksum(checked)
        self._stream = StreamEncryptor(stream_key, container, random=random)
        self.header = container + self._stream.header
        # The preamble is plaintext like the payload: it leaves with the first chunk.
        self._held = self._stream.update(encode_preamble(manifest or {}))

    def update(self, payload: bytes) -> bytes:
        out, self._held = self._held + self._stream.update(payload), b""
        return out

    def finalize(self) -> bytes:
        out, self._held = self._held + self._stream.finalize(), b""
        return out

    def __repr__(self) -> str:
        return "BackupSealer(<keys hidden>)"


def read_params(header: bytes) -> KdfParams:
    """The Argon2id cost a backup's header asks for; raises the backup errors for a bad header."""
    if len(header) < len(MAGIC) or header[: len(MAGIC)] != MAGIC:
        raise NotABackup
    if len(header) < HEADER_SIZE:
        raise BackupDamaged("file")
    version = header[len(MAGIC)]
    if version > VERSION:
        raise BackupTooNew(version)
    if version < 1:  # no backup ever had version 0
        raise BackupDamaged("header")
    checked = header[: HEADER_SIZE - _CHECKSUM_SIZE]
    if not hmac.compare_digest(_checksum(checked), header[HEADER_SIZE - _CHECKSUM_SIZE : HEADER_SIZE]):
        raise BackupDamaged("header")
    _magic, _version, memory_kib, iterations, lanes, _salt = _FIELDS.unpack_from(header)
    params = KdfParams(memory_kib=memory_kib, iterations=iterations, lanes=lanes)
    try:
        params.check()
    except InvalidKeyFormat:
        raise BackupDamaged("header") from None
    return params


class BackupOpener:
    """Reads a backup incrementally: made from its first :data:`HEADER_SIZE` bytes, then fed the rest.

    Making one checks the passphrase (an Argon2id), so ``WrongPassphrase`` comes
    before any plaintext. :meth:`update` returns payload bytes (the manifest is
    kept apart, in :attr:`manifest`, once its chunk has opened); :meth:`finalize`
    proves the whole backup was there. Damage anywhere is :class:`BackupDamaged`.
    """

    __slots__ = ("_pending", "_stream", "manifest", "version")

    def __init__(self, passphrase: str, header: bytes) -> None:
        params = read_params(header)
        fields = header[: _FIELDS.size]
        salt = fields[-16:]
        stream_key, check_key = _derive(passphrase, params, salt)
        stored_check = header[_FIELDS.size : _FIELDS.size + _CHECK_SIZE]
        if not hmac.compare_digest(_check(check_key, fields), stored_check):
            raise WrongPassphrase
        self._stream = StreamDecryptor(stream_key, header[:HEADER_SIZE])
        #: The container's format version: from 3 the payload has its caller's layout.
        self.version: int = header[len(MAGIC)]
        self._pending: bytearray | None = bytearray()
        self.manifest: Manifest | None = None

    def update(self, data: bytes) -> bytes:
        try:
            return self._payload(self._stream.update(data))
        except DecryptionError:
            raise BackupDamaged("file") from None

    def finalize(self) -> bytes:
        try:
            payload = self._payload(self._stream.finalize())
        except DecryptionError:
            raise BackupDamaged("file") from None
        if self._pending is not None:  # the plaintext ended inside the preamble
            raise BackupDamaged("file")
        return payload

    def _payload(self, plaintext: bytes) -> bytes:
        if self._pending is None:
            return plaintext
        self._pending += plaintext
        if len(self._pending) < _PREAMBLE.size:
            return b""
        version, length = _PREAMBLE.unpack_from(self._pending)
        if version != PREAMBLE_VERSION or length > MAX_MANIFEST:
            raise BackupDamaged("file")
        end = _PREAMBLE.size + length
        if len(self._pending) < end:
            return b""
        self.manifest = _parse_manifest(bytes(self._pending[_PREAMBLE.size : end]))
        rest = bytes(self._pending[end:])
        self._pending = None
        return rest

    def __repr__(self) -> str:
        return "BackupOpener(<keys hidden>)"


def _parse_manifest(body: bytes) -> Manifest:
    try:
        manifest = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BackupDamaged("file") from None
    if not isinstance(manifest, dict):
        raise BackupDamaged("file")
    return manifest


def seal(
    passphrase: str,
    source: Readable,
    target: Writable,
    *,
    manifest: Mapping[str, Any] | None = None,
    params: KdfParams = DEFAULT_PARAMS,
    total: int | None = None,
    progress: Progress | None = None,
    random: RandomSource = default_random,
    version: int = VERSION,
) -> int:
    """Write a backup of everything ``source`` holds to ``target``; the payload bytes read.

    ``progress`` hears ``(payload bytes read, payload total)``.
    """
    sealer = BackupSealer(passphrase, manifest, params=params, random=random, version=version)
    target.write(sealer.header)
    read = pump(source, target, sealer.update, total=total, progress=progress)
    target.write(sealer.finalize())
    return read


def open_header(passphrase: str, source: Readable) -> BackupOpener:
    """Read a backup's header from ``source`` and check the passphrase (nothing else is read)."""
    return BackupOpener(passphrase, read_fully(source, HEADER_SIZE))


def open_into(
    opener: BackupOpener,
    source: Readable,
    target: Writable,
    *,
    total: int | None = None,
    progress: Progress | None = None,
) -> Manifest:
    """Read the rest of a backup into ``target`` (the payload only); its manifest.

    ``progress`` hears ``(backup bytes read after the header, their total)``. On an
    error ``target`` may hold a prefix of the payload: discard it.
    """
    pump(source, target, opener.update, total=total, progress=progress, size=SEALED_CHUNK_SIZE)
    target.write(opener.finalize())
    if opener.manifest is None:  # finalize raises first; this keeps the type exact
        raise BackupDamaged("file")
    return opener.manifest
