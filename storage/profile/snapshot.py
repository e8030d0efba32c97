"""A backup of a whole open profile: a consistent encrypted snapshot of its database, sealed into one file.

:func:`backup` copies the open profile's database with SQLCipher's
``sqlcipher_export`` into ``<profile folder>/<random>.snapshot``, a new
database encrypted under a fresh random 256-bit key that exists only in memory
and, afterwards, in the backup's manifest (inside the sealed stream). So no
byte of the profile is ever on disk in clear, not even for a moment. The
snapshot's bytes are then streamed through :func:`storage.profile.backup_file.write_backup`,
which seals them under the backup passphrase and writes the backup atomically.
The snapshot file is removed in every case (``finally``): after success, after
an error, and when the profile's disk has no room for it (the copy fails as a
full disk, says so in words, and leaves nothing behind). A snapshot left by a
killed process is removed the next time the profile is opened
(:func:`clean_up`); it is encrypted under a key no one kept.

The manifest (a JSON object, sealed) says what the payload is:

=================  ==========================================================
``kind``           ``"parley-profile"``
``payload``        ``"sqlcipher4"``: a SQLCipher 4 database keyed with a raw key
``snapshot_key``   the snapshot's raw key, 64 hex digits
``schema``         the database's schema version (``user_version``)
``label``          the profile's label on the computer it was made on
``made_at``        when the backup was made, milliseconds since the epoch
``conversations``  how many conversations, and ``messages`` how many messages
``files``          how many sealed copies follow the snapshot, and ``file_bytes`` their bytes
=================  ==========================================================

The profile belongs to the thread that opened it: a backup runs on that
thread (the engine's worker), so the engine waits while it runs; its progress
callback is called on that thread, chunk by chunk.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path

from crypto_core.encoding import RandomSource, default_random
from crypto_core.sealing import DEFAULT_PARAMS, KdfParams
from crypto_core.stream import Progress
from storage.profile.backup_file import write_backup
from storage.profile.backup_payload import BackedFile, PayloadReader, framing_size
from storage.profile.errors import DiskFull, ProfileError
from storage.profile.profile import Profile
from storage.profile.schema import APPLICATION_ID
from storage.profile.vault import Clock

KIND = "parley-profile"
PAYLOAD = "sqlcipher4"
SUFFIX = ".snapshot"
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT})


class SnapshotDiskFull(DiskFull):
    """The profile's disk had no room for the snapshot a backup is made from; nothing of it stays."""

    def __init__(self) -> None:
        ProfileError.__init__(
            self,
            "there is no room on the profile's disk for the copy a backup is made from: nothing was "
            "written and the profile is unchanged; free about the profile's size and try again",
        )


@dataclass(frozen=True)
class BackupResult:
    """A backup written: where, its size in bytes, and what it holds."""

    path: Path
    size: int
    conversations: int
    messages: int
    #: How many pictures and files it carries.
    files: int = 0


def backup(
    profile: Profile,
    path: Path,
    passphrase: str,
    *,
    progress: Progress | None = None,
    params: KdfParams = DEFAULT_PARAMS,
    random: RandomSource = default_random,
    clock: Clock = time.time,
) -> BackupResult:
    """Write a backup of the whole ``profile`` to ``path``, sealed under ``passphrase``."""
    if not passphrase:
        raise ValueError("the backup passphrase is empty")
    path = Path(path)
    key = random(32)
    snapshot = profile.folder / f"{random(8).hex()}{SUFFIX}"
    try:
        with profile.guarded():
            conversations = [summary.chat for summary in profile.history.conversations()]
            messages = sum(profile.history.count(chat) for chat in conversations)
            files = _files(profile)
            try:
                schema = profile.copy_to(snapshot, key)
            except DiskFull:
                raise SnapshotDiskFull() from None
            except OSError as exc:
                if exc.errno in _NO_ROOM:
                    raise SnapshotDiskFull() from None
                raise
        manifest = {
            "kind": KIND,
            "payload": PAYLOAD,
            "snapshot_key": key.hex(),
            "schema": schema,
            "application_id": APPLICATION_ID,
            "label": profile.label,
            "made_at": round(clock() * 1000),
            "conversations": len(conversations),
            "messages": messages,
            "files": len(files),
            "file_bytes": sum(item.size for item in files),
        }
        with snapshot.open("rb") as source:
            snapshot_size = os.fstat(source.fileno()).st_size
            payload = PayloadReader(source, snapshot_size, files)
            try:
                size = write_backup(
                    path,
                    payload,
                    passphrase,
                    manifest=manifest,
                    total=snapshot_size + sum(item.size for item in files) + framing_size(files),
                    progress=progress,
                    params=params,
                    random=random,
                )
            finally:
                payload.close()
    finally:
        snapshot.unlink(missing_ok=True)
    return BackupResult(path, size, len(conversations), messages, len(files))


def _files(profile: Profile) -> list[BackedFile]:
    """The whole sealed copies the attachment rows name (a ``.part`` is a transfer under way)."""
    store = profile.attachments
    found = []
    for name in store.names():
        path = store.sealed(name)
        try:
            found.append(BackedFile(name, path, path.stat().st_size))
        except FileNotFoundError:
            continue  # not here (not downloaded yet, or lost): the restored row says so
    return found


def clean_up(folder: Path) -> None:
    """Remove snapshots a killed backup left in a profile folder (encrypted under keys no one kept)."""
    for stray in folder.glob(f"*{SUFFIX}"):
        stray.unlink(missing_ok=True)
