"""Ways a profile file gets damaged on a bad day, done to real SQLite files. Test-only.

A failing disk or an interrupted copy: the last page cut off, one page in the
middle overwritten, a table's first page overwritten, the schema's names turned
into bytes that are not UTF-8 (SQLite then puts them in its error message), or
a file of garbage.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

PAGE = 4096


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checkpoint(path: Path) -> None:
    """Everything in the main file, no write-ahead log beside it (as after a clean close)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def cut_last_page(path: Path) -> None:
    checkpoint(path)
    size = path.stat().st_size
    assert size > 4 * PAGE
    with path.open("r+b") as file:
        file.truncate(size - PAGE)


def overwrite_page(path: Path, number: int) -> None:
    """Page ``number`` (1-based, as SQLite counts) becomes bytes no SQLite page has."""
    with path.open("r+b") as file:
        file.seek((number - 1) * PAGE)
        file.write(bytes(range(256)) * (PAGE // 256))


def overwrite_middle_page(path: Path, table: str = "messages") -> None:
    """The middle one of ``table``'s leaf pages: the file opens, reads of those rows fail later."""
    checkpoint(path)
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        pages = [
            row[0]
            for row in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,)
            )
        ]
    finally:
        conn.close()
    assert len(pages) > 2, f"{table} has too few pages to damage one in the middle"
    overwrite_page(path, pages[len(pages) // 2])


def overwrite_table(path: Path, table: str) -> None:
    """The first (root) page of ``table``: every read of that table fails, the others still work."""
    checkpoint(path)
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    finally:
        conn.close()
    overwrite_page(path, root)


def break_schema_text(path: Path, table: str) -> None:
    """The schema row of ``table`` gets a name of bytes that are not UTF-8 and SQL that does not parse."""
    checkpoint(path)
    conn = sqlite3.connect(path, isolation_level=None)
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
