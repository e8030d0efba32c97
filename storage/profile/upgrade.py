"""Upgrade an old profile file (``<id>.sqlite``) into a profile folder, surviving a kill at any moment.

The sequence, run on the first unlock of an old profile:

1. take the old file's write lock (``BEGIN IMMEDIATE``, nothing written), so no
   other process cleans up or upgrades the same profile meanwhile; read every
   table, unsealed, through the read-only reader (:mod:`storage.profile.legacy.reader`);
   a wrong passphrase stops here and nothing at all was written;
2. build ``<id>.part/`` completely: the new database with every row (same master
   key, so the rows that stay blind indexes still match), then its header;
3. verify it: the row count of every kind, ``PRAGMA integrity_check`` and
   ``cipher_integrity_check``, and a reopen from the header with the passphrase;
4. fsync, then ONE atomic rename ``<id>.part/`` -> ``<id>/``: the commit point;
5. only then delete ``<id>.sqlite`` and its ``-wal``/``-shm``.

A kill before step 4 leaves the old file whole and a stray ``<id>.part/``,
which :func:`clean_up` removes (listing and opening call it) unless an upgrade
holds the old file's lock; a kill after it leaves a complete folder beside the
old file, which :func:`clean_up` deletes. The old display name becomes the
label (it was in clear before, so nothing new shows) and stays the display
name inside; the person can keep it.
"""

from __future__ import annotations

import hmac
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

from crypto_core.encoding import RandomSource, default_random
from crypto_core.sealing import KdfParams
from storage.profile import database, header
from storage.profile.errors import DATABASE_ERRORS, NotAProfile, ProfileDamaged, ProfileError
from storage.profile.legacy import reader
from storage.profile.legacy.contacts import Contact as LegacyContact
from storage.profile.legacy.directory import SUFFIX, _has_profile_header, _remove
from storage.profile.schema import migrate
from storage.profile.vault import Vault

PART = ".part"
#: A record in an upgraded database: some rows keep the old format's blind index (see schema).
LEGACY_ROWS = "legacy_rows"
#: Called with the name of each step as it is done (tests kill the process there).
StepHook = Callable[[str], None]
STEPS = ("locked", "read", "tables", "database", "header", "verified", "synced", "renamed", "removed")

#: The tables checked after the copy, and the Contents field each must match.
_COUNTED = {
    "counters": "counters",
    "server_pins": "server_pins",
    "signed_prekeys": "signed_prekeys",
    "one_time_prekeys": "one_time_prekeys",
    "kem_prekeys": "kem_prekeys",
    "accepted_initials": "accepted_initials",
    "contacts": "contacts",
    "sessions": "sessions",
    "heals": "heals",
    "conversations": "conversations",
    "messages": "messages",
    "outbox": "outbox",
    "processed": "processed",
}


class UpgradeFailed(ProfileError):
    """The new profile did not check out; the old file is untouched and still opens."""


def _nothing(step: str) -> None:
    return None


def upgrade(
    root: Path,
    profile_id: str,
    passphrase: str,
    *,
    params: KdfParams,
    random: RandomSource = default_random,
    on_step: StepHook = _nothing,
) -> None:
    old, part, folder = root / f"{profile_id}{SUFFIX}", root / f"{profile_id}{PART}", root / profile_id
    lock = _lock(old)
    try:
        on_step("locked")
        if folder.is_dir():  # another process finished it while this one waited for the lock
            return
        contents = reader.read(old, passphrase)
        on_step("read")
        shutil.rmtree(part, ignore_errors=True)
        part.mkdir(mode=0o700)
        key = header.database_key(contents.master_key)
        _build(part / database.DATABASE_NAME, key, contents, on_step)
        on_step("database")
        header.write(
            part, header.wrap(contents.master_key, passphrase, contents.name, params=params, random=random)
        )
        on_step("header")
        _verify(part, passphrase, contents)
        on_step("verified")
        for name in (database.DATABASE_NAME, header.HEADER_NAME):
            _fsync(part / name)
        header.fsync_folder(part)
        on_step("synced")
        os.replace(part, folder)
        header.fsync_folder(root)
        on_step("renamed")
    finally:
        lock.close()
    _remove(old)
    header.fsync_folder(root)
    on_step("removed")


def clean_up(root: Path, profile_id: str) -> None:
    """Remove what an interrupted create or upgrade left: never a profile that is whole."""
    old, part, folder = root / f"{profile_id}{SUFFIX}", root / f"{profile_id}{PART}", root / profile_id
    if part.is_dir() and not (old.is_file() and _busy(old)):
        shutil.rmtree(part, ignore_errors=True)
    if folder.is_dir() and (folder / header.HEADER_NAME).is_file() and old.is_file():
        _remove(old)  # the rename happened: the folder is the profile now


def _lock(old: Path) -> sqlite3.Connection:
    if not _has_profile_header(old):
        raise NotAProfile(f"{old.name} is not a Parley profile, or its header is damaged")
    conn = sqlite3.connect(old, isolation_level=None, timeout=30.0)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except DATABASE_ERRORS:
        conn.close()
        raise ProfileDamaged() from None
    return conn


def _busy(old: Path) -> bool:
    """Whether an upgrade holds the old file's write lock right now."""
    try:
        conn = sqlite3.connect(old, isolation_level=None, timeout=0)
    except DATABASE_ERRORS:
        return False
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc) or "busy" in str(exc)
    except DATABASE_ERRORS:
        return False
    finally:
        conn.close()


def _build(path: Path, key: bytes, c: reader.Contents, on_step: StepHook) -> None:
    conn = database.connect(path, key, create=True)
    try:
        vault = Vault(conn)
        with vault.transaction():
            migrate(vault)
            x = conn.executemany
            x("INSERT INTO records (name, value) VALUES (?, ?)", c.records)
            x(
                "INSERT INTO records (name, value) VALUES (?, ?)",
                [("display_name", c.name), (LEGACY_ROWS, "1")],
            )
            x("INSERT INTO counters (name, value) VALUES (?, ?)", c.counters)
            x("INSERT INTO server_pins (server, fingerprint) VALUES (?, ?)", c.server_pins)
            x("INSERT INTO signed_prekeys (id, created_at, key) VALUES (?, ?, ?)", c.signed_prekeys)
            x("INSERT INTO one_time_prekeys (id, key) VALUES (?, ?)", c.one_time_prekeys)
            x("INSERT INTO kem_prekeys (id, last_resort, created_at, key) VALUES (?, ?, ?, ?)", c.kem_prekeys)
            x("INSERT INTO accepted_initials (session, signed_prekey) VALUES (?, ?)", c.accepted_initials)
            on_step("tables")
            x(
                "INSERT INTO contacts (phone, name, created_at, identity, verified, key_changed, "
                "previous_identity) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [_contact_row(contact) for contact in c.contacts],
            )
            x("INSERT INTO sessions (phone, device, state) VALUES (?, 1, ?)", c.sessions)
            x("INSERT INTO heals (phone, at) VALUES (?, ?)", c.heals)
            x("INSERT INTO conversations (contact) VALUES (?)", [(phone,) for phone in c.conversations])
            x(
                "INSERT INTO messages (id, conversation, client, outgoing, ts, status, body, meta) "
                "SELECT ?, id, ?, ?, ?, ?, ?, ? FROM conversations WHERE contact = ?",
                [
                    (i, client, out, ts, status, text, meta, phone)
                    for i, phone, client, out, ts, status, text, meta in c.messages
                ],
            )
            x(
                "INSERT INTO outbox (seq, client, contact, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                c.outbox,
            )
            x("INSERT INTO processed (server_message, seen_at) VALUES (?, ?)", c.processed)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()


def _contact_row(contact: LegacyContact) -> tuple[object, ...]:
    data = contact.to_json()
    identity, previous = data["identity"], data["previous"]
    return (
        contact.phone,
        contact.name,
        contact.created_at,
        None if identity is None else Vault.dump_json(identity),
        int(contact.verified),
        int(contact.key_changed),
        None if previous is None else Vault.dump_json(previous),
    )


def _verify(part: Path, passphrase: str, c: reader.Contents) -> None:
    """Reopen the new profile from its header alone and check every kind of row arrived."""
    master = header.read(part).unwrap(passphrase)
    if not hmac.compare_digest(master, c.master_key):
        raise UpgradeFailed("the upgraded profile's header does not open to the same key")
    conn = database.connect(part / database.DATABASE_NAME, header.database_key(master))
    try:
        if conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            raise UpgradeFailed("the upgraded profile did not pass SQLite's integrity check")
        if conn.execute("PRAGMA cipher_integrity_check").fetchall():
            raise UpgradeFailed("the upgraded profile did not pass SQLCipher's integrity check")
        for table, kind in _COUNTED.items():
            (count,) = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()  # noqa: S608 - names are constants, values are parameters
            if count != len(getattr(c, kind)):
                raise UpgradeFailed(f"the upgraded profile lacks some of its {kind.replace('_', ' ')}")
        (records,) = conn.execute("SELECT COUNT(*) FROM records").fetchone()
        if records != len(c.records) + 2:
            raise UpgradeFailed("the upgraded profile lacks some of its records")
    finally:
        conn.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
