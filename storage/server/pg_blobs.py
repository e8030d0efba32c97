"""The bytes of the PostgreSQL store's blobs: pieces in the database, one row per piece a put wrote.

The nodes of a cluster share no disk, so a blob's bytes live beside its row, in
``blob_pieces`` (keyed by blob number and the piece's offset). A put writes its
piece and nothing else (one short transaction of its own, on a pooled connection,
never inside the loop's turn), a get reads the pieces a range covers, and
:meth:`BlobPieces.seal` hashes them in order, a piece at a time (the bytes are
durable once each put committed). A put over bytes held already (a client sending
a piece again) replaces what it overlaps, so the pieces never overlap and always
cover the bytes from 0 to :meth:`BlobPieces.held` without a gap. Two puts of one blob
at once (two nodes) take the blob's advisory lock in turn, so neither's view of the
pieces is stale; a put of a blob that was removed meanwhile is :class:`BlobGone`, and
the pieces of a removed blob go with its row (``ON DELETE CASCADE``): none is left
behind by a put that raced the sweep.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import psycopg

from storage.server.records import BlobGone

Connection = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]


class BlobPieces:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def held(self, number: int) -> int:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT COALESCE(MAX(start + length(data)), 0) FROM blob_pieces WHERE number = %s", (number,)
            ).fetchone()
        return int(row[0]) if row else 0

    def write(self, number: int, offset: int, data: bytes | memoryview) -> None:
        piece = bytes(data)
        end = offset + len(piece)
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"blob {number}",))
            alive = conn.execute(  # its row stays until this commits (KEY SHARE): the sweep waits
                "SELECT 1 FROM blobs WHERE number = %s AND deadline > 0 FOR KEY SHARE", (number,)
            ).fetchone()
            if alive is None:
                raise BlobGone("the blob was removed")
            overlapped = conn.execute(
                "DELETE FROM blob_pieces WHERE number = %s AND start < %s AND start + length(data) > %s"
                " RETURNING start, data",
                (number, end, offset),
            ).fetchall()
            kept: list[tuple[int, int, bytes]] = [(number, offset, piece)]
            for start, old in overlapped:  # what an old piece has outside the new one stays
                if start < offset:
                    kept.append((number, start, bytes(old[: offset - start])))
                if start + len(old) > end:
                    kept.append((number, end, bytes(old[end - start :])))
            with conn.cursor() as cursor:
                cursor.executemany("INSERT INTO blob_pieces VALUES (%s, %s, %s)", kept)

    def read(self, number: int, offset: int, length: int) -> bytes:
        if length <= 0:
            return b""
        end = offset + length
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT start, data FROM blob_pieces WHERE number = %s AND start < %s"
                " AND start + length(data) > %s ORDER BY start",
                (number, end, offset),
            ).fetchall()
        out = bytearray()
        at = offset
        for start, data in rows:
            if start > at:
                break  # a gap: the bytes are missing
            out += bytes(data)[at - start : end - start]
            at = offset + len(out)
        if len(out) != length:
            raise BlobGone("the blob's bytes are missing or shorter than its record")
        return bytes(out)

    def seal(self, number: int) -> bytes:
        digest = hashlib.sha256()
        at = 0
        for start, data in self._pieces(number):
            if start != at:
                raise BlobGone("the blob's bytes have a gap")
            digest.update(data)
            at += len(data)
        return digest.digest()

    def _pieces(self, number: int) -> Iterator[tuple[int, bytes]]:
        after = -1
        while True:  # a piece at a time: a 100 MiB blob is never in memory whole
            with self._connection() as conn:
                row = conn.execute(
                    "SELECT start, data FROM blob_pieces WHERE number = %s AND start > %s"
                    " ORDER BY start LIMIT 1",
                    (number, after),
                ).fetchone()
            if row is None:
                return
            after = int(row[0])
            yield after, bytes(row[1])

    def delete(self, number: int) -> None:
        with self._connection() as conn:
            conn.execute("DELETE FROM blob_pieces WHERE number = %s", (number,))

    def close(self) -> None:
        return None
