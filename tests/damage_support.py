"""Ways a profile file gets damaged on a bad day, done to real SQLite and SQLCipher files. Test-only.

The helpers that must read the file's pages (to find a table's) take the
database key of an encrypted profile (``profile_raw.database_key``).

A failing disk or an interrupted copy: the last page cut off, one page in the
middle overwritten, a table's first page overwritten, the schema's names turned
into bytes that are not UTF-8 (SQLite then puts them in its error message), or
a file of garbage.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from storage.profile import database

PAGE = 4096
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _connect(path: Path, key: bytes | None) -> sqlite3.Connection:
    """A connection to a profile database (with its key) or to a plain SQLite file (without)."""
    if key is not None:
        return database.connect(path, key)
    return sqlite3.connect(path, isolation_level=None)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checkpoint(path: Path, key: bytes | None = None) -> None:
    """Everything in the main file, no write-ahead log beside it (as after a clean close).

    An encrypted database without its key can only be one that was closed cleanly (its log is empty).
    """
    if key is None and path.read_bytes()[:16] != _SQLITE_MAGIC:
        wal = Path(f"{path}-wal")
        assert not wal.exists() or wal.stat().st_size == 0, "close the profile (or pass its key) first"
        return
    conn = _connect(path, key)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def cut_last_page(path: Path, key: bytes | None = None) -> None:
    checkpoint(path, key)
    size = path.stat().st_size
    assert size > 4 * PAGE
    with path.open("r+b") as file:
        file.truncate(size - PAGE)


def overwrite_page(path: Path, number: int) -> None:
    """Page ``number`` (1-based, as SQLite counts) becomes bytes no SQLite page has."""
    with path.open("r+b") as file:
        file.seek((number - 1) * PAGE)
        file.write(bytes(range(256)) * (PAGE // 256))


def overwrite_middle_page(path: Path, table: str = "messages", key: bytes | None = None) -> None:
    """The middle one of ``table``'s leaf pages: the file opens, reads of those rows fail later.

    SQLCipher's build has no ``dbstat`` table: with a key, the middle page of the whole file is
    taken, which in a profile filled with long messages is one of theirs (the test checks it is).
    """
    checkpoint(path, key)
    if key is not None:
        overwrite_page(path, path.stat().st_size // PAGE // 2)
        return
    conn = _connect(path, key)
    try:
        pages = [
            row[0]
            for row in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,)
            )
        ]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()
    assert len(pages) > 2, f"{table} has too few pages to damage one in the middle"
    overwrite_page(path, pages[len(pages) // 2])


def overwrite_table(path: Path, table: str, key: bytes | None = None) -> None:
    """The first (root) page of ``table``: every read of that table fails, the others still work."""
    checkpoint(path, key)
    conn = _connect(path, key)
    try:
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()
    overwrite_page(path, root)


def break_schema_text(path: Path, table: str, key: bytes | None = None) -> None:
    """The schema row of ``table`` gets a name of bytes that are not UTF-8 and SQL that does not parse."""
    checkpoint(path, key)
    conn = _connect(path, key)
    try:
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute(
            "UPDATE sqlite_master SET name = CAST(X'fffe41' AS TEXT), sql = CAST(X'fffe20ff' AS TEXT) "
            "WHERE name = ?",
            (table,),
        )
    finally:
        conn.close()  # the last connection to close copies the log into the file


def garbage(path: Path, size: int = 20 * PAGE) -> None:
    path.write_bytes(bytes((n * 7 + 3) % 256 for n in range(size)))
