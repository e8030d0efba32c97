"""The pictures and files of an export: each one that is here decrypted into the export's ``files/``.

A message's file is exported when its transfer is done and its sealed copy is in the profile's
``files/`` folder: it is decrypted (:func:`crypto_core.stream.decrypt_file`, the key from its
attachment row) chunk by chunk into ``files/<name>`` of the export, in constant memory. The
name is the one the message carries made safe for every file system (letters, digits, ``.``,
``-`` and ``_``; no leading dot, no name Windows keeps for a device; at most 80 characters,
the extension kept) and unique within
the export, compared without case (``lake.jpg``, ``lake-2.jpg``...). A copy that does not open
(damaged) costs only itself: the export goes on, and the message says the file could not be
exported. A file that is not here (not downloaded, failed, cancelled) is named, not written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from crypto_core.encoding import b64decode
from crypto_core.errors import CryptoError
from storage.profile.attachments import Attachment
from storage.profile.errors import DamagedValue
from storage.profile.export_folder import ExportFolder

FILES = "files"
_MAX_NAME = 80
_UNSAFE = re.compile(r"[^\w.-]+")
#: Names Windows keeps for devices, whatever the extension.
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10)}
)


class AttachmentFiles(Protocol):
    """Where an export finds a file's sealed copy (the profile's attachment store)."""

    def sealed(self, name: str) -> Path: ...


@dataclass(frozen=True)
class ExportedFile:
    """What an export says of a message's file: its name, type, size, and where it was written."""

    name: str
    mime: str
    size: int
    #: The path inside the export (``files/lake.jpg``), or "" when it was not written.
    path: str
    #: Why it was not written, in words ("" when it was).
    missing: str = ""
    width: int = 0
    height: int = 0

    @property
    def picture(self) -> bool:
        return self.mime.startswith("image/") and bool(self.path)


def safe_name(name: str) -> str:
    """A file name for every file system: letters, digits, ``.-_``; no leading dot; the extension kept."""
    cleaned = _UNSAFE.sub("-", unicodedata.normalize("NFKC", name)).strip("-_. ")
    stem, dot, extension = cleaned.rpartition(".")
    if not dot or not stem or len(extension) > 10:
        stem, extension = cleaned, ""
    extension = extension[:10]
    stem = stem[: _MAX_NAME - len(extension) - 1].strip("-_. ") or "file"
    if stem.upper() in _RESERVED:
        stem = f"file-{stem}"
    return f"{stem}.{extension}" if extension else stem


class ExportFiles:
    """Writes the files of one export, each under a name no other file of the export has."""

    def __init__(self, folder: ExportFolder, store: AttachmentFiles | None) -> None:
        self._folder = folder
        self._store = store
        self._taken: set[str] = set()
        #: How many files were written.
        self.written = 0

    def export(self, attachment: Attachment) -> ExportedFile:
        spec = attachment.spec
        name = str(spec.get("name") or "file")
        mime = str(spec.get("type") or "application/octet-stream")
        size = spec.get("size")
        found = ExportedFile(name, mime, size if isinstance(size, int) else 0, "")
        width, height = spec.get("w"), spec.get("h")
        if isinstance(width, int) and isinstance(height, int):
            found = ExportedFile(name, mime, found.size, "", width=width, height=height)
        sealed = self._store.sealed(attachment.file) if self._store is not None and attachment.file else None
        if attachment.state != "done" or sealed is None or not sealed.exists():
            return _missing(found, "not here: it was not downloaded on this computer")
        path = f"{FILES}/{self._unique(safe_name(name))}"
        try:
            key = b64decode(spec.get("key"), what="file key")
            self._folder.write_decrypted(path, sealed, key)
        except (CryptoError, DamagedValue, ValueError):
            return _missing(found, "it could not be exported: its copy here is damaged")
        self.written += 1
        return ExportedFile(name, mime, found.size, path, width=found.width, height=found.height)

    def _unique(self, name: str) -> str:
        stem, dot, extension = name.rpartition(".")
        if not dot:
            stem, extension = name, ""
        candidate, n = name, 1
        while candidate.casefold() in self._taken:
            n += 1
            candidate = f"{stem}-{n}.{extension}" if extension else f"{stem}-{n}"
        self._taken.add(candidate.casefold())
        return candidate


def _missing(found: ExportedFile, why: str) -> ExportedFile:
    return ExportedFile(found.name, found.mime, found.size, "", why, found.width, found.height)
