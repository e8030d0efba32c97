"""The server store's queues (SQLite and PostgreSQL): once per client id, caps, pages, acknowledgements."""

from __future__ import annotations

import pytest
from store_support import (
    ALICE,
    BOB,
    NOW,
    register,
    store,
)

from storage.server.interface import ServerStore
from storage.server.store import (
    QueueFull,
    SendOutcome,
    TooManyUnknown,
    UnknownAccount,
)

__all__ = ["store"]  # the fixture, imported so pytest finds it here


def test_a_send_is_stored_once_per_client_id(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    first = store.enqueue(ALICE, "c1", BOB, b"body", NOW, 100)
    again = store.enqueue(ALICE, "c1", BOB, b"other", NOW + 5, 100)
    assert again.duplicate and (again.id, again.ts) == (first.id, first.ts)
    assert store.queued_count(BOB) == 1
    other_sender = store.enqueue(BOB, "c1", ALICE, b"mine", NOW, 100)
    assert not other_sender.duplicate


def test_a_retry_after_the_message_was_acknowledged_is_still_a_duplicate(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    first = store.enqueue(ALICE, "c1", BOB, b"body", NOW, 100)
    assert store.ack(BOB, [first.id]) == 1
    assert store.enqueue(ALICE, "c1", BOB, b"body", NOW, 100).duplicate
    assert store.queued_count(BOB) == 0


def test_a_full_queue_refuses_and_stores_nothing(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    for i in range(3):
        store.enqueue(ALICE, f"c{i}", BOB, b"x", NOW, 3)
    with pytest.raises(QueueFull):
        store.enqueue(ALICE, "c9", BOB, b"x", NOW, 3)
    assert store.queued_count(BOB) == 3
    assert not store.enqueue(ALICE, "c9", BOB, b"x", NOW, 4).duplicate  # the refused id was not kept


def test_sending_to_nobody_is_refused(store: ServerStore) -> None:
    register(store, ALICE)
    with pytest.raises(UnknownAccount):
        store.enqueue(ALICE, "c1", BOB, b"x", NOW, 10)


def test_fetch_pages_in_order(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    ids = [store.enqueue(ALICE, f"c{i}", BOB, bytes([i]), NOW + i, 100).id for i in range(5)]
    page, more = store.fetch(BOB, 0, 3)
    assert [m.id for m in page] == ids[:3] and more
    page, more = store.fetch(BOB, page[-1].id, 3)
    assert [m.id for m in page] == ids[3:] and not more
    assert page[0].sender == ALICE and page[0].body == b"\x03" and page[0].ts == NOW + 3


def test_only_the_recipient_can_acknowledge(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    sent = store.enqueue(ALICE, "c1", BOB, b"x", NOW, 100)
    assert store.ack(ALICE, [sent.id]) == 0
    assert store.queued_count(BOB) == 1
    assert store.ack(BOB, [sent.id, sent.id, 999]) == 1
    assert store.queued_count(BOB) == 0


def test_an_acknowledgement_of_a_thousand_ids_fits_any_sqlite(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    with store.group_commit():
        ids = [store.enqueue(ALICE, f"c{n}", BOB, b"x", NOW, 2000).id for n in range(1000)]
    assert store.ack(BOB, ids) == 1000 and store.queued_count(BOB) == 0


def test_one_sender_cannot_fill_a_queue_others_still_get_through(store: ServerStore) -> None:
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


def test_the_bytes_waiting_for_a_recipient_are_capped(store: ServerStore) -> None:
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


def test_the_count_cap_is_named_when_it_is_the_one_reached(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    store.enqueue(ALICE, "a1", BOB, b"x", NOW, 1, per_sender=5, max_bytes=100)
    with pytest.raises(QueueFull) as caught:
        store.enqueue(ALICE, "a2", BOB, b"x", NOW, 1, per_sender=5, max_bytes=100)
    assert caught.value.cap == QueueFull.MESSAGES


def test_per_sender_counts_start_inside_a_batch_without_breaking_it(store: ServerStore) -> None:
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


# ---------------------------------------------------------------- one client id, many recipients

CAROL, DAVE = "+442079460003", "+442079460004"


def test_one_client_id_stores_one_copy_per_recipient(store: ServerStore) -> None:
    for phone in (ALICE, BOB, CAROL):
        register(store, phone)
    outcomes = store.enqueue_many(ALICE, "g1", [(BOB, b"for bob"), (CAROL, b"for carol")], NOW, 100)
    assert all(isinstance(o, SendOutcome) and not o.duplicate and o.ts == NOW for o in outcomes)
    assert [(m.sender, m.body) for m in store.fetch(BOB, 0, 10)[0]] == [(ALICE, b"for bob")]
    assert [(m.sender, m.body) for m in store.fetch(CAROL, 0, 10)[0]] == [(ALICE, b"for carol")]
    first, second = outcomes
    assert isinstance(first, SendOutcome) and isinstance(second, SendOutcome) and first.id < second.id


def test_a_repeat_is_a_duplicate_per_recipient_and_stores_the_rest(store: ServerStore) -> None:
    for phone in (ALICE, BOB, CAROL, DAVE):
        register(store, phone)
    (first,) = store.enqueue_many(ALICE, "g1", [(BOB, b"b")], NOW, 100)
    again = store.enqueue_many(ALICE, "g1", [(BOB, b"b"), (CAROL, b"c"), (DAVE, b"d")], NOW + 9, 100)
    assert again[0] == SendOutcome(first.id, NOW, duplicate=True)  # type: ignore[union-attr]
    assert [o.duplicate for o in again] == [True, False, False]  # type: ignore[union-attr]
    assert [store.queued_count(p) for p in (BOB, CAROL, DAVE)] == [1, 1, 1]
    # A send and a send_many with the same client id to the same recipient are one message.
    assert store.enqueue(ALICE, "g1", CAROL, b"c", NOW + 20, 100) == SendOutcome(
        again[1].id,  # type: ignore[union-attr]
        NOW + 9,
        duplicate=True,
    )


def test_one_client_id_is_a_new_message_for_another_recipient(store: ServerStore) -> None:
    for phone in (ALICE, BOB, CAROL):
        register(store, phone)
    to_bob = store.enqueue(ALICE, "c1", BOB, b"b", NOW, 100)
    to_carol = store.enqueue(ALICE, "c1", CAROL, b"c", NOW, 100)
    assert not to_carol.duplicate and to_carol.id != to_bob.id
    assert store.queued_count(CAROL) == 1
    (many,) = store.enqueue_many(ALICE, "c1", [(BOB, b"b")], NOW, 100)
    assert many == SendOutcome(to_bob.id, NOW, duplicate=True)


def test_an_unknown_or_full_recipient_is_answered_in_its_place_and_the_others_stored(
    store: ServerStore,
) -> None:
    for phone in (ALICE, BOB, CAROL):
        register(store, phone)
    store.enqueue(CAROL, "x1", BOB, b"x", NOW, 100)  # Bob's queue is full at a cap of 1
    outcomes = store.enqueue_many(ALICE, "g1", [(DAVE, b"d"), (BOB, b"b"), (CAROL, b"c")], NOW, 1)
    unknown, full, stored = outcomes
    assert isinstance(unknown, UnknownAccount)
    assert isinstance(full, QueueFull) and full.cap == QueueFull.MESSAGES
    assert isinstance(stored, SendOutcome) and not stored.duplicate
    assert store.queued_count(BOB) == 1 and store.queued_count(CAROL) == 1
    # The refused copies were not remembered: once there is room, the same client id stores them.
    register(store, DAVE)
    store.ack(BOB, [m.id for m in store.fetch(BOB, 0, 10)[0]])
    retried = store.enqueue_many(ALICE, "g1", [(DAVE, b"d"), (BOB, b"b"), (CAROL, b"c")], NOW, 1)
    assert [o.duplicate for o in retried] == [False, False, True]  # type: ignore[union-attr]


def test_each_recipients_caps_are_its_own(store: ServerStore) -> None:
    for phone in (ALICE, BOB, CAROL):
        register(store, phone)
    store.enqueue(ALICE, "a1", BOB, b"x" * 60, NOW, 10, max_bytes=100)
    store.enqueue(ALICE, "a2", CAROL, b"x", NOW, 10, per_sender=1)
    outcomes = store.enqueue_many(
        ALICE, "g1", [(BOB, b"y" * 41), (CAROL, b"y")], NOW, 10, per_sender=1, max_bytes=100
    )
    assert [o.cap for o in outcomes] == [QueueFull.BYTES, QueueFull.SENDER]  # type: ignore[union-attr]
    (to_bob,) = store.enqueue_many(ALICE, "g2", [(BOB, b"y" * 40)], NOW, 10, per_sender=5, max_bytes=100)
    assert isinstance(to_bob, SendOutcome)


def test_past_the_unknown_recipients_allowed_nothing_is_stored(store: ServerStore) -> None:
    for phone in (ALICE, BOB, CAROL):
        register(store, phone)
    copies = [(BOB, b"b"), ("+442079460005", b"x"), (CAROL, b"c"), (DAVE, b"d")]
    with store.group_commit():
        kept = store.enqueue(ALICE, "other", BOB, b"kept", NOW, 100)  # the batch's other work stands
        with pytest.raises(TooManyUnknown) as caught:
            store.enqueue_many(ALICE, "g1", copies, NOW, 100, max_unknown=1)
    assert caught.value.allowed == 1
    assert [m.id for m in store.fetch(BOB, 0, 10)[0]] == [kept.id] and store.queued_count(CAROL) == 0
    # Nothing of it was remembered either; with one unknown allowed per unknown it is stored.
    outcomes = store.enqueue_many(ALICE, "g1", copies, NOW, 100, max_unknown=2)
    assert [type(o) for o in outcomes] == [SendOutcome, UnknownAccount, SendOutcome, UnknownAccount]
    assert [m.body for m in store.fetch(BOB, 0, 10)[0]] == [b"kept", b"b"]


def test_per_sender_counts_start_in_the_middle_of_the_copies(store: ServerStore) -> None:
    for phone in (ALICE, BOB, CAROL):
        register(store, phone)
    store.enqueue(ALICE, "a1", BOB, b"x", NOW, 10, per_sender=1)
    outcomes = store.enqueue_many(ALICE, "g1", [(CAROL, b"c"), (BOB, b"b")], NOW, 10, per_sender=1)
    assert isinstance(outcomes[0], SendOutcome)
    assert isinstance(outcomes[1], QueueFull) and outcomes[1].cap == QueueFull.SENDER
    assert store.queued_count(CAROL) == 1 and store.queued_count(BOB) == 1


def _fill(store: ServerStore, sender: str, prefix: str, count: int, **caps: int) -> list[int]:
    return [store.enqueue(sender, f"{prefix}{n}", BOB, b"x" * 10, NOW, 4, **caps).id for n in range(count)]


def _refused(store: ServerStore, sender: str, client_id: str, **caps: int) -> str:
    with pytest.raises(QueueFull) as caught:
        store.enqueue(sender, client_id, BOB, b"x" * 10, NOW, 4, **caps)
    return caught.value.cap


def test_every_count_falls_as_a_counted_queue_is_acknowledged(store: ServerStore) -> None:
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
    store: ServerStore,
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


def test_the_newest_id_is_the_highest_waiting_for_the_device(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    assert store.newest_id(BOB, 1) == 0
    ids = [store.enqueue(ALICE, f"n{i}", BOB, b"x", NOW, 100).id for i in range(3)]
    assert store.newest_id(BOB, 1) == ids[-1] and store.newest_id(ALICE, 1) == 0
    store.ack(BOB, [ids[-1]])
    assert store.newest_id(BOB, 1) == ids[1]


def test_messages_reads_those_of_many_ids_that_still_wait(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    ids = [store.enqueue(ALICE, f"m{i}", BOB, b"%d" % i, NOW, 100).id for i in range(4)]
    store.ack(BOB, [ids[1]])
    found = store.messages(BOB, 1, [ids[3], ids[0], ids[1], ids[0] + 10_000], NOW)
    assert [(m.id, m.body) for m in found] == [(ids[0], b"0"), (ids[3], b"3")]
    assert store.messages(BOB, 2, ids, NOW) == [] and store.messages(BOB, 1, [], NOW) == []
