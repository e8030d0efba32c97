"""The server store's message queues: queue a body once per client id, page through it, acknowledge.

Each function is a job for the store's writer (it gets the write connection and
runs inside one transaction), or a read on a connection it is given. A queue keeps
its length and its bodies' bytes beside it (``queues``), so a send checks every cap
in one statement; per-sender counts (``sender_queues``) exist only for a queue as
long as the per-sender cap, so a normal send stays four statements.

A message may carry an expiry (``expires_at``, milliseconds since 1970; 0 for none): from
then on :func:`fetch` skips it, and ``storage/server/expiry.py`` deletes it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import partial
from typing import NamedTuple

from storage.server.records import (
    CopyOutcome,
    QueueFull,
    SendOutcome,
    StoredMessage,
    TooManyUnknown,
    UnknownAccount,
)

_IDS_PER_STATEMENT = 500  # SQLite before 3.32 takes at most 999 parameters in one statement


class Caps(NamedTuple):
    """A recipient's caps: messages waiting, messages from one sender, and bytes of bodies."""

    messages: int
    per_sender: int
    bytes: int


def caps(cap: int, per_sender: int | None, max_bytes: int | None) -> Caps:
    """A recipient's caps; a cap left out is the whole queue's (per sender) or none (bytes)."""
    return Caps(cap, cap if per_sender is None else per_sender, 2**62 if max_bytes is None else max_bytes)


class Untracked(Exception):
    """The per-sender cap must be checked on a queue that has no per-sender counts yet."""


def enqueue(
    db: sqlite3.Connection,
    *,
    sender: str,
    client_id: str,
    recipient: str,
    body: bytes,
    now: int,
    caps: Caps,
    expires_at: int = 0,
) -> SendOutcome:
    """Queue ``body`` once per (sender, client id, recipient); raises QueueFull, UnknownAccount or Untracked.

    It refuses only before its first write, so it needs no savepoint. A duplicate keeps the first
    copy's expiry.
    """
    size = len(body)
    # A record of a message stored before the sender registered was a previous owner's; one without a
    # recipient ('') is from before version 5 of the schema, when a client id stood for one message.
    seen = db.execute(
        "SELECT s.message_id, s.ts FROM sent AS s JOIN queues AS q ON q.phone = s.sender"
        " WHERE s.client_id = ? AND s.sender = ? AND s.recipient IN (?, '')"
        " AND s.message_id > q.since_message",
        (client_id, sender, recipient),
    ).fetchone()
    if seen is not None:
        return SendOutcome(seen[0], seen[1], duplicate=True)
    # One statement counts the message and checks that the recipient exists and every cap:
    # for a queue without per-sender counts (nearly every queue), by its length alone.
    counted = db.execute(
        "UPDATE queues SET queued = queued + 1, bytes = bytes + ?"
        " WHERE phone = ? AND NOT tracked AND queued < ? AND queued < ? AND bytes + ? <= ?",
        (size, recipient, caps.messages, caps.per_sender, size, caps.bytes),
    ).rowcount
    if not counted:
        counted = db.execute(
            "UPDATE queues SET queued = queued + 1, bytes = bytes + ?"
            " WHERE phone = ? AND tracked AND queued < ? AND bytes + ? <= ? AND COALESCE((SELECT"
            " s.queued FROM sender_queues AS s WHERE s.recipient = ? AND s.sender = ?), 0) < ?",
            (size, recipient, caps.messages, size, caps.bytes, recipient, sender, caps.per_sender),
        ).rowcount
        if not counted:
            raise _why_full(db, recipient, size, caps)
        db.execute(
            "INSERT INTO sender_queues VALUES (?, ?, 1)"
            " ON CONFLICT (recipient, sender) DO UPDATE SET queued = queued + 1",
            (recipient, sender),
        )
    cursor = db.execute(
        "INSERT INTO messages (recipient, sender, body, ts, expires_at) VALUES (?, ?, ?, ?, ?)",
        (recipient, sender, body, now, expires_at),
    )
    message_id = cursor.lastrowid
    assert message_id is not None
    record = (client_id, sender, recipient, message_id, now)  # replaces a previous owner's record, if any
    db.execute("INSERT OR REPLACE INTO sent VALUES (?, ?, ?, ?, ?)", record)
    return SendOutcome(message_id, now, duplicate=False)


def enqueue_copies(
    db: sqlite3.Connection,
    *,
    sender: str,
    client_id: str,
    copies: Sequence[tuple[str, bytes]],
    now: int,
    caps: Caps,
    max_unknown: int,
    expires_at: int = 0,
) -> list[CopyOutcome]:
    """Queue one body per recipient under one client id, each as :func:`enqueue` would; in copies' order.

    A copy refused (its recipient unknown, a cap of its queue reached) is answered so in its place and
    the others are stored. Past ``max_unknown`` unknown recipients it raises TooManyUnknown after
    writing, so it must run in a savepoint: that undoes the copies stored before.
    """
    outcomes: list[CopyOutcome] = []
    unknown = 0
    for recipient, body in copies:
        one = partial(
            enqueue,
            db,
            sender=sender,
            client_id=client_id,
            recipient=recipient,
            body=body,
            expires_at=expires_at,
        )
        try:
            try:
                outcome: CopyOutcome = one(now=now, caps=caps)
            except Untracked:  # as in the store's enqueue: count per sender, then check again
                track(db, recipient=recipient)
                outcome = one(now=now, caps=caps)
        except UnknownAccount as refused:
            unknown += 1
            if unknown > max_unknown:
                raise TooManyUnknown(max_unknown) from None
            outcome = refused
        except QueueFull as refused:
            outcome = refused
        outcomes.append(outcome)
    return outcomes


def _why_full(db: sqlite3.Connection, recipient: str, size: int, caps: Caps) -> Exception:
    """Which check a refused send failed: the recipient is unknown, or which cap it reached."""
    row = db.execute("SELECT queued, bytes, tracked FROM queues WHERE phone = ?", (recipient,)).fetchone()
    if row is None:
        return UnknownAccount(recipient)
    queued, waiting, tracked = row
    if queued >= caps.messages:
        return QueueFull(QueueFull.MESSAGES, queued)
    if waiting + size > caps.bytes:
        return QueueFull(QueueFull.BYTES, waiting)
    if not tracked:  # as long as the per-sender cap: time to count per sender
        return Untracked()
    return QueueFull(QueueFull.SENDER, queued)


def track(db: sqlite3.Connection, *, recipient: str) -> None:
    """Start per-sender counts for ``recipient``'s queue from the messages waiting in it."""
    db.execute("DELETE FROM sender_queues WHERE recipient = ?", (recipient,))
    db.execute(
        "INSERT INTO sender_queues SELECT recipient, sender, COUNT(*) FROM messages"
        " WHERE recipient = ? GROUP BY sender",
        (recipient,),
    )
    db.execute("UPDATE queues SET tracked = 1 WHERE phone = ?", (recipient,))


def fetch(
    db: sqlite3.Connection, recipient: str, after: int, limit: int, now: int
) -> tuple[list[StoredMessage], bool]:
    """Up to ``limit`` messages with id > ``after`` unexpired at ``now``, oldest first; whether more wait."""
    rows = db.execute(
        "SELECT id, sender, body, ts FROM messages WHERE recipient = ? AND id > ?"
        " AND expires_at NOT BETWEEN 1 AND ? ORDER BY id LIMIT ?",  # 0 is no expiry
        (recipient, after, now, limit + 1),
    ).fetchall()
    return [StoredMessage(*row) for row in rows[:limit]], len(rows) > limit


def queued_count(db: sqlite3.Connection, recipient: str) -> int:
    row = db.execute("SELECT queued FROM queues WHERE phone = ?", (recipient,)).fetchone()
    return 0 if row is None else int(row[0])


def ack(db: sqlite3.Connection, *, recipient: str, wanted: list[int]) -> int:
    """Delete those of ``wanted`` (sorted, distinct) that wait for ``recipient``; returns how many."""
    deleted, freed, tracked = 0, 0, False
    per_sender: dict[str, int] = {}
    for start in range(0, len(wanted), _IDS_PER_STATEMENT):
        chunk = wanted[start : start + _IDS_PER_STATEMENT]
        marks = ",".join("?" * len(chunk))
        found = 0
        # length() of a blob reads its size from the record header, not its pages.
        for sender, count, size, queue_tracked in db.execute(
            "SELECT m.sender, COUNT(*), SUM(length(m.body)), q.tracked"  # noqa: S608 - only marks
            " FROM messages AS m JOIN queues AS q ON q.phone = m.recipient"
            f" WHERE m.recipient = ? AND m.id IN ({marks}) GROUP BY m.sender",
            (recipient, *chunk),
        ):
            per_sender[sender] = per_sender.get(sender, 0) + count
            found += count
            freed += size
            tracked = bool(queue_tracked)
        if found:
            deleted += found
            db.execute(
                f"DELETE FROM messages WHERE recipient = ? AND id IN ({marks})",  # noqa: S608 - only marks
                (recipient, *chunk),
            )
    if deleted:
        db.execute(
            "UPDATE queues SET queued = queued - ?, bytes = bytes - ? WHERE phone = ?",
            (deleted, freed, recipient),
        )
    if tracked:
        db.executemany(
            "UPDATE sender_queues SET queued = queued - ? WHERE recipient = ? AND sender = ?",
            [(count, recipient, sender) for sender, count in per_sender.items()],
        )
    return deleted
