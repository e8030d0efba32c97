"""The ``file`` field of a text payload: what announces a picture or a file, checked strictly.

A text that carries a file adds one object to its payload (the text is then the caption, maybe
empty); the same object goes 1:1 and to every member of a group, since the blob is uploaded once::

    "file": {"blob": id, "key": b64 32 bytes, "sha256": b64 32 bytes (of the sealed blob),
             "size": plaintext bytes, "name": sanitised name, "type": MIME,
             "w": width, "h": height, "thumb": b64 JPEG}     (the last three for pictures only)

The blob is the file sealed by :mod:`crypto_core.stream` under ``key``, a fresh random key per
file, so its length follows from ``size``. Parsing is strict (every field of its type and range,
no unknown field, the name exactly as :func:`sanitised_name` leaves it); a defect is
:class:`~net.client.core.malformed.MalformedEnvelope`, which never quotes the input.

A name from anywhere (the sender's disk, a payload, a save dialog's default) goes through
:func:`sanitised_name`: no path separators, no control or bidi-override characters, no reserved
Windows device names, at most 255 UTF-8 bytes with its extension kept, never empty.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from crypto_core.encoding import b64decode, b64encode
from crypto_core.errors import CryptoError
from crypto_core.stream import KEY_SIZE
from net.client.core.malformed import MalformedEnvelope

#: The largest file, in plaintext bytes; a server may accept less (``blob_too_large`` says so in words).
MAX_FILE = 100 * 1024 * 1024
MAX_NAME_BYTES = 255
MAX_THUMB = 24 * 1024
MAX_SIDE = 1 << 16
DIGEST_SIZE = 32
_BLOB_ID = re.compile(r"[A-Za-z0-9_-]{43}")
_MIME = re.compile(r"[a-z0-9][a-z0-9.+-]{0,63}/[a-z0-9][a-z0-9.+-]{0,126}")
_FIELDS = frozenset({"blob", "key", "sha256", "size", "name", "type", "w", "h", "thumb"})
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
#: What a name that sanitises to nothing is called.
FALLBACK_NAME = "file"
#: What a file's first bytes say it is, for types a name does not give away (checked after the name).
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
)


@dataclass(frozen=True)
class FileInfo:
    blob: str
    key: bytes
    sha256: bytes
    size: int
    name: str
    mime: str
    width: int = 0
    height: int = 0
    thumbnail: bytes = b""

    def fields(self) -> dict[str, Any]:
        """The object that goes into the payload as ``file``."""
        obj: dict[str, Any] = {
            "blob": self.blob,
            "key": b64encode(self.key),
            "sha256": b64encode(self.sha256),
            "size": self.size,
            "name": self.name,
            "type": self.mime,
        }
        if self.width and self.height:
            obj["w"], obj["h"] = self.width, self.height
        if self.thumbnail:
            obj["thumb"] = b64encode(self.thumbnail)
        return obj

    def __repr__(self) -> str:  # the key, the name and the thumbnail stay out of logs
        return f"FileInfo(size={self.size}, mime={self.mime!r})"


def _int(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def parse_file(value: object) -> FileInfo:
    """The ``file`` object of a payload, checked; :class:`MalformedEnvelope` on any defect."""
    if not isinstance(value, dict) or not set(value) <= _FIELDS:
        raise MalformedEnvelope("file: not an object of known fields")
    blob, size, name, mime = value.get("blob"), value.get("size"), value.get("name"), value.get("type")
    width, height = value.get("w", 0), value.get("h", 0)
    if not (isinstance(blob, str) and _BLOB_ID.fullmatch(blob)):
        raise MalformedEnvelope("file: bad blob id")
    if not (isinstance(size, int) and _int(size, 0, MAX_FILE)):
        raise MalformedEnvelope("file: bad size")
    if not (isinstance(name, str) and len(name) <= MAX_NAME_BYTES and sanitised_name(name) == name):
        raise MalformedEnvelope("file: bad name")
    if not (isinstance(mime, str) and _MIME.fullmatch(mime)):
        raise MalformedEnvelope("file: bad type")
    if not (_int(width, 0, MAX_SIDE) and _int(height, 0, MAX_SIDE)) or (width == 0) != (height == 0):
        raise MalformedEnvelope("file: bad dimensions")
    try:
        key = b64decode(value.get("key"), length=KEY_SIZE, what="file key")
        digest = b64decode(value.get("sha256"), length=DIGEST_SIZE, what="file digest")
        thumb = b64decode(value["thumb"], what="file thumbnail") if "thumb" in value else b""
    except CryptoError:
        raise MalformedEnvelope("file: a field is malformed") from None
    if len(thumb) > MAX_THUMB or ("thumb" in value and not thumb):
        raise MalformedEnvelope("file: bad thumbnail")
    return FileInfo(blob, key, digest, size, name, mime, width, height, thumb)


def sanitised_name(name: str) -> str:
    """A name safe to show and to save under on any system, as close to ``name`` as that allows."""
    text = unicodedata.normalize("NFC", name)
    kept = []
    for ch in text:
        if (
            ch in "/\\"
            or ch in _BIDI
            or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
        ):
            kept.append("_" if ch in "/\\" else "")
        elif ch in '<>:"|?*':
            kept.append("_")
        else:
            kept.append(ch)
    # Windows drops trailing dots and spaces, and "." and ".." name folders, so they go.
    text = "".join(kept).strip().rstrip(". ").lstrip(".").strip()
    if not text:
        return FALLBACK_NAME
    stem, dot, extension = text.rpartition(".")
    if not dot or not stem:
        stem, extension = text, ""
    if stem.split(".")[0].strip().lower() in _RESERVED:
        stem = f"_{stem}"
    ext = f".{extension}" if extension else ""
    if len(ext.encode("utf-8")) > 32:  # a long "extension" is a part of the name, cut like the rest
        stem, ext = f"{stem}{ext}", ""
    room = MAX_NAME_BYTES - len(ext.encode("utf-8"))
    stem = _cut(stem, room).rstrip(". ") or FALLBACK_NAME
    return stem + ext


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def mime_of(name: str, head: bytes) -> str:
    """The type of a file, from its first bytes where they say (a picture, a PDF), else from its name."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed and _MIME.fullmatch(guessed.lower()):
        return guessed.lower()
    return "application/octet-stream"
