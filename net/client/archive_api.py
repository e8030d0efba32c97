"""The Messenger's backup, restore and export: thin delegations to :mod:`net.client.archive`.

A mixin, so that :mod:`net.client.messenger` stays small. These run long; the
engine waits while they do, and ``progress`` hears how far they are.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from net.client import archive
from net.client.api_base import ApiBase
from net.client.archive import BackupDone, ExportResult


class ArchiveApi(ApiBase):
    """The backup, restore and export commands of :class:`net.client.messenger.Messenger`."""

    def backup(
        self, path: Path, passphrase: str, *, progress: Callable[[int, int], None] | None = None
    ) -> BackupDone:
        """A backup of the open profile, sealed under ``passphrase``; the engine waits while it runs."""
        return archive.backup(self._require(), path, passphrase, params=self._kdf_params, progress=progress)

    def restore_profile(
        self,
        path: Path,
        backup_passphrase: str,
        *,
        label: str,
        passphrase: str,
        progress: Callable[[int, int], None] | None = None,
    ) -> str:
        """Restore a backup as a new profile (not opened), locked under ``passphrase``; its id."""
        return archive.restore_profile(
            self._profiles, path, backup_passphrase, label=label, passphrase=passphrase, progress=progress
        )

    def export(
        self,
        folder: Path,
        fmt: Literal["html", "json"],
        *,
        contact: str | None = None,
        theme: Literal["light", "dark"] = "light",
        progress: Callable[[int, int], None] | None = None,
    ) -> ExportResult:
        """A readable export (not encrypted) of one conversation, or of all, into a new or empty folder."""
        return archive.export(self._require(), folder, fmt, contact=contact, theme=theme, progress=progress)
