"""The server store's message queues: queue a body once per client id, page through it, acknowledge.

Each function is a job for the store's writer (it gets the write connection and
runs inside one transaction), or a read on a connection it is given. A queue is one
device's (an account has one per live device, schema version 8); it keeps its length
and its bodies' bytes beside it (``queues``), so a send checks every cap in one
statement; per-sender counts (``sender_queues``) exist only for a queue as long as
the per-sender cap, so a normal send stays a few statements.

A send names the recipient's devices it has a copy for; the copies are stored only
when they are exactly the recipient's live devices (for the sender's own number: all
its devices but the sending one), else the send is refused with the current set
(:class:`~storage.server.records.DeviceSetChanged`). A client id is recorded once per
(sender, recipient), whichever devices the copies went to.

A message may carry an expiry (``expires_at``, milliseconds since 1970; 0 for none): from
then on :func:`fetch` skips it, and ``storage/server/expiry.py`` deletes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import NamedTuple

from storage.server.records import (
    CopyOutcome,
    DeviceSetChanged,
    QueueFull,
    SendOutcome,
    StoredMessage,
    TooManyUnknown,
    UnknownAccount,
)
from storage.server.sql import Db, returning

_IDS_PER_STATEMENT = 500  # SQLite before 3.32 takes at most 999 parameters in one statement


# Counting a copy into its queue: one UPDATE checks that the queue exists and every cap (a tracked queue's
# per-sender count too). The ``_ONE`` forms also check that the device is the recipient's whole set, by
# the count of live devices every queue of the account keeps (``queues.devices``); the ``_SOLE`` forms,
# for the own number, that no queue of it exists but the one named and the sending device's (the live
# devices are exactly the queues there are: a device's queue is made and deleted with it).
_COUNT = (
    "UPDATE queues SET queued = queued + 1, bytes = bytes + ?"
    " WHERE phone = ? AND device = ? AND tracked = 0 AND queued < ? AND queued < ? AND bytes + ? <= ?"
)
_COUNT_TRACKED = (
    "UPDATE queues SET queued = queued + 1, bytes = bytes + ?"
    " WHERE phone = ? AND device = ? AND tracked <> 0 AND queued < ? AND bytes + ? <= ? AND COALESCE(("
    "SELECT s.queued FROM sender_queues AS s WHERE s.recipient = ? AND s.device = ? AND s.sender = ?"
    "), 0) < ?"
)
_SOLE = " AND NOT EXISTS (SELECT 1 FROM queues AS o WHERE o.phone = ? AND o.device NOT IN (?, ?))"
_COUNT_SOLE = _COUNT + _SOLE
_COUNT_TRACKED_SOLE = _COUNT_TRACKED + _SOLE
_COUNT_ONE = _COUNT + " AND devices = 1"
# A record of a message stored before the sender registered was a previous owner's; one without a
# recipient ('') is from before version 5 of the schema, when a client id stood for one message. With
# several servers the highest id given may belong to a send another server had not committed yet when
# the account was made (a previous owner's, committing late), so a record older than the account is
# a previous owner's too.
_SEEN = (
    "SELECT s.message_id, s.ts FROM sent AS s JOIN accounts AS a ON a.phone = s.sender"
    " WHERE s.client_id = ? AND s.sender = ? AND s.recipient IN (?, '') AND s.message_id > a.since_message"
    " AND s.ts >= a.created_at"
)
# It replaces a previous owner's record, if any.
_RECORD = (
    "INSERT INTO sent VALUES (?, ?, ?, ?, ?) ON CONFLICT (client_id, sender, recipient)"
    " DO UPDATE SET message_id = excluded.message_id, ts = excluded.ts"
)
_COUNT_TRACKED_ONE = _COUNT_TRACKED + " AND devices = 1"
_INSERT = (
    "INSERT INTO messages (recipient, sender, body, ts, expires_at, device, sender_device)"  # noqa: S608
    " VALUES (?, ?, ?, ?, ?, ?, ?)" + returning("id")
)


class Caps(NamedTuple):
    """A recipient device's caps: messages waiting, messages from one sender, and bytes of bodies."""

    messages: int
    per_sender: int
    bytes: int


def caps(cap: int, per_sender: int | None, max_bytes: int | None) -> Caps:
    """A queue's caps; a cap left out is the whole queue's (per sender) or none (bytes)."""
    return Caps(cap, cap if per_sender is None else per_sender, 2**62 if max_bytes is None else max_bytes)


class Untracked(Exception):
    """The per-sender cap must be checked on a queue that has no per-sender counts yet."""


def live_devices(db: Db, phone: str) -> list[int]:
    """The account's live device ids, ascending; empty for a number without an account."""
    rows = db.execute(
        "SELECT device FROM devices WHERE phone = ? AND removed = 0 ORDER BY device", (phone,)
    ).fetchall()
    return [int(row[0]) for row in rows]


def check_devices(db: Db, recipient: str, named: Sequence[int], sender: str, sender_device: int) -> None:
    """UnknownAccount, or DeviceSetChanged (with all the account's ids) unless ``named`` is the set due."""
    current = live_devices(db, recipient)
    if not current:
        raise UnknownAccount(recipient)
    due = [d for d in current if d != sender_device] if recipient == sender else current
    if sorted(named) != due:
        raise DeviceSetChanged(current)


def _seen(db: Db, client_id: str, sender: str, recipient: str) -> SendOutcome | None:
    if db.shared:  # held to the commit: see enqueue (SQLite: not even the key's text)
        db.lock(f"sent {client_id} {sender} {recipient}")
    seen = db.execute(_SEEN, (client_id, sender, recipient)).fetchone()
    return None if seen is None else SendOutcome(seen[0], seen[1], duplicate=True)


def _record(db: Db, client_id: str, sender: str, recipient: str, message_id: int, now: int) -> None:
    db.execute(_RECORD, (client_id, sender, recipient, message_id, now))


def enqueue(
    db: Db,
    *,
    sender: str,
    client_id: str,
    recipient: str,
    body: bytes,
    now: int,
    caps: Caps,
    expires_at: int = 0,
    device: int = 1,
    sender_device: int = 1,
) -> SendOutcome:
    """Queue ``body`` for (recipient, device) once per (sender, client id, recipient).

    Raises UnknownAccount, DeviceSetChanged (``device`` is not the recipient's whole set), QueueFull or
    Untracked, in that order after the duplicate check. It refuses only before its first write, so it
    needs no savepoint. A duplicate keeps the first copy's expiry.
    """
    # Inline, not through _seen and _record: this is every send's path, and calls cost.
    if db.shared:  # a second node's same send waits, then sees this one (SQLite: not even the key's text)
        db.lock(f"sent {client_id} {sender} {recipient}")
    seen = db.execute(_SEEN, (client_id, sender, recipient)).fetchone()
    if seen is not None:
        return SendOutcome(seen[0], seen[1], duplicate=True)
    stored = store_copy(db, sender, sender_device, recipient, device, body, now, caps, expires_at, True)
    db.execute(_RECORD, (client_id, sender, recipient, stored.id, now))
    return stored


def store_copy(
    db: Db,
    sender: str,
    sender_device: int,
    recipient: str,
    device: int,
    body: bytes,
    now: int,
    caps: Caps,
    expires_at: int,
    only: bool = False,
) -> SendOutcome:
    """Count and store one copy in (recipient, device)'s queue; refuses before any write.

    With ``only``, the same statement also checks that ``device`` is the recipient's whole set (its
    only live queue; for the sender's own number, its only one but the sending device's), so the
    send of nearly everyone (one device) costs no read of its own for the check. Refusals:
    UnknownAccount, DeviceSetChanged, QueueFull or Untracked, in that order.
    """
    size = len(body)
    sole_args: tuple[str | int, ...] = ()
    count, count_tracked = _COUNT, _COUNT_TRACKED
    if only and recipient != sender:
        count, count_tracked = _COUNT_ONE, _COUNT_TRACKED_ONE
    elif only:
        if device == sender_device:  # never a copy to the sending device itself
            check_devices(db, recipient, (device,), sender, sender_device)
        count, count_tracked = _COUNT_SOLE, _COUNT_TRACKED_SOLE
        sole_args = (recipient, device, sender_device)
    # One statement counts the message and checks that the queue exists and every cap:
    # for a queue without per-sender counts (nearly every queue), by its length alone.
    counted = db.execute(
        count,
        (size, recipient, device, caps.messages, caps.per_sender, size, caps.bytes, *sole_args),
    ).rowcount
    if not counted:
        counted = db.execute(
            count_tracked,
            (
                size,
                recipient,
                device,
                caps.messages,
                size,
                caps.bytes,
                recipient,
                device,
                sender,
                caps.per_sender,
                *sole_args,
            ),
        ).rowcount
        if not counted:
            if only:  # which check failed: the devices come before the caps
                check_devices(db, recipient, (device,), sender, sender_device)
            raise _why_full(db, recipient, device, size, caps)
        db.execute(
            "INSERT INTO sender_queues VALUES (?, ?, ?, 1)"
            " ON CONFLICT (recipient, device, sender) DO UPDATE SET queued = sender_queues.queued + 1",
            (recipient, device, sender),
        )
    # The id is drawn after the count above locked the queue's row (PostgreSQL holds it to the commit),
    # so a queue's ids grow in commit order: paging with ``after`` never skips one that committed late.
    message_id = db.insert(_INSERT, (recipient, sender, body, now, expires_at, device, sender_device))
    return SendOutcome(message_id, now, duplicate=False)


def _store_tracking(
    db: Db,
    *,
    sender: str,
    sender_device: int,
    recipient: str,
    device: int,
    body: bytes,
    now: int,
    caps: Caps,
    expires_at: int,
    only: bool = False,
) -> SendOutcome:
    copy = partial(
        store_copy,
        db,
        sender=sender,
        sender_device=sender_device,
        recipient=recipient,
        device=device,
        body=body,
        now=now,
        caps=caps,
        expires_at=expires_at,
        only=only,
    )
    try:
        return copy()
    except Untracked:  # as in the store's enqueue: count per sender, then check again
        track(db, recipient=recipient, device=device)
        return copy()


def enqueue_copies(
    db: Db,
    *,
    sender: str,
    client_id: str,
    copies: Sequence[tuple[str, int, bytes]],
    now: int,
    caps: Caps,
    max_unknown: int,
    expires_at: int = 0,
    sender_device: int = 1,
) -> list[CopyOutcome]:
    """Queue one body per (recipient, device) under one client id; an outcome per copy, in copies' order.

    Per recipient, all its copies together: a duplicate (every copy answered with the first record),
    UnknownAccount, DeviceSetChanged (the devices named are not its set: nothing stored for it), or a
    cap of one of its queues (QueueFull: none of its copies stored); the other recipients' copies are
    stored. Past ``max_unknown`` unknown recipients it raises TooManyUnknown after writing, so it must
    run in a savepoint: that undoes the copies stored before.
    """
    outcomes: list[CopyOutcome | None] = [None] * len(copies)
    by_recipient: dict[str, list[int]] = {}
    for index, (recipient, _, _) in enumerate(copies):
        by_recipient.setdefault(recipient, []).append(index)
    unknown = 0
    # In (recipient, device) order, as every writer takes queue rows: two nodes' sends to the same two
    # people wait for one another instead of deadlocking.
    for recipient, indexes in sorted(by_recipient.items()):
        indexes.sort(key=lambda i: copies[i][1])
        outcome = _enqueue_recipient(
            db,
            sender,
            sender_device,
            client_id,
            recipient,
            [copies[i] for i in indexes],
            now,
            caps,
            expires_at,
        )
        if isinstance(outcome, UnknownAccount):
            unknown += 1
            if unknown > max_unknown:
                raise TooManyUnknown(max_unknown) from None
        for at, index in enumerate(indexes):
            outcomes[index] = outcome[at] if isinstance(outcome, list) else outcome
    return [outcome for outcome in outcomes if outcome is not None]


def _enqueue_recipient(
    db: Db,
    sender: str,
    sender_device: int,
    client_id: str,
    recipient: str,
    copies: list[tuple[str, int, bytes]],
    now: int,
    caps: Caps,
    expires_at: int,
) -> list[SendOutcome] | SendOutcome | UnknownAccount | DeviceSetChanged | QueueFull:
    seen = _seen(db, client_id, sender, recipient)
    if seen is not None:
        return seen
    one = partial(
        _store_tracking,
        db,
        sender=sender,
        sender_device=sender_device,
        recipient=recipient,
        now=now,
        caps=caps,
        expires_at=expires_at,
    )
    if len(copies) == 1:  # one copy checks the device set in its own statement, refusing before any write
        try:
            stored = [one(device=copies[0][1], body=copies[0][2], only=True)]
        except (UnknownAccount, DeviceSetChanged, QueueFull) as refused:
            return refused
    else:
        try:
            check_devices(db, recipient, [device for _, device, _ in copies], sender, sender_device)
        except (UnknownAccount, DeviceSetChanged) as refused:
            return refused
        db.execute("SAVEPOINT recipient")
        try:
            stored = [one(device=device, body=body) for _, device, body in copies]
        except QueueFull as refused:
            db.execute("ROLLBACK TO recipient")
            db.execute("RELEASE recipient")
            return refused
        db.execute("RELEASE recipient")
    _record(db, client_id, sender, recipient, stored[0].id, now)
    return stored


def _why_full(db: Db, recipient: str, device: int, size: int, caps: Caps) -> Exception:
    """Which check a refused copy failed: the queue is gone, or which cap it reached."""
    row = db.execute(
        "SELECT queued, bytes, tracked FROM queues WHERE phone = ? AND device = ?", (recipient, device)
    ).fetchone()
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


def track(db: Db, *, recipient: str, device: int = 1) -> None:
    """Start per-sender counts for (recipient, device)'s queue from the messages waiting in it."""
    # The queue's row is locked first (to the commit): another server's send to it waits, then counts
    # itself per sender too.
    db.execute("UPDATE queues SET tracked = 1 WHERE phone = ? AND device = ?", (recipient, device))
    db.execute("DELETE FROM sender_queues WHERE recipient = ? AND device = ?", (recipient, device))
    db.execute(
        "INSERT INTO sender_queues SELECT recipient, device, sender, COUNT(*) FROM messages"
        " WHERE recipient = ? AND device = ? GROUP BY recipient, device, sender",
        (recipient, device),
    )


def fetch(
    db: Db, recipient: str, after: int, limit: int, now: int, device: int = 1
) -> tuple[list[StoredMessage], bool]:
    """Up to ``limit`` messages with id > ``after`` unexpired at ``now``, oldest first; whether more wait."""
    rows = db.execute(
        "SELECT id, sender, body, ts, sender_device FROM messages WHERE recipient = ? AND device = ?"
        " AND id > ? AND expires_at NOT BETWEEN 1 AND ? ORDER BY id LIMIT ?",  # 0 is no expiry
        (recipient, device, after, now, limit + 1),
    ).fetchall()
    return [StoredMessage(*row) for row in rows[:limit]], len(rows) > limit


def message(db: Db, recipient: str, device: int, message_id: int, now: int) -> StoredMessage | None:
    """One message waiting for (recipient, device), unless it is gone or expired at ``now``."""
    row = db.execute(
        "SELECT id, sender, body, ts, sender_device FROM messages WHERE recipient = ? AND device = ?"
        " AND id = ? AND expires_at NOT BETWEEN 1 AND ?",
        (recipient, device, message_id, now),
    ).fetchone()
    return None if row is None else StoredMessage(*row)


def messages(db: Db, recipient: str, device: int, ids: list[int], now: int) -> list[StoredMessage]:
    """Those of ``ids`` (sorted, distinct) waiting for (recipient, device) unexpired at ``now``, by id."""
    found: list[StoredMessage] = []
    for start in range(0, len(ids), _IDS_PER_STATEMENT):
        chunk = ids[start : start + _IDS_PER_STATEMENT]
        marks = ",".join("?" * len(chunk))
        rows = db.execute(
            "SELECT id, sender, body, ts, sender_device FROM messages"  # noqa: S608 - only marks
            f" WHERE recipient = ? AND device = ? AND id IN ({marks}) AND expires_at NOT BETWEEN 1 AND ?"
            " ORDER BY id",
            (recipient, device, *chunk, now),
        ).fetchall()
        found += [StoredMessage(*row) for row in rows]
    return found


def newest_id(db: Db, recipient: str, device: int) -> int:
    """The highest id waiting for (recipient, device), expired or not; 0 when nothing waits."""
    row = db.execute(
        "SELECT COALESCE(MAX(id), 0) FROM messages WHERE recipient = ? AND device = ?", (recipient, device)
    ).fetchone()
    return int(row[0])


def queued_count(db: Db, recipient: str, device: int = 1) -> int:
    row = db.execute(
        "SELECT queued FROM queues WHERE phone = ? AND device = ?", (recipient, device)
    ).fetchone()
    return 0 if row is None else int(row[0])


def ack(db: Db, *, recipient: str, wanted: list[int], device: int = 1) -> int:
    """Delete those of ``wanted`` (sorted, distinct) that wait for (recipient, device); returns how many.

    One statement deletes and reports what it deleted: another server acknowledging or sweeping some of
    the same messages at once takes those, this one the rest, and each queue loses exactly what left it.
    """
    deleted, freed = 0, 0
    per_sender: dict[str, int] = {}
    for start in range(0, len(wanted), _IDS_PER_STATEMENT):
        chunk = wanted[start : start + _IDS_PER_STATEMENT]
        marks = ",".join("?" * len(chunk))
        # length() of a blob reads its size from the record header, not its pages.
        for sender, size in db.execute(
            f"DELETE FROM messages WHERE recipient = ? AND device = ? AND id IN ({marks})"  # noqa: S608
            " RETURNING sender, length(body)",
            (recipient, device, *chunk),
        ):
            per_sender[sender] = per_sender.get(sender, 0) + 1
            deleted += 1
            freed += size
    if not deleted:
        return 0
    row = db.execute(
        "UPDATE queues SET queued = queued - ?, bytes = bytes - ? WHERE phone = ? AND device = ?"
        " RETURNING tracked",
        (deleted, freed, recipient, device),
    ).fetchone()
    if row is not None and row[0]:
        db.executemany(
            "UPDATE sender_queues SET queued = queued - ? WHERE recipient = ? AND device = ? AND sender = ?",
            [(count, recipient, device, sender) for sender, count in sorted(per_sender.items())],
        )
    return deleted
