"""What a file or picture message says and offers: sizes, progress, the state in words, its buttons.

Plain functions without Tk, so that every sentence of a file bubble and the
rule of which actions a transfer offers in which state are tested without a
display; :mod:`gui.views.file_bubble` only draws what these return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urlparse

from net.client.core.events import AttachmentView, TransferState

#: A pasted picture is held in memory and sent as bytes (the engine's limit for ``send_data``).
PASTE_LIMIT = 25 * 1024 * 1024
#: The most bytes the picture viewer asks the engine for (larger pictures open with the system viewer).
VIEWER_LIMIT = 64 * 1024 * 1024
#: The widest a thumbnail is drawn in a bubble, in pixels (it is narrower in a narrow window).
THUMB_WIDEST = 320
#: The picture viewer never gets a decoded picture with a side longer than this (scaled on the worker).
VIEWER_SIDE = 2560

_UNITS = ("KB", "MB", "GB", "TB")


class FileAction(StrEnum):
    """What a person can do with a file message; each is one engine call (or a window of ours)."""

    VIEW = "view"  # a picture: the viewer window
    OPEN = "open"  # the system's own viewer for the file
    SAVE = "save"  # Save as…
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    RETRY = "retry"  # a failed transfer: resume_transfer tries again
    DOWNLOAD = "download"  # a cancelled download: resume_transfer fetches it after all


#: The words of each action's link in the bubble.
ACTION_LABEL: dict[FileAction, str] = {
    FileAction.VIEW: "View",
    FileAction.OPEN: "Open",
    FileAction.SAVE: "Save as…",
    FileAction.PAUSE: "Pause",
    FileAction.RESUME: "Resume",
    FileAction.CANCEL: "Cancel",
    FileAction.RETRY: "Retry",
    FileAction.DOWNLOAD: "Download",
}

_MOVING = {TransferState.PREPARING, TransferState.UPLOADING, TransferState.WAITING, TransferState.DOWNLOADING}


def size_text(size: int) -> str:
    """A size as people read it: "512 bytes", "1 KB", "3.4 MB", "1.2 GB" (powers of 1024, as file managers on
    Windows and in Signal; one decimal below 10 units)."""
    if size < 1024:
        return "1 byte" if size == 1 else f"{size} bytes"
    value = float(size)
    for unit in _UNITS:
        value /= 1024
        if value < 1024 or unit == _UNITS[-1]:
            if value < 10:
                return f"{value:.1f} {unit}".replace(".0 ", " ")
            return f"{value:.0f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def is_moving(attachment: AttachmentView) -> bool:
    """A transfer under way (or queued to start): it shows a progress bar, Pause and Cancel."""
    return attachment.state in _MOVING


def is_picture(attachment: AttachmentView) -> bool:
    """Drawn as a picture: an image with a thumbnail the sender made (anything else is a file bubble)."""
    return attachment.mime.startswith("image/") and bool(attachment.thumbnail)


def fraction(attachment: AttachmentView) -> float:
    """How much of the file has moved, 0.0 to 1.0 (a done file is whole)."""
    if attachment.state == TransferState.DONE:
        return 1.0
    if attachment.size <= 0:
        return 0.0
    return max(0.0, min(1.0, attachment.transferred / attachment.size))


def state_text(attachment: AttachmentView, *, outgoing: bool) -> str:
    """The line under the file's name: its size, and what is happening to it."""
    size = size_text(attachment.size)
    moved = f"{size_text(attachment.transferred)} of {size}"
    state = attachment.state
    if state == TransferState.PREPARING:
        return f"{size} · encrypting…"
    if state == TransferState.UPLOADING:
        return f"Sending · {moved}"
    if state == TransferState.WAITING:
        return f"{size} · waiting to download"
    if state == TransferState.DOWNLOADING:
        return f"Downloading · {moved}"
    if state == TransferState.PAUSED:
        return f"Paused · {moved}"
    if state == TransferState.FAILED:
        why = attachment.error.strip().rstrip(".") or "the transfer stopped"
        return f"{size} · not {'sent' if outgoing else 'downloaded'}: {why}"
    if state == TransferState.CANCELLED:
        return f"{size} · {'sending cancelled' if outgoing else 'download cancelled'}"
    return size


def actions(attachment: AttachmentView, *, outgoing: bool) -> tuple[FileAction, ...]:
    """The links a file message offers in its state, the most wanted first (Enter does the first)."""
    state, picture = attachment.state, is_picture(attachment)
    if state == TransferState.DONE:
        return (FileAction.VIEW if picture else FileAction.OPEN, FileAction.SAVE)
    if state == TransferState.PAUSED:
        return (FileAction.RESUME, FileAction.CANCEL)
    if state == TransferState.FAILED:
        return (FileAction.RETRY, FileAction.CANCEL)
    if state == TransferState.CANCELLED:
        return () if outgoing else (FileAction.DOWNLOAD,)
    return (FileAction.PAUSE, FileAction.CANCEL)


@dataclass(frozen=True)
class Fitted:
    """A picture's drawn size in pixels."""

    width: int
    height: int


def fit_within(width: int, height: int, most_width: int, most_height: int) -> Fitted:
    """``width`` × ``height`` scaled down (never up) to fit the box, its aspect kept; at least 1×1."""
    if width <= 0 or height <= 0:  # not known: a 4:3 box, as most photos are
        width, height = 4 * most_width, 3 * most_width
    scale = min(1.0, most_width / width, most_height / height)
    return Fitted(max(1, round(width * scale)), max(1, round(height * scale)))


def thumbnail_size(attachment: AttachmentView, bubble_width: int) -> Fitted:
    """The thumbnail's drawn size in a bubble ``bubble_width`` pixels wide inside: the picture's aspect
    (its real width and height, else the thumbnail's own), as wide as the bubble allows, at most
    :data:`THUMB_WIDEST`, and no taller than its width allows for a tall picture (4:3 the other way)."""
    widest = max(60, min(THUMB_WIDEST, bubble_width))
    return fit_within(attachment.width, attachment.height, widest, widest * 4 // 3)


def last_line(attachment: AttachmentView, caption: str) -> str:
    """A file message as the conversation list's last line: its caption, else what it is."""
    if caption.strip():
        return caption
    kind = "Photo" if attachment.mime.startswith("image/") else "File"
    return f"{kind}: {attachment.name}"


@dataclass(frozen=True, eq=False)
class Staged:
    """A file chosen for the next message and not sent yet: a file on disk (``path``) or a pasted picture
    held in memory (``data``). Compared by identity: the same file staged twice is two attachments."""

    name: str
    size: int
    path: Path | None = None
    data: bytes = field(default=b"", repr=False)

    @property
    def line(self) -> str:
        """What the staged row says: the name and the size."""
        return f"{self.name} · {size_text(self.size)}"


def drop_paths(items: Sequence[str]) -> list[Path]:
    """The files of a drop, from tkdnd's list (already split into its items): paths, or ``file:`` URIs as
    some file managers send them; empty items and other URIs (a web page's link) are left out."""
    paths: list[Path] = []
    for item in items:
        item = item.strip()
        if item.startswith("file://"):
            parsed = urlparse(item)
            if parsed.netloc not in ("", "localhost"):
                continue
            item = unquote(parsed.path)
        elif "://" in item:
            continue
        if item:
            paths.append(Path(item))
    return paths
