"""Queued messages with an expiry on a real SQLite file or PostgreSQL database: never fetched once expired,
swept in batches."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from store_support import ALICE, BOB, NOW, register, rows, store

from storage.server.interface import ServerStore
from storage.server.store import QueueFull, SendOutcome, SqliteServerStore

__all__ = ["store"]  # the fixture, imported so pytest finds it here

CAROL = "+442079460003"
SECOND = 1000


def _people(store: ServerStore) -> None:
    for phone, tag in ((ALICE, "a"), (BOB, "b"), (CAROL, "c")):
        register(store, phone, tag)


def _ids(store: ServerStore, recipient: str, now: int, after: int = 0, limit: int = 10) -> list[int]:
    return [m.id for m in store.fetch(recipient, after, limit, now)[0]]


def test_an_expired_message_is_not_fetched_from_its_expiry_on(store: ServerStore) -> None:
    _people(store)
    lasting = store.enqueue(ALICE, "a1", BOB, b"stays", NOW, 10)
    fleeting = store.enqueue(ALICE, "a2", BOB, b"goes", NOW, 10, expires_at=NOW + 5 * SECOND)
    assert _ids(store, BOB, NOW + 5 * SECOND - 1) == [lasting.id, fleeting.id]
    assert _ids(store, BOB, NOW + 5 * SECOND) == [lasting.id]
    assert _ids(store, BOB, NOW + 365 * 24 * 3600 * SECOND) == [lasting.id]  # 0 is no expiry


def test_pages_skip_expired_messages_and_more_counts_only_the_live_ones(store: ServerStore) -> None:
    _people(store)
    live, gone = [], []
    for n in range(8):
        expires_at = NOW + SECOND if n % 2 else 0
        sent = store.enqueue(ALICE, f"a{n}", BOB, b"x", NOW, 100, expires_at=expires_at)
        (gone if expires_at else live).append(sent.id)
    later = NOW + 2 * SECOND
    first, more = store.fetch(BOB, 0, 2, later)
    assert [m.id for m in first] == live[:2] and more
    rest, more = store.fetch(BOB, first[-1].id, 2, later)
    # The last live message is followed only by an expired one: nothing more waits.
    assert [m.id for m in rest] == live[2:] and not more
    assert store.fetch(BOB, live[-1], 2, later) == ([], False)
    assert _ids(store, BOB, NOW, limit=100) == sorted(live + gone)  # before the expiry, all of them


def test_the_sweep_deletes_what_expired_and_the_queue_counts_follow(store: ServerStore) -> None:
    _people(store)
    store.enqueue(ALICE, "a1", BOB, b"x" * 30, NOW, 3, max_bytes=100)
    store.enqueue(ALICE, "a2", BOB, b"y" * 60, NOW, 3, max_bytes=100, expires_at=NOW + SECOND)
    store.enqueue(CAROL, "c1", BOB, b"z" * 10, NOW, 3, max_bytes=100, expires_at=NOW + 9 * SECOND)
    with pytest.raises(QueueFull) as caught:
        store.enqueue(ALICE, "a3", BOB, b"w", NOW, 3, max_bytes=100)
    assert caught.value.cap == QueueFull.MESSAGES
    assert store.sweep_expired(NOW + SECOND - 1, 100) == 0
    assert store.sweep_expired(NOW + SECOND, 100) == 1
    assert store.queued_count(BOB) == 2
    # The 60 bytes are free again: 30 + 10 + 60 fit the byte cap, and a third message the count cap.
    assert not store.enqueue(ALICE, "a3", BOB, b"w" * 60, NOW + SECOND, 3, max_bytes=100).duplicate
    with pytest.raises(QueueFull) as caught:
        store.enqueue(ALICE, "a4", BOB, b"v", NOW + SECOND, 4, max_bytes=100)
    assert caught.value.cap == QueueFull.BYTES
    assert store.sweep_expired(NOW + 9 * SECOND, 100) == 1
    assert store.queued_count(BOB) == 2
    assert not store.enqueue(ALICE, "a4", BOB, b"v", NOW + 9 * SECOND, 4, max_bytes=100).duplicate
    bodies = [row[0] for row in rows(store, "SELECT body FROM messages ORDER BY id")]
    assert bodies == [b"x" * 30, b"w" * 60, b"v"]


def test_a_tracked_queue_gives_the_sender_its_room_back(store: ServerStore) -> None:
    _people(store)
    caps = {"per_sender": 2}
    store.enqueue(ALICE, "a1", BOB, b"x", NOW, 10, **caps, expires_at=NOW + SECOND)
    store.enqueue(ALICE, "a2", BOB, b"x", NOW, 10, **caps)  # the queue is as long as the cap: tracked now
    with pytest.raises(QueueFull) as caught:
        store.enqueue(ALICE, "a3", BOB, b"x", NOW, 10, **caps)
    assert caught.value.cap == QueueFull.SENDER
    assert store.sweep_expired(NOW + SECOND, 100) == 1
    assert not store.enqueue(ALICE, "a3", BOB, b"x", NOW + SECOND, 10, **caps).duplicate
    with pytest.raises(QueueFull):
        store.enqueue(ALICE, "a4", BOB, b"x", NOW + SECOND, 10, **caps)
    assert rows(store, "SELECT queued FROM sender_queues WHERE sender = ?", (ALICE,)) == [(2,)]


def test_a_sweep_takes_at_most_its_batch_soonest_expired_first(store: ServerStore) -> None:
    _people(store)
    with store.group_commit():
        for n in range(25):
            store.enqueue(ALICE, f"a{n:02d}", BOB, b"x", NOW, 100, expires_at=NOW + (25 - n) * SECOND)
        store.enqueue(ALICE, "kept", BOB, b"x", NOW, 100)
    late = NOW + 60 * SECOND
    assert store.sweep_expired(late, 10) == 10
    first_left = [row[0] for row in rows(store, "SELECT expires_at FROM messages WHERE expires_at > 0")]
    assert sorted(first_left) == [NOW + n * SECOND for n in range(11, 26)]  # the ten soonest went first
    assert [store.sweep_expired(late, 10) for _ in range(3)] == [10, 5, 0]
    assert store.queued_count(BOB) == 1
    with store.group_commit():
        for n in range(5):
            store.enqueue(ALICE, f"b{n}", BOB, b"x", NOW, 100, expires_at=NOW + (5 - n) * SECOND)
    assert store.sweep_expired(NOW + 2 * SECOND, 100) == 2
    assert len(store.fetch(BOB, 0, 100, NOW)[0]) == 4  # the two that expired first went
    left = [row[0] for row in rows(store, "SELECT expires_at FROM messages ORDER BY expires_at")]
    assert left == [0, NOW + 3 * SECOND, NOW + 4 * SECOND, NOW + 5 * SECOND]


@pytest.mark.sqlite_only  # SQLite's own query plan
def test_the_sweep_reads_the_index_of_expiring_messages(store: SqliteServerStore) -> None:
    with closing(sqlite3.connect(store.path)) as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT id, recipient, sender, length(body) FROM messages"
            " WHERE expires_at > 0 AND expires_at <= ? ORDER BY expires_at LIMIT ?",
            (NOW, 10),
        ).fetchall()
    # The sweep reads the index of expiring messages, not the table: the rest of the queue costs nothing.
    assert "USING INDEX messages_by_expiry" in plan[0][3]


def test_every_copy_of_a_send_many_carries_the_expiry(store: ServerStore) -> None:
    _people(store)
    copies = [(BOB, b"b"), (CAROL, b"c")]
    outcomes = store.enqueue_many(ALICE, "g1", copies, NOW, 10, expires_at=NOW + SECOND)
    assert all(isinstance(o, SendOutcome) and not o.duplicate for o in outcomes)
    assert _ids(store, BOB, NOW) and _ids(store, CAROL, NOW)
    assert _ids(store, BOB, NOW + SECOND) == [] and _ids(store, CAROL, NOW + SECOND) == []
    assert store.sweep_expired(NOW + SECOND, 100) == 2
    assert store.queued_count(BOB) == store.queued_count(CAROL) == 0


def test_a_retry_of_an_expired_message_is_still_a_duplicate_and_stores_nothing(
    store: ServerStore,
) -> None:
    _people(store)
    first = store.enqueue(ALICE, "a1", BOB, b"x", NOW, 10, expires_at=NOW + SECOND)
    assert store.sweep_expired(NOW + SECOND, 100) == 1
    again = store.enqueue(ALICE, "a1", BOB, b"x", NOW + 2 * SECOND, 10, expires_at=NOW + 3 * SECOND)
    assert again.duplicate and (again.id, again.ts) == (first.id, first.ts)
    assert store.queued_count(BOB) == 0
