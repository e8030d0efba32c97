"""The events the server's rate limits count, kept in the store so a restart forgets none.

One row per (limiter, key, millisecond) with a count, in the narrow ``rate_events``
table (see :mod:`storage.server.schema`). A write goes through the store's
:class:`~storage.server.batch_writer.BatchWriter`: on the server's loop it joins the
turn's group commit, so counting costs no commit or sync of its own, and the
count is durable exactly when the reply that depended on it is. Rows past their
window are deleted by :meth:`RateEvents.expire`, which the store's prune runs.

:meth:`RateEvents.rate_count` sums a key's events since a time: what a limiter asks
when several server processes share one store, so that every node's events
count (net/server/shared_limiter.py). On the thread of an open batch it reads
through the batch's own connection, so a check sees the events the same turn
counted before it, although they are not committed yet.
"""

from __future__ import annotations

from collections.abc import Iterator

from storage.server.sql import Db, Reader, Writer


class RateEvents:
    def __init__(self, writer: Writer, reader: Reader) -> None:
        self._writer = writer
        self._reader = reader

    def record(self, limiter: str, key: str, at: int, expires_at: int) -> None:
        """Count one event of ``limiter`` for ``key`` at ``at`` (ms), forgotten from ``expires_at`` (ms)."""

        def job(db: Db) -> None:
            db.execute(
                "INSERT INTO rate_events VALUES (?, ?, ?, 1, ?)"
                " ON CONFLICT (limiter, key, at) DO UPDATE SET count = rate_events.count + 1",
                (limiter, key, at, expires_at),
            )

        self._writer.run(job, savepoint=False)  # one statement: it fails whole or not at all

    def rate_count(self, limiter: str, key: str, since: int) -> int:
        """The events of ``limiter`` for ``key`` counted after ``since`` (ms), by every user of the store."""
        with self._reader() as db:
            self._writer.note_read()  # inside a turn it may count what that turn has not committed yet
            row = db.execute(
                "SELECT COALESCE(SUM(count), 0) FROM rate_events WHERE limiter = ? AND key = ? AND at > ?",
                (limiter, key, since),
            ).fetchone()
        return int(row[0])

    def load(self, limiter: str, now: int) -> Iterator[tuple[str, int, int]]:
        """The (key, at, count) rows of ``limiter`` not yet expired at ``now`` (ms), oldest first."""
        with self._reader() as db:
            rows = db.execute(
                "SELECT key, at, count FROM rate_events WHERE limiter = ? AND expires_at > ? ORDER BY at",
                (limiter, now),
            ).fetchall()
        yield from ((str(key), int(at), int(count)) for key, at, count in rows)

    def expire(self, db: Db, now: int) -> None:
        """Delete rows whose window has passed (run inside the store's prune job)."""
        db.execute("DELETE FROM rate_events WHERE expires_at <= ?", (now,))
