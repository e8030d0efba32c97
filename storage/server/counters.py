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

With several nodes a check and the count after it must not interleave with another
node's: :meth:`RateEvents.take` and :meth:`RateEvents.locked_count` are jobs that first
take the store's lock on (limiter, key) (a PostgreSQL advisory lock, held to the turn's
commit), so another node's check of the same
key waits until this turn's count is committed, and then counts. :meth:`RateEvents.glance`
reads several counts in one query without a lock, and without making the turn's replies
depend on its commit: for the checks on every send, which only refuse. On SQLite, whose
writer is alone, the first two are the plain count (and the write after it) they were.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from storage.server.sql import Db, Reader, Writer


class RateEvents:
    def __init__(self, writer: Writer, reader: Reader, *, shared: bool = False) -> None:
        self._writer = writer
        self._reader = reader
        self._shared = shared  # other servers write to the same database (the checks lock)

    def record(self, limiter: str, key: str, at: int, expires_at: int) -> None:
        """Count one event of ``limiter`` for ``key`` at ``at`` (ms), forgotten from ``expires_at`` (ms)."""

        # One statement: it fails whole or not at all.
        self._writer.run(lambda db: _insert(db, limiter, key, at, expires_at), savepoint=False)

    def rate_count(self, limiter: str, key: str, since: int) -> int:
        """The events of ``limiter`` for ``key`` counted after ``since`` (ms), by every user of the store."""
        with self._reader() as db:
            self._writer.note_read()  # inside a turn it may count what that turn has not committed yet
            return _count(db, limiter, key, since)

    def locked_count(self, limiter: str, key: str, since: int) -> int:
        """Like :meth:`rate_count`, after taking the lock on (limiter, key) to the end of the turn."""
        if not self._shared:
            return self.rate_count(limiter, key, since)

        def job(db: Db) -> int:
            db.lock(_lock_key(limiter, key))
            return _count(db, limiter, key, since)  # a statement of its own: its snapshot follows the lock

        return self._writer.run(job, savepoint=False, durable=False)  # it only reads: nothing to roll back

    def take(self, limiter: str, key: str, since: int, limit: int, at: int, expires_at: int) -> bool:
        """Count one event at ``at`` unless ``limit`` were counted after ``since``; whether it counted.

        Under the lock on (limiter, key), held to the turn's commit: two nodes taking the last
        event of a key at once give it to one of them.
        """
        if not self._shared:
            if self.rate_count(limiter, key, since) >= limit:
                return False
            self.record(limiter, key, at, expires_at)
            return True

        def job(db: Db) -> bool:
            db.lock(_lock_key(limiter, key))
            if _count(db, limiter, key, since) >= limit:
                return False
            _insert(db, limiter, key, at, expires_at)
            return True

        return self._writer.run(job, savepoint=False)  # its one write is last: it fails whole or not at all

    def glance(self, counts: Sequence[tuple[str, str, int]]) -> list[int]:
        """The counts of several (limiter, key, since) in one query; no lock, and no dependent of the turn.

        Inside a turn it sees the turn's own events too; a refusal it leads to stands even if that
        turn's commit then fails, which only errs on the strict side.
        """
        if not counts:
            return []
        sql = "SELECT " + ", ".join([_SUM] * len(counts))
        with self._reader() as db:
            row = db.execute(sql, [value for triple in counts for value in triple]).fetchone()
        return [int(value) for value in row]

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


_SUM = "(SELECT COALESCE(SUM(count), 0) FROM rate_events WHERE limiter = ? AND key = ? AND at > ?)"


def _lock_key(limiter: str, key: str) -> str:
    return f"rate {limiter} {key}"


def _count(db: Db, limiter: str, key: str, since: int) -> int:
    return int(db.execute("SELECT " + _SUM, (limiter, key, since)).fetchone()[0])


def _insert(db: Db, limiter: str, key: str, at: int, expires_at: int) -> None:
    db.execute(
        "INSERT INTO rate_events VALUES (?, ?, ?, 1, ?)"
        " ON CONFLICT (limiter, key, at) DO UPDATE SET count = rate_events.count + 1",
        (limiter, key, at, expires_at),
    )
