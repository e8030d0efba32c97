"""The server store's queues on a real SQLite file: once per client id, caps, pages, acknowledgements."""

from __future__ import annotations

import pytest
from store_support import (
    ALICE,
    BOB,
    NOW,
    register,
    store,
)

from storage.server.store import (
    QueueFull,
    SqliteServerStore,
    UnknownAccount,
)

__all__ = ["store"]  # the fixture, imported so pytest finds it here


def test_a_send_is_stored_once_per_client_id(store: SqliteServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    first = store.enqueue(ALICE, "c1", BOB, b"body", NOW, 100)
    again = store.enqueue(ALICE, "c1", BOB, b"other", NOW + 5, 100)
    assert again.duplicate and (again.id, again.ts) == (first.id, first.ts)
    assert store.queued_count(BOB) == 1
    other_sender = store.enqueue(BOB, "c1", BOB, b"mine", NOW, 100)
    assert not other_sender.duplicate


def test_a_retry_after_the_message_was_acknowledged_is_still_a_duplicate(store: SqliteServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    first = store.enqueue(ALICE, "c1", BOB, b"body", NOW, 100)
    assert store.ack(BOB, [first.id]) == 1
    assert store.enqueue(ALICE, "c1", BOB, b"body", NOW, 100).duplicate
    assert store.queued_count(BOB) == 0


def test_a_full_queue_refuses_and_stores_nothing(store: SqliteServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    for i in range(3):
        store.enqueue(ALICE, f"c{i}", BOB, b"x", NOW, 3)
    with pytest.raises(QueueFull):
        store.enqueue(ALICE, "c9", BOB, b"x", NOW, 3)
    assert store.queued_count(BOB) == 3
    assert not store.enqueue(ALICE, "c9", BOB, b"x", NOW, 4).duplicate  # the refused id was not kept


def test_sending_to_nobody_is_refused(store: SqliteServerStore) -> None:
    register(store, ALICE)
    with pytest.raises(UnknownAccount):
        store.enqueue(ALICE, "c1", BOB, b"x", NOW, 10)


def test_fetch_pages_in_order(store: SqliteServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    ids = [store.enqueue(ALICE, f"c{i}", BOB, bytes([i]), NOW + i, 100).id for i in range(5)]
    page, more = store.fetch(BOB, 0, 3)
    assert [m.id for m in page] == ids[:3] and more
    page, more = store.fetch(BOB, page[-1].id, 3)
    assert [m.id for m in page] == ids[3:] and not more
    assert page[0].sender == ALICE and page[0].body == b"\x03" and page[0].ts == NOW + 3


def test_only_the_recipient_can_acknowledge(store: SqliteServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    sent = store.enqueue(ALICE, "c1", BOB, b"x", NOW, 100)
    assert store.ack(ALICE, [sent.id]) == 0
    assert store.queued_count(BOB) == 1
    assert store.ack(BOB, [sent.id, sent.id, 999]) == 1
    assert store.queued_count(BOB) == 0


def test_an_acknowledgement_of_a_thousand_ids_fits_any_sqlite(store: SqliteServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    with store.group_commit():
        ids = [store.enqueue(ALICE, f"c{n}", BOB, b"x", NOW, 2000).id for n in range(1000)]
    assert store.ack(BOB, ids) == 1000 and store.queued_count(BOB) == 0


def test_one_sender_cannot_fill_a_queue_others_still_get_through(store: SqliteServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    carol = "+442079460003"
    register(store, carol)
    for i in range(2):
        store.enqueue(ALICE, f"a{i}", BOB, b"x", NOW, 10, per_sender=2)
    with pytest.raises(QueueFull) as caught:
        store.enqueue(ALICE, "a9", BOB, b"x", NOW, 10, per_sender=2)
    assert caught.value.cap == QueueFull.SENDER
    assert not store.enqueue(carol, "c1", BOB, b"x", NOW, 10, per_sender=2).duplicate
    assert store.queued_count(BOB) == 3
    # Once Bob takes Alice's messages, she may send again.
    ids = [m.id for m in store.fetch(BOB, 0, 10)[0] if m.sender == ALICE]
    assert store.ack(BOB, ids) == 2
    assert not store.enqueue(ALICE, "a9", BOB, b"x", NOW, 10, per_sender=2).duplicate


def test_the_bytes_waiting_for_a_recipient_are_capped(store: SqliteServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    first = store.enqueue(ALICE, "a1", BOB, b"x" * 60, NOW, 10, max_bytes=100)
    with pytest.raises(QueueFull) as caught:
        store.enqueue(ALICE, "a2", BOB, b"x" * 41, NOW, 10, max_bytes=100)
    assert caught.value.cap == QueueFull.BYTES and caught.value.waiting == 60
    store.enqueue(ALICE, "a3", BOB, b"x" * 40, NOW, 10, max_bytes=100)  # exactly the cap fits
    assert store.queued_count(BOB) == 2
    assert store.ack(BOB, [first.id]) == 1
    store.enqueue(ALICE, "a2", BOB, b"x" * 41, NOW, 10, max_bytes=100)  # room again after the ack


def test_the_count_cap_is_named_when_it_is_the_one_reached(store: SqliteServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    store.enqueue(ALICE, "a1", BOB, b"x", NOW, 1, per_sender=5, max_bytes=100)
    with pytest.raises(QueueFull) as caught:
        store.enqueue(ALICE, "a2", BOB, b"x", NOW, 1, per_sender=5, max_bytes=100)
    assert caught.value.cap == QueueFull.MESSAGES


def test_per_sender_counts_start_inside_a_batch_without_breaking_it(store: SqliteServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    carol = "+442079460003"
    register(store, carol)
    with store.group_commit():
        kept = store.enqueue(ALICE, "a1", BOB, b"kept", NOW, 10, per_sender=1)
        with pytest.raises(QueueFull) as caught:  # counts Bob's queue per sender first, then refuses
            store.enqueue(ALICE, "a2", BOB, b"refused", NOW, 10, per_sender=1)
        assert caught.value.cap == QueueFull.SENDER
        other = store.enqueue(carol, "c1", BOB, b"kept too", NOW, 10, per_sender=1)
    assert [m.id for m in store.fetch(BOB, 0, 10)[0]] == [kept.id, other.id]
    with pytest.raises(QueueFull):  # Carol's message was counted for her
        store.enqueue(carol, "c2", BOB, b"x", NOW, 10, per_sender=1)


def _fill(store: SqliteServerStore, sender: str, prefix: str, count: int, **caps: int) -> list[int]:
    return [store.enqueue(sender, f"{prefix}{n}", BOB, b"x" * 10, NOW, 4, **caps).id for n in range(count)]


def _refused(store: SqliteServerStore, sender: str, client_id: str, **caps: int) -> str:
    with pytest.raises(QueueFull) as caught:
        store.enqueue(sender, client_id, BOB, b"x" * 10, NOW, 4, **caps)
    return caught.value.cap


def test_every_count_falls_as_a_counted_queue_is_acknowledged(store: SqliteServerStore) -> None:
    # Per-sender counts start once the queue is as long as the per-sender cap; from then on every
    # acknowledgement must lower the sender's count, the queue's count and its bytes alike.
    register(store, ALICE)
    register(store, BOB)
    carol = "+442079460003"
    register(store, carol)
    caps = {"per_sender": 2, "max_bytes": 40}
    for round_ in range(3):  # each round fills the caps again, and each time only the acks make room
        alice = _fill(store, ALICE, f"a{round_}-", 2, **caps)
        assert _refused(store, ALICE, f"a{round_}-over", **caps) == QueueFull.SENDER
        carols = _fill(store, carol, f"c{round_}-", 2, **caps)
        assert _refused(store, carol, f"c{round_}-over", **caps) == QueueFull.MESSAGES
        assert store.ack(BOB, alice + carols) == 4
        assert store.queued_count(BOB) == 0
    _fill(store, ALICE, "a-bytes-", 2, **caps)
    _fill(store, carol, "c-bytes-", 1, per_sender=2, max_bytes=30)
    assert _refused(store, carol, "c-bytes-over", per_sender=2, max_bytes=30) == QueueFull.BYTES


def test_a_queue_registered_again_or_deleted_starts_with_every_count_at_zero(
    store: SqliteServerStore,
) -> None:
    register(store, ALICE)
    carol = "+442079460003"
    register(store, carol)
    caps = {"per_sender": 2, "max_bytes": 40}
    for end in ("registered again", "deleted"):
        register(store, BOB, tag=end)
        _fill(store, ALICE, f"{end}-", 2, **caps)
        assert _refused(store, ALICE, f"{end}-over", **caps) == QueueFull.SENDER
        if end == "deleted":
            assert store.delete_account(BOB)
    register(store, BOB, tag="new owner")
    # The whole of every cap again: four messages of ten bytes, two of them from Alice.
    ids = _fill(store, ALICE, "new-a", 2, **caps) + _fill(store, carol, "new-c", 2, **caps)
    assert _refused(store, ALICE, "new-over", **caps) == QueueFull.MESSAGES
    assert store.ack(BOB, ids) == 4 and store.queued_count(BOB) == 0
