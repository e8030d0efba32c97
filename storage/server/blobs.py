"""The server store's blobs: their records in the database, their bytes in a :class:`BlobBytes`.

The bytes are a file per blob beside the SQLite database (:class:`~storage.server.blob_files.BlobFiles`),
or pieces in PostgreSQL itself (``storage/server/pg_blobs.py``: the nodes of a cluster share no disk).

A blob's row (table ``blobs``, schema version 6) holds its owner, declared size,
the digest its finish matched, when it expires, and its *deadline*: when it dies.
The bytes received so far are what its file holds (see ``blob_files.py``); the
row's ``received`` is set when the blob is finished. The deadline is the one
column every rule reads: an unfinished upload's is its last put plus the idle
time, to the minute (never past ``expires``),
a finished blob's is ``expires``, and a deleted blob's is 0. A blob whose deadline
has passed is dead: no method here returns it and it counts toward no quota, at
once; :meth:`BlobStore.sweep_blobs` (the server's timer) removes its file and then
its row, a bounded number at a time. Because the file goes first, a sweep cut
short leaves a dead row whose file is gone, which the next sweep finishes, and
never a file without a row.

Rows are keyed by the SHA-256 of the id, so the database alone gives nobody a
blob's id. Every method is either a write job for the store's writer (inside the
loop's group commit, when called from it) or a read that sees that commit's writes.
"""

from __future__ import annotations

from typing import Protocol

from storage.server.records import BlobQuota, BlobRecord
from storage.server.sql import Db, Reader, Writer, returning

#: How far an upload's deadline must move before a put writes it down (ms): the idle time is kept
#: to the minute, and a stream of puts writes nothing to the database.
DEADLINE_STEP = 60_000


def _record(row: tuple[int, str, int, int, bytes | None, int, int]) -> BlobRecord:
    return BlobRecord(*row)


def _usage(db: Db, owner: str, now: int) -> int:
    row = db.execute(
        "SELECT COALESCE(SUM(size), 0) FROM blobs WHERE owner = ? AND deadline > ?", (owner, now)
    ).fetchone()
    return int(row[0])


def _start(
    db: Db,
    key: bytes,
    owner: str,
    size: int,
    now: int,
    expires: int,
    deadline: int,
    quota: int,
) -> BlobRecord:
    if db.shared:
        db.lock(f"blobs {owner}")  # two nodes starting uploads of one owner at once: one quota, counted once
    used = _usage(db, owner, now)
    if used + size > quota:
        raise BlobQuota(used)
    number = db.insert(
        "INSERT INTO blobs (key, owner, size, received, created, expires, deadline)"  # noqa: S608
        " VALUES (?, ?, ?, 0, ?, ?, ?)" + returning("number"),
        (key, owner, size, now, expires, deadline),
    )
    return BlobRecord(number, owner, size, 0, None, expires, deadline)


class BlobBytes(Protocol):
    """Where a store keeps its blobs' bytes, by blob number: what was received of each, piece by piece."""

    def held(self, number: int) -> int:
        """The bytes held from the start (0 before the first write)."""

    def write(self, number: int, offset: int, data: bytes | memoryview) -> None:
        """Put one piece at ``offset`` (no further than :meth:`held`); only that piece is written."""

    def read(self, number: int, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset``; BlobGone when they are missing."""

    def seal(self, number: int) -> bytes:
        """Make the bytes durable and give their SHA-256 (blocking)."""

    def delete(self, number: int) -> None: ...

    def close(self) -> None: ...


class BlobStore:
    """The store's blob methods; :class:`~storage.server.store.SqliteServerStore` adds the rest."""

    _writer: Writer
    _reader: Reader
    blob_files: BlobBytes

    def blob_start(
        self, key: bytes, owner: str, size: int, *, now: int, expires: int, deadline: int, quota: int
    ) -> BlobRecord:
        """A new unfinished blob; :class:`BlobQuota` if ``owner``'s live blobs and it would pass ``quota``."""
        return self._writer.run(lambda db: _start(db, key, owner, size, now, expires, deadline, quota))

    def blob(self, key: bytes, now: int) -> BlobRecord | None:
        """The live blob of this key hash, or None; an upload's ``received`` is what its file holds."""
        with self._reader() as db:
            self._writer.note_read()  # inside a turn it may see what that turn has not committed yet
            row = db.execute(
                "SELECT number, owner, size, received, digest, expires, deadline FROM blobs"
                " WHERE key = ? AND deadline > ?",
                (key, now),
            ).fetchone()
        if row is None:
            return None
        found = _record(row)
        if found.done:
            return found
        held = min(found.size, self.blob_files.held(found.number))
        return BlobRecord(found.number, found.owner, found.size, held, None, found.expires, found.deadline)

    def blob_usage(self, owner: str, now: int) -> int:
        """The declared sizes of ``owner``'s live blobs, finished or not: what its quota counts."""
        with self._reader() as db:
            return _usage(db, owner, now)

    def blob_write(self, blob: BlobRecord, offset: int, data: bytes | memoryview, *, deadline: int) -> int:
        """Write ``data`` at ``offset`` (no further than the bytes held); the new ``received``.

        Only the file is written: its size is the count. ``deadline`` is the upload's new one (a
        put keeps it alive); the database hears of it only when it moved by :data:`DEADLINE_STEP`
        or more, so a stream of puts costs no database write and no sync per piece.
        """
        if not offset <= blob.received or offset + len(data) > blob.size:
            raise ValueError("a write must start within the bytes held and end within the blob")
        self.blob_files.write(blob.number, offset, data)
        deadline = min(deadline, blob.expires)
        if deadline - blob.deadline >= DEADLINE_STEP:
            self._writer.run(
                lambda db: db.execute(
                    "UPDATE blobs SET deadline = ? WHERE number = ? AND digest IS NULL AND deadline > 0",
                    (deadline, blob.number),
                ),
                savepoint=False,
            )
        return max(blob.received, offset + len(data))

    def blob_read(self, blob: BlobRecord, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset`` (clipped at the end); :class:`BlobGone` if damaged."""
        return self.blob_files.read(blob.number, offset, max(0, min(length, blob.size - offset)))

    def blob_seal(self, blob: BlobRecord) -> bytes:
        """Sync the blob's bytes to the disk and give their SHA-256 (blocking: not on the loop)."""
        return self.blob_files.seal(blob.number)

    def blob_done(self, blob: BlobRecord, digest: bytes, now: int) -> bool:
        """Mark the blob finished with ``digest`` (its deadline becomes ``expires``); False if it died."""

        def job(db: Db) -> bool:
            changed = db.execute(
                "UPDATE blobs SET digest = ?, received = size, deadline = expires "
                "WHERE number = ? AND digest IS NULL AND deadline > ?",
                (digest, blob.number, now),
            ).rowcount
            return changed > 0

        return self._writer.run(job)

    def blob_drop(self, blob: BlobRecord) -> None:
        """The blob dies now (deleted, or a finish that did not match); the sweep removes its bytes."""
        self._writer.run(
            lambda db: db.execute("UPDATE blobs SET deadline = 0 WHERE number = ?", (blob.number,)),
            savepoint=False,
        )

    def sweep_blobs(self, now: int, limit: int) -> int:
        """Remove up to ``limit`` dead blobs, files first; how many (``limit`` means more may be due)."""
        with self._reader() as db:
            numbers = [
                row[0]
                for row in db.execute(
                    "SELECT number FROM blobs WHERE deadline <= ? ORDER BY deadline LIMIT ?", (now, limit)
                )
            ]
        for number in numbers:
            self.blob_files.delete(number)
        if not numbers:
            return 0
        marks = ",".join("?" * len(numbers))
        # What this sweep removed: another node's sweep of the same rows at once removes the rest.
        return self._writer.run(
            lambda db: (
                db.execute(
                    f"DELETE FROM blobs WHERE number IN ({marks}) AND deadline <= ?",  # noqa: S608 - only marks
                    (*numbers, now),
                ).rowcount
            )
        )
