"""The Messenger's backup, restore and export commands, with the profile's errors in a person's words.

* :func:`backup`: a backup of the open profile (:mod:`storage.profile.snapshot`),
  sealed under a backup passphrase of its own. It runs on the engine's thread,
  which owns the profile: the engine does nothing else meanwhile (no messages
  are fetched or sent; the connection may time out and is made again after), and
  ``progress`` is called on that thread.
* :func:`restore_profile`: a backup into a new profile (:mod:`storage.profile.restore`),
  under a new passphrase for this computer; locked or unlocked, it opens nothing.
  At its first login the engine publishes fresh prekeys (:func:`net.client.duties.Duties.after_login`).
* :func:`export`: a readable, not encrypted export (:mod:`storage.profile.export`).

Every failure is an :class:`~net.client.core.engine_error.EngineError` with a
stable code: ``wrong_passphrase``, ``not_a_backup``, ``backup_too_new``,
``backup_damaged``, ``disk_full``, ``backup_file``, ``folder_not_empty``,
``not_a_folder``, ``unknown_contact``, ``bad_profile_name``, ``weak_passphrase``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from crypto_core.backup import BackupDamaged, BackupTooNew, NotABackup
from crypto_core.errors import WrongPassphrase
from crypto_core.sealing import KdfParams
from crypto_core.stream import Progress as StreamProgress
from net.client import expiry
from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.profiles import checked_passphrase
from storage.profile import snapshot
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DiskFull, ProfileDamaged, ProfileError
from storage.profile.export import PALETTES, ExportResult, export_html, export_json
from storage.profile.restore import NotAProfileBackup

__all__ = ["BackupDone", "ExportResult", "Progress", "backup", "export", "restore_profile"]

#: ``(done, total)``: bytes for a backup and a restore, conversations for an export.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BackupDone:
    """A backup written: its path, its size in bytes, and how many conversations and messages it holds."""

    path: Path
    size: int
    conversations: int
    messages: int


def backup(
    ctx: Context,
    path: Path,
    passphrase: str,
    *,
    params: KdfParams,
    progress: Progress | None = None,
) -> BackupDone:
    checked_passphrase(passphrase)
    with ctx.storing("backup"):
        expiry.remove_all_due(ctx)  # a message whose time is up is in no backup
        try:
            done = snapshot.backup(
                ctx.profile,
                Path(path),
                passphrase,
                progress=_known(progress),
                params=params,
                random=ctx.random,
            )
        except DiskFull as exc:  # the backup's own disk, or the snapshot's: words of their own
            raise EngineError("disk_full", exc.message) from None
        except ProfileDamaged:
            raise  # the profile's own damage: Context.storing reports it
        except (ProfileError, ValueError) as exc:
            raise _engine_error(exc) from None
    return BackupDone(done.path, done.size, done.conversations, done.messages)


def restore_profile(
    directory: ProfileDirectory,
    path: Path,
    backup_passphrase: str,
    *,
    label: str,
    passphrase: str,
    progress: Progress | None = None,
) -> str:
    checked_passphrase(passphrase)
    try:
        return directory.restore(
            Path(path), backup_passphrase, label=label, passphrase=passphrase, progress=_known(progress)
        )
    except WrongPassphrase:
        raise EngineError(
            "wrong_passphrase", "That backup passphrase does not open this backup. Check it and try again."
        ) from None
    except (NotABackup, NotAProfileBackup):
        words = "This file is not a backup of a Parley profile, so nothing was restored."
        raise EngineError("not_a_backup", words) from None
    except BackupTooNew as exc:
        raise EngineError("backup_too_new", _sentence(str(exc))) from None
    except BackupDamaged:
        raise EngineError(
            "backup_damaged",
            "This backup is damaged or incomplete, so it cannot be restored; nothing was restored.",
        ) from None
    except ValueError as exc:
        raise EngineError("bad_profile_name", _sentence(str(exc))) from None
    except ProfileError as exc:
        raise _engine_error(exc) from None


def export(
    ctx: Context,
    folder: Path,
    fmt: Literal["html", "json"],
    *,
    contact: str | None = None,
    theme: Literal["light", "dark"] = "light",
    progress: Progress | None = None,
) -> ExportResult:
    if fmt not in ("html", "json"):
        raise EngineError("bad_format", "An export is HTML or JSON.")
    if theme not in PALETTES:
        raise EngineError("bad_theme", "The theme of an export is light or dark.")
    with ctx.storing("export"):
        expiry.remove_all_due(ctx)  # a message whose time is up is in no export
        try:
            if fmt == "html":
                return export_html(
                    ctx.profile, Path(folder), palette=PALETTES[theme], contact=contact, progress=progress
                )
            return export_json(ctx.profile, Path(folder), contact=contact, progress=progress)
        except DiskFull as exc:
            raise EngineError("disk_full", exc.message) from None
        except ProfileDamaged:
            raise
        except ProfileError as exc:
            raise _engine_error(exc) from None


def _known(progress: Progress | None) -> StreamProgress | None:
    """The stream's progress (whose total may be unknown) as the engine's: both sizes are known here."""
    if progress is None:
        return None
    report = progress

    def relay(done: int, total: int | None) -> None:
        report(done, done if total is None else total)

    return relay


def _engine_error(exc: ProfileError | ValueError) -> EngineError:
    if isinstance(exc, ValueError):
        return EngineError("weak_passphrase", _sentence(str(exc)))
    return EngineError(exc.code, exc.message)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
