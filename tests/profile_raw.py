"""The encrypted profile database opened directly, as only its owner can: for tests that alter rows.

Test-only. It reads the header, unwraps the master key with the passphrase and
derives the database key the way :mod:`storage.profile.header` does, so a test
can change a row behind the profile's back (damage it, move it) and see what
the stores make of it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.profile import database, header


def database_key(folder: Path, passphrase: str) -> bytes:
    return header.database_key(header.read(folder).unwrap(passphrase))


def connect(folder: Path, passphrase: str) -> sqlite3.Connection:
    """A second connection to the profile in ``folder`` (autocommit)."""
    return database.connect(folder / database.DATABASE_NAME, database_key(folder, passphrase))


def execute(folder: Path, passphrase: str, sql: str, params: tuple[object, ...] = ()) -> None:
    conn = connect(folder, passphrase)
    try:
        conn.execute(sql, params)
    finally:
        conn.close()
