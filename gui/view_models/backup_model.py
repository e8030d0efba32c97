"""Backup, restore and export as forms, without Tk: what was typed, what is wrong, what the app says.

A backup passphrase follows the profile passphrase's own rule
(:func:`net.protocol.validation.validate_passphrase`): it guards the same keys
and history, on a file that may end up anywhere. The sentences a person reads
around these three actions (the warning before an export, what a restore does to
secure sessions, the result lines) live here so they are tested without a display.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from gui.view_models.forms import FormInvalid
from net.protocol.validation import ValidationError, validate_display_name, validate_passphrase

BACKUP_SUFFIX = ".parleybackup"
ExportFormat = Literal["html", "json"]
#: What a long action counts as it goes: the engine reports bytes for a backup and a restore,
#: conversations for an export.
ProgressUnit = Literal["bytes", "conversations"]
FORMATS: tuple[ExportFormat, ...] = ("html", "json")

BACKUP_NOTE = (
    "The backup is encrypted with a passphrase of its own. You need it to restore the backup; "
    "nobody can recover it for you, so keep it somewhere safe."
)
RESTORE_NOTE = "Secure sessions restart after a restore; your contacts' apps resend what could not be read."
EXPORT_WARNING = (
    "An export is not encrypted: anyone with the folder can read these messages, and open the pictures "
    "and files it holds."
)

_UNSAFE = re.compile(r"[^\w.-]+")


def default_backup_name(label: str, today: date) -> str:
    """``parley-<label>-<date>.parleybackup``, the label made safe for any file system."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    safe = _UNSAFE.sub("-", ascii_label).strip("-.").lower()[:40] or "profile"
    return f"parley-{safe}-{today.isoformat()}{BACKUP_SUFFIX}"


def format_size(size: int) -> str:
    """A size as file managers show it: 512 bytes, 3.4 kB, 12.0 MB, 1.2 GB (powers of 1000)."""
    if size < 1000:
        return "1 byte" if size == 1 else f"{size} bytes"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def percent(done: int, total: int) -> float:
    """How far along, 0 to 100; an unknown (zero) total counts as not started."""
    if total <= 0:
        return 0.0
    return max(0.0, min(100.0, 100.0 * done / total))


def progress_words(done: int, total: int, unit: ProgressUnit = "bytes") -> str:
    """``3.4 MB of 12.0 MB (28%)`` for a backup or a restore, ``3 of 12 conversations`` for an export."""
    if total <= 0:
        return "Starting…"
    done = min(done, total)
    if unit == "conversations":
        return f"{done} of {total} conversations ({percent(done, total):.0f}%)"
    return f"{format_size(done)} of {format_size(total)} ({percent(done, total):.0f}%)"


def backed_up_text(path: Path, size: int) -> str:
    return f"Backed up to {path} ({format_size(size)})."


def restored_text(label: str) -> str:
    return f"Restored “{label}”. Enter its new passphrase to open it."


def exported_text(conversations: int, folder: Path) -> str:
    noun = "conversation" if conversations == 1 else "conversations"
    return f"Exported {conversations} {noun} to {folder}."


def _passphrase_twice(errors: dict[str, str], passphrase: str, repeat: str) -> None:
    try:
        validate_passphrase(passphrase)
    except ValidationError as exc:
        errors["passphrase"] = str(exc)
        return
    if repeat != passphrase:
        errors["repeat"] = "The two passphrases differ. Type the same one twice."


@dataclass
class BackupForm:
    path: str = ""
    passphrase: str = ""
    repeat: str = ""

    def cleaned(self) -> tuple[Path, str]:
        """Where to write the backup and its passphrase, or :class:`FormInvalid`."""
        errors: dict[str, str] = {}
        if not self.path.strip():
            errors["path"] = "Choose where to save the backup."
        _passphrase_twice(errors, self.passphrase, self.repeat)
        if errors:
            raise FormInvalid(errors)
        path = Path(self.path.strip()).expanduser()
        if path.suffix != BACKUP_SUFFIX:
            path = path.with_name(path.name + BACKUP_SUFFIX)
        return path, self.passphrase


@dataclass
class RestoreForm:
    path: str = ""
    backup_passphrase: str = ""
    label: str = ""
    passphrase: str = ""
    repeat: str = ""

    def cleaned(self) -> tuple[Path, str, str, str]:
        """The backup file, its passphrase, the name on this computer and the new passphrase."""
        errors: dict[str, str] = {}
        path = Path(self.path.strip()).expanduser()
        if not self.path.strip():
            errors["path"] = "Choose the backup file to restore."
        elif not path.is_file():
            errors["path"] = f"There is no file {path.name} in that folder."
        if not self.backup_passphrase:
            errors["backup_passphrase"] = "Enter the passphrase the backup was made with."  # noqa: S105
        try:
            label = validate_display_name(self.label)
        except ValidationError as exc:
            errors["label"] = str(exc)
            label = ""
        _passphrase_twice(errors, self.passphrase, self.repeat)
        if errors:
            raise FormInvalid(errors)
        return path, self.backup_passphrase, label, self.passphrase


@dataclass
class ExportForm:
    folder: str = ""
    fmt: str = "html"

    def cleaned(self) -> tuple[Path, ExportFormat]:
        errors: dict[str, str] = {}
        if not self.folder.strip():
            errors["folder"] = "Choose the folder to export into."
        fmt = next((f for f in FORMATS if f == self.fmt), None)
        if fmt is None:
            errors["fmt"] = "Choose HTML or JSON."
        if errors or fmt is None:
            raise FormInvalid(errors)
        return Path(self.folder.strip()).expanduser(), fmt
