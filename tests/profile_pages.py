"""Every byte of a profile's database and write-ahead log, decrypted page by page: for tests that
look for a text that must be gone, in free space, old index pages and log frames too.

Test-only. A copy made through SQLite (``sqlcipher_export``, ``VACUUM INTO``) holds only what is
live; a page decrypted as it lies in the file also shows what a delete left behind. SQLCipher 4
seals each page with AES-256-CBC under the raw database key: the last 80 bytes of a page are its
IV (16) and HMAC (64), and the first 16 bytes of the file are the salt (page 1 starts after them).
A log file is a 32-byte header, then frames of a 24-byte header and a page.
"""

from __future__ import annotations

from pathlib import Path

import profile_raw
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from storage.profile import database

PAGE = 4096
_RESERVE = 80
_IV = 16
_WAL_HEADER = 32
_FRAME_HEADER = 24


def _page(key: bytes, page: bytes, first: bool) -> bytes:
    if len(page) < PAGE:
        return b""
    iv = page[PAGE - _RESERVE : PAGE - _RESERVE + _IV]
    body = page[16 if first else 0 : PAGE - _RESERVE]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(body) + decryptor.finalize()


def database_bytes(key: bytes, path: Path) -> bytes:
    raw = path.read_bytes()
    return b"".join(_page(key, raw[at : at + PAGE], at == 0) for at in range(0, len(raw), PAGE))


def wal_bytes(key: bytes, path: Path) -> bytes:
    if not path.exists():
        return b""
    raw = path.read_bytes()
    step = _FRAME_HEADER + PAGE
    return b"".join(
        _page(key, raw[at + _FRAME_HEADER : at + step], False)
        for at in range(_WAL_HEADER, len(raw) - step + 1, step)
    )


def decrypted(folder: Path, passphrase: str) -> tuple[bytes, bytes]:
    """The database's and the log's pages in clear (the log's b"" when there is none)."""
    key = profile_raw.database_key(folder, passphrase)
    path = folder / database.DATABASE_NAME
    return database_bytes(key, path), wal_bytes(key, path.with_name(path.name + "-wal"))


def raw_files(folder: Path) -> bytes:
    """Every file of the profile's folder, as it lies on the disk."""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def traces(text: str) -> list[bytes]:
    """What of ``text`` can stay behind: its UTF-8, and each three characters of it as the trigram
    search index keeps them (a term in the index's pages)."""
    found = [text.encode("utf-8")]
    found += [text[at : at + 3].encode("utf-8") for at in range(len(text) - 2)]
    return list(dict.fromkeys(found))


def assert_gone(folder: Path, passphrase: str, text: str) -> None:
    """Nothing of ``text`` in the decrypted database, its log or the raw files."""
    db, wal = decrypted(folder, passphrase)
    assert db[:2] == b"\x10\x00", "the database's first page did not decrypt"
    files = raw_files(folder)
    for trace in traces(text):
        assert trace not in db, f"{trace!r} is still in the database's pages"
        assert trace not in wal, f"{trace!r} is still in the write-ahead log"
        assert trace not in files, f"{trace!r} is in a file as it lies on the disk"


def assert_present(folder: Path, passphrase: str, text: str) -> None:
    """The probe sees a live text (so a test that finds nothing found nothing for a reason)."""
    db, wal = decrypted(folder, passphrase)
    assert text.encode("utf-8") in db + wal
