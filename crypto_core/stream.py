"""Sealed streams: a long plaintext as a chain of AES-256-GCM chunks (the STREAM construction).

This is the online authenticated encryption of Hoang, Reyhanitabar, Rogaway and
Vizár ("Online authenticated-encryption and its nonce-reuse misuse-resistance",
CRYPTO 2015): the plaintext is cut into chunks of :data:`CHUNK_SIZE` (64 KiB),
and each chunk is sealed on its own under a nonce made of a random per-stream
prefix and the chunk's counter, with a flag that says whether it is the last.
So a stream is read and written a chunk at a time, never held whole in memory,
and still every change shows: a truncated stream (at a chunk boundary too) lacks
the chunk sealed as last; chunks swapped, dropped or taken from another stream
under the same key sit at the wrong counter or under the wrong prefix; anything
after the last chunk cannot be sealed as a later chunk of the stream.

Byte layout of a sealed stream (version 2, written since pictures and files; integers big-endian)::

    header    1 byte   format version, 0x02
              7 bytes  nonce prefix, random per stream
    chunk 0   AES-256-GCM(chunk key, nonce(0), plaintext[0 : 64 KiB], aad(0x00)) : ciphertext || 16-byte tag
    chunk 1   ... the same for the next 64 KiB, and so on
    last      AES-256-GCM(chunk key, nonce(n), the rest, aad(0x01))

* ``nonce(i) = nonce prefix (7 bytes) || i as a 40-bit counter (5 bytes)`` — 12 bytes:
  exactly a nonce prefix and a chunk counter, nothing else.
* ``aad(flag) = header (8 bytes) || last flag (1 byte: 0x00 for every chunk but the last,
  0x01 for the last) || associated data`` given by the caller (a purpose label, a
  container's header). The flag sits in the associated data, as in the issue that asked
  for this version; both before it are of fixed length, so the caller's part cannot be
  confused with them. A stream opens only where it was meant to, and the version byte
  is authenticated in every chunk.
* ``chunk key = HKDF-SHA256(key, salt = none, info = "Parley stream chunks v2")``.

Version 1 (written by earlier versions, still read)::

    header    1 byte   format version, 0x01
              7 bytes  nonce prefix, random per stream
    chunk i   AES-256-GCM(chunk key, nonce(i, last), plaintext chunk, aad) : ciphertext || 16-byte tag

* ``nonce(i, last) = nonce prefix (7 bytes) || i as a 32-bit counter (4 bytes) || last flag
  (1 byte, 0x00 or 0x01)`` — Tink's AES-GCM-HKDF streaming layout, the flag in the nonce.
* ``aad = header (8 bytes) || associated data``.
* ``chunk key = HKDF-SHA256(key, salt = none, info = "Parley stream chunks v1")``.

Common to both:

* The caller's 32-byte key is never used as an AES key directly, and each version
  derives its own chunk key, so no chunk of one version opens as one of the other.
* Every chunk but the last holds exactly 64 KiB of plaintext; the last holds 1 to
  64 KiB, or nothing when the whole plaintext is empty (a stream is never empty:
  its shortest form is the header and one 16-byte tag). So one plaintext has one
  sealed form, and its size is ``8 + n + 16 * max(1, ceil(n / 64 KiB))``.
* At most 2**32 chunks (256 TiB) per stream; the nonce prefix is random, so one key
  may seal many streams (two streams share a prefix with probability 2**-56).

Everything that does not open — a wrong key, a flipped byte, a truncation,
chunks reordered or spliced, a chunk after the last, an empty input, an unknown
version — is the one opaque :class:`~crypto_core.errors.DecryptionError`.

A decryptor hands out each chunk's plaintext once that chunk is authenticated,
but the stream as a whole is proved complete only when :meth:`StreamDecryptor.finalize`
returns: a caller writes what it gets somewhere provisional and keeps it only then.

Randomness (the nonce prefix) is injectable, for known-answer tests. The chunk
size is a parameter of both sides (``chunk_size``, as Tink's segment size is):
Parley always uses 64 KiB; a smaller one lets tests walk every byte of
a stream of many chunks. Both sides must use the same one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NoReturn, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto_core.encoding import RandomSource, default_random
from crypto_core.errors import DecryptionError
from crypto_core.stream_format import FORMATS, Format
from crypto_core.stream_format import READABLE as READABLE

VERSION = 2
"""The version written; :data:`READABLE` (``(1, 2)``) lists those read."""
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
PREFIX_SIZE = 7
HEADER_SIZE = 1 + PREFIX_SIZE
SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
KEY_SIZE = 32
MAX_CHUNKS = 2**32


class Readable(Protocol):
    """Where a stream's bytes come from: a file opened ``"rb"``, a pipe, a database snapshot."""

    def read(self, size: int, /) -> bytes: ...


class Writable(Protocol):
    """Where a stream's bytes go: a file opened ``"wb"``, or anything that takes bytes."""

    def write(self, data: bytes, /) -> object: ...


#: Told how far a long job is: ``(bytes done, bytes in all)``, the total None when unknown.
Progress = Callable[[int, int | None], None]


def sealed_size(plaintext_size: int) -> int:
    """How many bytes a plaintext of ``plaintext_size`` bytes takes once sealed (header included)."""
    if plaintext_size < 0:
        raise ValueError("a size cannot be negative")
    return HEADER_SIZE + plaintext_size + TAG_SIZE * max(1, math.ceil(plaintext_size / CHUNK_SIZE))


def _checked_key(key: bytes) -> bytes:
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        raise ValueError("a stream key has exactly 32 bytes")
    return key


def _checked_chunk_size(chunk_size: int) -> int:
    if not 1 <= chunk_size <= CHUNK_SIZE:
        raise ValueError("a chunk holds 1 byte to 64 KiB")
    return chunk_size


class StreamEncryptor:
    """Seals a plaintext fed in pieces of any size (always version 2); hands out sealed bytes as chunks fill.

    Write :attr:`header` first, then whatever :meth:`update` returns, then what
    :meth:`finalize` returns. One full chunk is held back until more plaintext
    arrives or the stream ends, because only then is it known whether it is the last.
    """

    __slots__ = ("_aead", "_associated", "_buffer", "_chunk_size", "_counter", "_done", "_prefix", "header")

    _FORMAT = FORMATS[VERSION]

    def __init__(
        self,
        key: bytes,
        associated_data: bytes = b"",
        *,
        random: RandomSource = default_random,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self._aead = self._FORMAT.aead(_checked_key(key))
        self._chunk_size = _checked_chunk_size(chunk_size)
        self._prefix = random(PREFIX_SIZE)
        if len(self._prefix) != PREFIX_SIZE:
            raise ValueError("the random source gave a nonce prefix of the wrong length")
        self.header = bytes([VERSION]) + self._prefix
        self._associated = bytes(associated_data)
        self._buffer = bytearray()
        self._counter = 0
        self._done = False

    def update(self, data: bytes) -> bytes:
        """Sealed bytes of every chunk that is now known not to be the last (often none)."""
        if self._done:
            raise ValueError("this stream is already finished")
        self._buffer += data
        out = bytearray()
        # Strictly more than a chunk: a chunk is sealed as not-last only once a byte after it exists.
        while len(self._buffer) > self._chunk_size:
            out += self._seal(bytes(self._buffer[: self._chunk_size]), last=False)
            del self._buffer[: self._chunk_size]
        return bytes(out)

    def finalize(self) -> bytes:
        """The last chunk, sealed as last. The stream is finished after this."""
        if self._done:
            raise ValueError("this stream is already finished")
        self._done = True
        last = self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        return last

    def _seal(self, chunk: bytes, *, last: bool) -> bytes:
        if self._counter >= MAX_CHUNKS:
            raise ValueError("a stream holds at most 2**32 chunks")
        form = self._FORMAT
        nonce = form.nonce(self._prefix, self._counter, last)
        sealed = self._aead.encrypt(nonce, chunk, form.aad(self.header, self._associated, last))
        self._counter += 1
        return sealed

    def __repr__(self) -> str:
        return f"StreamEncryptor(chunks={self._counter}, finished={self._done})"


class StreamDecryptor:
    """Opens a sealed stream of any version read (header first) fed in pieces of any size.

    It hands out authenticated plaintext. Any defect raises
    :class:`~crypto_core.errors.DecryptionError`, from :meth:`update` as soon as it
    shows or from :meth:`finalize` (a missing end); after one the decryptor refuses
    everything.
    """

    __slots__ = (
        "_aead",
        "_associated",
        "_buffer",
        "_chunk_size",
        "_counter",
        "_done",
        "_format",
        "_header",
        "_key",
    )

    def __init__(self, key: bytes, associated_data: bytes = b"", *, chunk_size: int = CHUNK_SIZE) -> None:
        # The chunk key depends on the version, known only once the header has arrived.
        self._key = _checked_key(key)
        self._chunk_size = _checked_chunk_size(chunk_size)
        self._associated = bytes(associated_data)
        self._format: Format | None = None
        self._aead: AESGCM | None = None
        self._header = b""
        self._buffer = bytearray()
        self._counter = 0
        self._done = False

    def update(self, data: bytes) -> bytes:
        """Plaintext of every chunk that is complete, authenticated and known not to be the last."""
        if self._done:
            raise DecryptionError
        self._buffer += data
        if self._format is None:
            if len(self._buffer) < HEADER_SIZE:
                return b""
            self._read_header()
        out = bytearray()
        sealed_chunk = self._chunk_size + TAG_SIZE
        # A full-size chunk may be the last one; it is opened as not-last only once a byte follows it.
        while len(self._buffer) > sealed_chunk:
            out += self._open(bytes(self._buffer[:sealed_chunk]), last=False)
            del self._buffer[:sealed_chunk]
        return bytes(out)

    def finalize(self) -> bytes:
        """The last chunk's plaintext; only when this returns is the stream known to be whole."""
        if self._done:
            raise DecryptionError
        if self._format is None:  # empty, or shorter than a header
            self._fail()
        chunk = bytes(self._buffer)
        self._buffer.clear()
        plaintext = self._open(chunk, last=True)
        # Only the empty plaintext ends in an empty chunk: one plaintext, one sealed form.
        if not plaintext and self._counter > 1:
            self._fail()
        self._done = True
        return plaintext

    def _read_header(self) -> None:
        header = bytes(self._buffer[:HEADER_SIZE])
        form = FORMATS.get(header[0])
        if form is None:
            self._fail()
        self._format, self._aead, self._header = form, form.aead(self._key), header
        del self._buffer[:HEADER_SIZE]

    def _open(self, sealed: bytes, *, last: bool) -> bytes:
        form, aead = self._format, self._aead
        assert form is not None and aead is not None
        if len(sealed) < TAG_SIZE or self._counter >= MAX_CHUNKS:
            self._fail()
        nonce = form.nonce(self._header[1:], self._counter, last)
        try:
            plaintext = aead.decrypt(nonce, sealed, form.aad(self._header, self._associated, last))
        except InvalidTag:
            self._fail()
        self._counter += 1
        return plaintext

    def _fail(self) -> NoReturn:
        self._done = True
        self._buffer.clear()
        raise DecryptionError

    def __repr__(self) -> str:
        return f"StreamDecryptor(chunks={self._counter}, finished={self._done})"


def _size_of(source: Readable) -> int | None:
    """The bytes left in a seekable file object, or None for a pipe, a socket or a plain reader."""
    seekable, tell, seek = (getattr(source, name, None) for name in ("seekable", "tell", "seek"))
    if seekable is None or tell is None or seek is None:
        return None
    try:
        if not seekable():
            return None
        here = int(tell())
        end = int(seek(0, 2))
        seek(here)
    except OSError:
        return None
    return end - here


def read_fully(source: Readable, size: int) -> bytes:
    """Up to ``size`` bytes: fewer only at the end (a pipe may hand out less per read)."""
    parts: list[bytes] = []
    wanted = size
    while wanted > 0:
        part = source.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def pump(
    source: Readable,
    target: Writable,
    step: Callable[[bytes], bytes],
    *,
    total: int | None,
    progress: Progress | None,
    size: int = CHUNK_SIZE,
) -> int:
    """Read ``source`` to its end ``size`` bytes at a time through ``step`` into ``target``; bytes read.

    ``progress`` hears ``(bytes read, total)`` after every read; the total is taken
    from a seekable ``source`` when not given.
    """
    if total is None:
        total = _size_of(source)
    done = 0
    if progress is not None:
        progress(0, total)
    while True:
        data = read_fully(source, size)
        if not data:
            return done
        target.write(step(data))
        done += len(data)
        if progress is not None:
            progress(done, total)


def encrypt_file(
    key: bytes,
    source: Readable,
    target: Writable,
    *,
    associated_data: bytes = b"",
    total: int | None = None,
    progress: Progress | None = None,
    random: RandomSource = default_random,
) -> int:
    """Seal everything ``source`` holds into ``target``; the number of sealed bytes written.

    ``progress`` hears ``(plaintext bytes read, plaintext total)``.
    """
    encryptor = StreamEncryptor(key, associated_data, random=random)
    target.write(encryptor.header)
    read = pump(source, target, encryptor.update, total=total, progress=progress)
    target.write(encryptor.finalize())
    return sealed_size(read)


def decrypt_file(
    key: bytes,
    source: Readable,
    target: Writable,
    *,
    associated_data: bytes = b"",
    total: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Open the sealed stream ``source`` holds into ``target``; the number of plaintext bytes written.

    ``progress`` hears ``(sealed bytes read, sealed total)``. On :class:`DecryptionError`
    ``target`` may hold a prefix of authenticated chunks: discard it.
    """
    decryptor = StreamDecryptor(key, associated_data)
    written = 0

    def step(data: bytes) -> bytes:
        nonlocal written
        plaintext = decryptor.update(data)
        written += len(plaintext)
        return plaintext

    pump(source, target, step, total=total, progress=progress, size=SEALED_CHUNK_SIZE)
    last = decryptor.finalize()
    target.write(last)
    return written + len(last)
