"""The server store's expired messages: found by their own index, deleted a bounded batch at a time.

A queued message sent with an expiry has ``messages.expires_at`` (milliseconds since 1970;
0 for none). From that moment ``fetch`` leaves it out (``storage/server/queues.py``), so it
is never delivered; :func:`sweep_expired`, run by the server's timer off its event loop,
deletes it, and its queue's counts (messages, bytes, and a tracked queue's per-sender
counts) fall as after an ``ack``, so it stops counting toward the caps. One call is one
job of the writer, a transaction of at most ``limit`` deletions: a backlog of expired
messages is cleared in several short transactions, each holding up the server's group
commit for a moment only. The job reads the partial index ``messages_by_expiry`` (schema
version 7), which holds only the messages that expire, so finding the expired ones costs
no read of any other message.
"""

from __future__ import annotations

from storage.server.sql import SKIP_LOCKED, Db


def sweep_expired(db: Db, *, now: int, limit: int) -> int:
    """Delete up to ``limit`` messages expired by ``now``, soonest expired first; returns how many.

    The partial index of the expiring messages finds them without reading any other row; each
    queue (and, for a tracked one, its senders' counts) loses what it lost, as after an ``ack``.
    """
    if not db.try_lock("sweep expired"):
        return 0  # another server sweeps just now
    # One statement deletes and reports what it deleted: with several servers sweeping (or an ack of the
    # same message on another), each queue loses exactly what left it. SQLite has one writer anyway.
    rows = db.execute(
        "DELETE FROM messages WHERE id IN (SELECT id FROM messages"  # noqa: S608 - a fixed marker
        " WHERE expires_at > 0 AND expires_at <= ? ORDER BY expires_at LIMIT ?" + SKIP_LOCKED + ")"
        " RETURNING id, recipient, device, sender, length(body)",
        (now, limit),
    ).fetchall()
    per_queue: dict[tuple[str, int], tuple[int, int]] = {}  # by (recipient, device): a queue each
    per_sender: dict[tuple[str, int, str], int] = {}
    for _, recipient, device, sender, size in rows:
        count, freed = per_queue.get((recipient, device), (0, 0))
        per_queue[recipient, device] = (count + 1, freed + size)
        per_sender[recipient, device, sender] = per_sender.get((recipient, device, sender), 0) + 1
    # Queue rows in (recipient, device) order, as every writer takes them: no deadlock with a send.
    db.executemany(
        "UPDATE queues SET queued = queued - ?, bytes = bytes - ? WHERE phone = ? AND device = ?",
        [
            (count, freed, recipient, device)
            for (recipient, device), (count, freed) in sorted(per_queue.items())
        ],
    )
    # An untracked queue has no per-sender rows, so this changes only the tracked queues' counts.
    db.executemany(
        "UPDATE sender_queues SET queued = queued - ? WHERE recipient = ? AND device = ? AND sender = ?",
        [
            (count, recipient, device, sender)
            for (recipient, device, sender), count in sorted(per_sender.items())
        ],
    )
    return len(rows)
