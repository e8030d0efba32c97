"""Restore a backup (:mod:`storage.profile.snapshot`) into a new profile, whole or not at all.

The sequence, each step named for tests that kill the process there (:data:`STEPS`):

1. ``read``: :func:`~storage.profile.backup_file.read_backup_into` writes the snapshot
   into ``<root>/<new id>.part/profile.db`` and, from a backup of container version 3,
   the sealed copies of the pictures and files into ``<id>.part/files/``, each synced
   (:mod:`storage.profile.backup_payload`). The backup passphrase is checked
   first, so a wrong one (``WrongPassphrase``) stops before anything is written,
   not even the ``.part`` folder. The stream is authenticated chunk by chunk and
   known whole only when it ends; any failure removes the ``.part``.
2. ``rekeyed``: the snapshot is opened with the key from its manifest and
   rekeyed (``PRAGMA rekey``) to the database key of a fresh master key, so the
   backup's key opens nothing on this computer.
3. ``migrated``: the schema steps a backup of an older Parley lacks are applied;
   every ratchet session is deleted and the profile is marked restored (below);
   the attachment rows are made to match the files that came (a transfer under way
   is paused, a copy of the wrong size dropped, a file not there FAILED in words).
4. ``header``: the header wraps the new master key under the new passphrase,
   which the person chooses for this computer (the backup passphrase is a
   separate one, and stays so); the new profile is reopened from its header
   alone and must pass ``PRAGMA integrity_check`` and ``cipher_integrity_check``.
5. ``synced``, then ONE atomic rename ``<id>.part/`` -> ``<id>/`` (``renamed``):
   the commit point. A kill at any moment before it leaves only a ``.part``,
   which listing and opening remove; after it, the whole profile.

Restoring the same backup twice gives two profiles with two new ids.

Why the sessions go, and the mark: the backup's ratchet sessions are from the
time it was made. If the profile went on elsewhere, its chains moved on, and
sending on the backup's state would reuse message keys that were already used
for other messages. So none is kept (contacts, their pinned identities and
verified flags, the history, the identity and the prekeys are). The mark
(:data:`RESTORED`) tells the engine, at the first login, to publish a fresh
signed prekey and replace the server's stock of one-time prekeys (the other
copy may have published some whose private halves this one lacks); then it
clears the mark. The rest heals as any lost session does: messages on old
sessions fail, are reported undecryptable, and the reset notice asks again.
"""

from __future__ import annotations

import errno
import hmac
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from crypto_core.backup import BackupDamaged, Manifest
from crypto_core.encoding import RandomSource, default_random
from crypto_core.sealing import KdfParams
from crypto_core.stream import Progress
from storage.profile import database, header
from storage.profile.account import RESTORED, put_record
from storage.profile.backup_file import read_backup_into
from storage.profile.backup_payload import PayloadWriter, settle
from storage.profile.errors import DATABASE_ERRORS, DiskFull, ProfileDamaged, ProfileError, from_sqlite
from storage.profile.schema import CURRENT, Schema, check_readable, migrate
from storage.profile.snapshot import KIND, PAYLOAD
from storage.profile.vault import Clock, Vault

PART = ".part"
STEPS = ("read", "rekeyed", "migrated", "header", "synced", "renamed")
StepHook = Callable[[str], None]
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
#: The container version from which a backup's payload carries files after the snapshot.
FRAMED_FROM = 3


class RestoreDiskFull(DiskFull):
    """The new profile did not fit on the disk of the profile folder; nothing of it stays."""

    def __init__(self) -> None:
        ProfileError.__init__(
            self,
            "there is no room on this disk for the restored profile: nothing of it was kept; free some "
            "space (about the backup's size, twice) and restore again",
        )


class NotAProfileBackup(ProfileError):
    """A Parley backup whose payload is not a profile this version knows."""

    code = "not_a_backup"

    def __init__(self) -> None:
        super().__init__("this backup does not hold a Parley profile that this version can restore")


def nothing(step: str) -> None:
    return None


def restore(
    root: Path,
    backup_path: Path,
    backup_passphrase: str,
    *,
    label: str,
    passphrase: str,
    params: KdfParams,
    schema: Schema = CURRENT,
    random: RandomSource = default_random,
    clock: Clock = time.time,
    progress: Progress | None = None,
    on_step: StepHook = nothing,
) -> str:
    """Restore the backup at ``backup_path`` as a new profile in ``root``, listed as ``label``; its id."""
    if not passphrase:
        raise ValueError("the passphrase is empty")
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    profile_id = random(8).hex()
    part, folder = root / f"{profile_id}{PART}", root / profile_id
    if part.exists() or folder.exists():
        raise ProfileError("a profile with this id exists already; try again")
    writers: list[PayloadWriter] = []

    def target_for(manifest: Manifest, container: int) -> PayloadWriter:
        writers.append(PayloadWriter(part, framed=container >= FRAMED_FROM))
        return writers[0]

    try:
        try:
            manifest = read_backup_into(backup_path, backup_passphrase, target_for, progress=progress)
            if not writers:
                raise BackupDamaged("payload")  # a sealed stream with an empty payload holds no profile
            writers[0].finish()
        finally:
            for writer in writers:
                writer.close()
        snapshot_key, version = _check_manifest(manifest)
        on_step("read")
        master = random(header.MASTER_KEY_LEN)
        key = header.database_key(master)
        framed = writers[0].framed
        _rebuild(part, snapshot_key, key, version, schema, clock, on_step, framed=framed)
        header.write(part, header.wrap(master, passphrase, label, params=params, random=random))
        _verify(part, passphrase, master)
        on_step("header")
        for name in (database.DATABASE_NAME, header.HEADER_NAME):
            _fsync(part / name)
        header.fsync_folder(part)  # the files were synced as they came, their folder with the last
        on_step("synced")
        os.replace(part, folder)
        header.fsync_folder(root)
        on_step("renamed")
    except OSError as exc:
        shutil.rmtree(part, ignore_errors=True)
        if exc.errno in _NO_ROOM:
            raise RestoreDiskFull() from None
        raise
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    return profile_id


def _check_manifest(manifest: Manifest) -> tuple[bytes, int]:
    if manifest.get("kind") != KIND or manifest.get("payload") != PAYLOAD:
        raise NotAProfileBackup()
    key_hex, version = manifest.get("snapshot_key"), manifest.get("schema")
    if not isinstance(key_hex, str) or len(key_hex) != 64 or not isinstance(version, int) or version < 1:
        raise BackupDamaged("manifest")
    try:
        return bytes.fromhex(key_hex), version
    except ValueError:
        raise BackupDamaged("manifest") from None


def _rebuild(
    part: Path,
    snapshot_key: bytes,
    key: bytes,
    version: int,
    schema: Schema,
    clock: Clock,
    on_step: StepHook,
    *,
    framed: bool,
) -> None:
    """Rekey the snapshot, bring it to the current schema, drop its sessions, settle its files, mark it."""
    path = part / database.DATABASE_NAME
    try:
        conn = database.connect(path, snapshot_key)
    except ProfileDamaged:
        raise BackupDamaged("payload") from None
    try:
        try:
            # Hex digits we made from bytes; PRAGMA takes no parameters.
            conn.execute(f"PRAGMA rekey = \"x'{key.hex()}'\"")
            on_step("rekeyed")
            conn.execute(f"PRAGMA user_version = {int(version)}")
            check_readable(conn, schema)
            vault = Vault(conn, clock=clock)
            with vault.transaction():
                migrate(vault, schema)
                conn.execute("DELETE FROM sessions")
                if _has_attachments(conn):
                    settle(conn, part, framed=framed)
                put_record(vault, RESTORED, str(round(clock() * 1000)))
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            on_step("migrated")
        except DATABASE_ERRORS as exc:
            mapped = from_sqlite(exc)
            if isinstance(mapped, DiskFull):
                raise RestoreDiskFull() from None
            raise BackupDamaged("payload") from None
    finally:
        conn.close()


def _has_attachments(conn: sqlite3.Connection) -> bool:
    """Schema step 6 is in the schema being restored to (a test's older schema may lack it)."""
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attachments'")
    return found.fetchone() is not None


def _verify(part: Path, passphrase: str, master: bytes) -> None:
    """The new header opens with the new passphrase to the key the database is now under."""
    opened = header.read(part).unwrap(passphrase)
    if not hmac.compare_digest(opened, master):
        raise ProfileError("the restored profile's header does not open to its key")
    conn = database.connect(part / database.DATABASE_NAME, header.database_key(opened))
    try:
        # On a new connection: SQLCipher's own check on the connection that rekeyed still uses the old key.
        if conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            raise BackupDamaged("payload")
        if conn.execute("PRAGMA cipher_integrity_check").fetchall():
            raise BackupDamaged("payload")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except DATABASE_ERRORS:
        raise BackupDamaged("payload") from None
    finally:
        conn.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
