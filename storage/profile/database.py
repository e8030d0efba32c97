"""The profile's database connection: SQLCipher 4, keyed with a raw 256-bit key.

``sqlcipher3`` mirrors the standard ``sqlite3`` module, so its connection is
typed as :class:`sqlite3.Connection` here (the package ships no type hints).
The key is given raw (``PRAGMA key = "x'<64 hex digits>'"``): it is already a
256-bit key derived from the master key (:func:`storage.profile.header.database_key`),
so SQLCipher's own PBKDF2 is skipped and opening stays fast; Argon2id runs once
per unlock, on the header.

Every connection checks ``PRAGMA cipher_version`` first and refuses a driver
that is not SQLCipher (a plain SQLite build would ignore the key and write the
profile in clear). Then: foreign keys on, ``secure_delete`` (deleted keys and
messages are overwritten), ``temp_store = MEMORY`` (the shipped build keeps
temporary data in memory already; this says so for any other build),
``synchronous = FULL`` (a commit is on disk before the server is told), and the
write-ahead log, whose frames SQLCipher encrypts like the pages of the file.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import cast

import sqlcipher3.dbapi2 as sqlcipher  # type: ignore[import-untyped]

from storage.profile.errors import READ_ERRORS, ProfileDamaged, ProfileError, from_sqlite

DATABASE_NAME = "profile.db"
COMPANIONS = ("-wal", "-shm", "-journal")


class NotSQLCipher(ProfileError):
    """The database driver does not encrypt: Parley refuses to keep a profile in clear."""

    def __init__(self) -> None:
        super().__init__(
            "the installed sqlcipher3 package is not built with SQLCipher, so the profile could not be "
            "encrypted; reinstall sqlcipher3 from its official wheels"
        )


def connect(path: Path, key: bytes, *, create: bool = False) -> sqlite3.Connection:
    """An open, keyed connection; :class:`ProfileDamaged` when the file does not open with ``key``."""
    if len(key) != 32:
        raise ValueError("the database key has 32 bytes")
    if not create and not path.is_file():
        raise ProfileDamaged()
    if create:
        # Owner-only from the first byte; SQLite gives its -wal and -shm the same mode.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    conn = cast(sqlite3.Connection, sqlcipher.connect(str(path), isolation_level=None, timeout=10.0))
    try:
        # SQLCipher logs a failed page check (page numbers only) to stderr; the error says enough.
        conn.execute("PRAGMA cipher_log_level = NONE")
        # The key is hex digits we made from bytes, never text from outside, and PRAGMA takes no parameters.
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        version = conn.execute("PRAGMA cipher_version").fetchone()
        if not version or not version[0]:
            raise NotSQLCipher()
        # The first read decrypts page 1: a wrong key or a damaged file fails here (SQLITE_NOTADB).
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA journal_mode = WAL").fetchall()
    except BaseException as exc:
        conn.close()
        if isinstance(exc, READ_ERRORS):
            mapped = from_sqlite(exc)
            raise (mapped if mapped is not None else ProfileDamaged()) from None
        raise
    return conn


def remove(path: Path) -> None:
    """The database file and its companions (write-ahead log, shared memory)."""
    for suffix in ("", *COMPANIONS):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def export_copy(conn: sqlite3.Connection, path: Path, key: bytes) -> int:
    """A consistent copy of ``conn``'s whole database in a new file at ``path``, encrypted under ``key``.

    Returns the schema version copied.

    SQLCipher's ``sqlcipher_export`` copies every table, index, trigger and the
    full-text index page by page through the encryption layer, so no page of it is
    ever written in clear; it does not copy ``user_version`` and ``application_id``,
    which are set on the copy here. It runs in one read transaction, so a write on
    another connection meanwhile is either wholly in the copy or not at all.
    """
    if len(key) != 32:
        raise ValueError("the copy's key has 32 bytes")
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    # The path is our own folder and a random name, the key hex digits we made; ATTACH takes no key parameter.
    conn.execute("ATTACH DATABASE ? AS snapshot KEY ?", (str(path), f"x'{key.hex()}'"))
    try:
        conn.execute("BEGIN")
        try:
            conn.execute("SELECT sqlcipher_export('snapshot')").fetchall()
            version = int(conn.execute("PRAGMA main.user_version").fetchone()[0])
            application = int(conn.execute("PRAGMA main.application_id").fetchone()[0])
            conn.execute(f"PRAGMA snapshot.user_version = {version}")
            conn.execute(f"PRAGMA snapshot.application_id = {application}")
            conn.execute("COMMIT")
            return version
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("DETACH DATABASE snapshot")
