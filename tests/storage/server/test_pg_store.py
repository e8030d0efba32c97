"""PostgresServerStore against a real PostgreSQL: the store's behaviour, races between two stores on one
database (two nodes), and a killed and restarted database server."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import psycopg.errors
import pytest
from store_support import ALICE, BOB, HASH, NOW, keys

from net.bench.engines.postgres import PostgresInstance
from storage.server.base_store import SENT_ID_LIFETIME_MS
from storage.server.pg_store import PostgresServerStore
from storage.server.records import (
    BatchFailed,
    CodeCheck,
    DeviceKeys,
    LastDevice,
    SchemaMismatch,
    StoreBusy,
    StoreUnavailable,
)

CAROL = "+442079460003"
WAIT = 10.0


def register(store: PostgresServerStore, phone: str, token: bytes, **kwargs: int) -> None:
    store.put_code(token, phone, "x@example.org", HASH, NOW, NOW + 600_000, 5, 10)
    outcome = store.finish_registration(token, phone, HASH, NOW, keys(**kwargs), keep_lock=False)
    assert outcome.outcome is CodeCheck.ACCEPTED


@pytest.fixture
def nodes(postgres_url: str) -> Iterator[tuple[PostgresServerStore, PostgresServerStore]]:
    """Two stores on one database, as two server processes have; Alice and Bob registered."""
    first = PostgresServerStore(postgres_url)
    second = PostgresServerStore(postgres_url)
    register(first, ALICE, b"a" * 32)
    register(first, BOB, b"b" * 32, one_time=3)
    yield first, second
    first.close()
    second.close()


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_a_send_is_fetched_acknowledged_and_recognised_again(nodes: tuple[PostgresServerStore, ...]) -> None:
    first, second = nodes
    with first.group_commit():
        sent = first.enqueue(ALICE, "c1", BOB, b"body", NOW, 100)
        again = first.enqueue(ALICE, "c1", BOB, b"body", NOW, 100)
        assert first.fetch(BOB, 0, 10, now=NOW)[0][0].body == b"body"  # the turn reads its own write
    assert again.duplicate and again.id == sent.id
    messages, more = second.fetch(BOB, 0, 10, now=NOW)
    assert [m.id for m in messages] == [sent.id] and not more
    assert second.message(BOB, 1, sent.id, NOW) == messages[0]
    assert second.ack(BOB, [sent.id]) == 1
    assert first.message(BOB, 1, sent.id, NOW) is None and first.queued_count(BOB) == 0


def test_two_nodes_asking_at_once_get_different_one_time_prekeys(
    nodes: tuple[PostgresServerStore, ...],
) -> None:
    first, second = nodes
    with first.group_commit():
        taken = first.take_bundle(BOB)  # its key is deleted, not yet committed
        thread, other = in_thread(lambda: second.take_bundle(BOB))
        thread.join(WAIT)  # SKIP LOCKED: the second does not wait for the first's commit
        assert not thread.is_alive()
    assert taken["one_time_prekey"]["id"] != other[0]["one_time_prekey"]["id"]
    assert first.prekey_counts(BOB) == (1, 0)


def test_a_second_node_sending_the_same_client_id_waits_then_sees_the_duplicate(
    nodes: tuple[PostgresServerStore, ...],
) -> None:
    first, second = nodes
    with first.group_commit():
        sent = first.enqueue(ALICE, "same", BOB, b"one", NOW, 100)
        thread, other = in_thread(lambda: second.enqueue(ALICE, "same", BOB, b"one", NOW, 100))
        thread.join(0.5)
        assert thread.is_alive()  # it waits for the first's commit
    thread.join(WAIT)
    assert other[0].duplicate and other[0].id == sent.id
    assert first.queued_count(BOB) == 1


def test_a_message_that_commits_late_is_never_skipped_by_paging(
    nodes: tuple[PostgresServerStore, ...],
) -> None:
    first, second = nodes
    with first.group_commit():
        early = first.enqueue(ALICE, "early", BOB, b"1", NOW, 100)
        thread, late = in_thread(lambda: second.enqueue(ALICE, "late", BOB, b"2", NOW, 100))
        thread.join(0.5)
        assert thread.is_alive()  # the queue's row is locked until the first commits
        # Meanwhile the queue shows nothing committed, so a client pages from 0 still.
        assert second.fetch(BOB, 0, 10, now=NOW)[0] == []
    thread.join(WAIT)
    assert late[0].id > early.id  # drawn after the first's commit
    seen, _ = second.fetch(BOB, 0, 10, now=NOW)
    assert [m.id for m in seen] == [early.id, late[0].id]
    assert [m.id for m in second.fetch(BOB, early.id, 10, now=NOW)[0]] == [late[0].id]


def test_two_nodes_adding_devices_at_once_get_different_ids(nodes: tuple[PostgresServerStore, ...]) -> None:
    first, second = nodes
    device_keys = DeviceKeys({"id": 1}, {"id": 2}, [], [])
    with first.group_commit():
        mine = first.add_device(ALICE, b"k" * 32, b"", device_keys, NOW, max_devices=3)
        thread, other = in_thread(
            lambda: second.add_device(ALICE, b"l" * 32, b"", device_keys, NOW, max_devices=3)
        )
        thread.join(0.5)
        assert thread.is_alive()
    thread.join(WAIT)
    assert mine[0] == 2 and other[0][0] == 3 and other[0][1] == [1, 2, 3]


def test_two_wrong_guesses_at_once_use_two_attempts(nodes: tuple[PostgresServerStore, ...]) -> None:
    first, second = nodes
    token = b"c" * 32
    first.put_code(token, CAROL, "c@example.org", HASH, NOW, NOW + 600_000, 5, 10)
    with first.group_commit():
        assert first.check_code(token, CAROL, b"w" * 32, NOW).attempts_left == 4
        thread, other = in_thread(lambda: second.check_code(token, CAROL, b"v" * 32, NOW))
        thread.join(0.5)
        assert thread.is_alive()
    thread.join(WAIT)
    assert other[0].attempts_left == 3


def test_blob_bytes_are_pieces_in_the_database(nodes: tuple[PostgresServerStore, ...]) -> None:
    first, second = nodes
    blob = first.blob_start(
        b"k" * 32, ALICE, 10, now=NOW, expires=NOW + 10**6, deadline=NOW + 10**5, quota=100
    )
    assert first.blob_write(blob, 0, b"01234", deadline=NOW) == 5
    blob = second.blob(b"k" * 32, NOW)  # another node sees what was received
    assert blob is not None and blob.received == 5
    first.blob_write(blob, 3, b"3456789", deadline=NOW)  # a piece sent again, overlapping
    blob = second.blob(b"k" * 32, NOW)
    assert blob is not None and blob.received == 10
    assert second.blob_read(blob, 2, 6) == b"234567"
    assert second.blob_seal(blob) == hashlib.sha256(b"0123456789").digest()


def test_a_database_newer_than_the_code_is_refused_in_words(postgres_url: str) -> None:
    PostgresServerStore(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SchemaMismatch, match="schema version 99"):
        PostgresServerStore(postgres_url)


def test_a_database_that_is_not_there_is_unavailable_in_words(postgres_instance: PostgresInstance) -> None:
    with pytest.raises(StoreUnavailable, match="cannot open the database"):
        PostgresServerStore(postgres_instance.database_url("no_such_database"))


def test_errors_are_told_apart_by_sqlstate(nodes: tuple[PostgresServerStore, ...]) -> None:
    store = nodes[0]
    assert store.lacks_room(BatchFailed("x").with_traceback(None)) is False
    full = psycopg.errors.DiskFull("no room")
    assert store.lacks_room(full) and not store.unreachable(full)
    shutdown = psycopg.errors.AdminShutdown("terminating connection")
    assert store.unreachable(shutdown) and not store.lacks_room(shutdown)
    assert store.unreachable(psycopg.OperationalError("connection refused"))
    assert not store.unreachable(psycopg.errors.UniqueViolation("dup"))


def test_a_restarted_database_is_out_of_reach_then_works_again_by_itself(
    postgres_instance: PostgresInstance, postgres_url: str
) -> None:
    store = PostgresServerStore(postgres_url)
    try:
        register(store, ALICE, b"a" * 32)
        register(store, BOB, b"b" * 32)
        postgres_instance.kill()
        with pytest.raises(BaseException) as lost, store.group_commit():
            store.enqueue(ALICE, "during", BOB, b"x", NOW, 100)
        assert store.unreachable(lost.value)
        with pytest.raises(BaseException) as read_lost:
            store.fetch(BOB, 0, 10, now=NOW)
        assert store.unreachable(read_lost.value)
        postgres_instance.start_again()
        deadline = time.monotonic() + 20
        while True:
            try:
                with store.group_commit():
                    sent = store.enqueue(ALICE, "after", BOB, b"y", NOW, 100)
                break
            except Exception as exc:
                assert store.unreachable(exc)
                assert time.monotonic() < deadline, "the store did not come back"
                time.sleep(0.2)
        assert [m.id for m in store.fetch(BOB, 0, 10, now=NOW)[0]] == [sent.id]
    finally:
        store.close()


def test_a_deadlock_between_two_nodes_costs_one_job_only(nodes: tuple[PostgresServerStore, ...]) -> None:
    first, second = nodes
    register(first, CAROL, b"c" * 32)
    first_ready, second_ready = threading.Event(), threading.Event()

    def turn(
        store: PostgresServerStore, mine: str, theirs: str, ready: threading.Event, other: threading.Event
    ) -> list[Any]:
        outcomes: list[Any] = []
        with store.group_commit():
            outcomes.append(store.enqueue(ALICE, f"own {mine}", mine, b"1", NOW, 100))  # locks mine's queue
            ready.set()
            assert other.wait(WAIT)
            try:  # waits for the other's queue, which waits for this one's
                outcomes.append(store.enqueue(ALICE, f"cross {mine}", theirs, b"2", NOW, 100))
            except StoreBusy as busy:
                outcomes.append(busy)
        return outcomes

    one, first_turn = in_thread(lambda: turn(first, BOB, CAROL, first_ready, second_ready))
    two, second_turn = in_thread(lambda: turn(second, CAROL, BOB, second_ready, first_ready))
    one.join(WAIT)
    two.join(WAIT)
    assert not one.is_alive() and not two.is_alive()
    outcomes = first_turn[0] + second_turn[0]
    assert sum(isinstance(o, StoreBusy) for o in outcomes) == 1  # PostgreSQL broke the cycle once
    kept = [o for o in outcomes if not isinstance(o, StoreBusy)]
    # Both turns committed: the refused job's savepoint alone was rolled back.
    assert first.queued_count(BOB) + first.queued_count(CAROL) == len(kept) == 3


def test_the_full_state_ends_when_a_write_works_again(
    postgres_instance: PostgresInstance, postgres_url: str
) -> None:
    store = PostgresServerStore(postgres_url)
    try:
        store.space.met_full("a test")
        assert store.space.full and not store.space.check_due()  # a second between looks
        postgres_instance.stop()
        assert not store.space.check() and store.space.full  # no write works while it is down
        postgres_instance.start_again()
        deadline = time.monotonic() + 20
        while not store.space.check():
            assert time.monotonic() < deadline, "the full state did not end"
            time.sleep(0.2)
        assert not store.space.full
    finally:
        store.close()


def test_a_connection_lost_inside_a_turn_fails_the_whole_turn(postgres_url: str) -> None:
    store = PostgresServerStore(postgres_url)
    try:
        register(store, ALICE, b"a" * 32)
        register(store, BOB, b"b" * 32)
        with pytest.raises(BatchFailed) as failed, store.group_commit():
            store.enqueue(ALICE, "first", BOB, b"1", NOW, 100)
            writer = store._writer._db
            assert writer is not None
            with psycopg.connect(postgres_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (writer.conn.info.backend_pid,))
            with pytest.raises(psycopg.OperationalError) as read_lost:
                store.fetch(BOB, 0, 10, now=NOW)  # the turn's read finds the connection gone
            assert store.unreachable(read_lost.value)
            with pytest.raises(psycopg.OperationalError) as lost:
                store.enqueue(ALICE, "second", BOB, b"2", NOW, 100)  # never on a new connection mid-turn
            assert store.unreachable(lost.value)
        assert store.unreachable(failed.value)
        # Neither was kept (the first died with the connection), and the next turn works on a new one.
        with store.group_commit():
            again = store.enqueue(ALICE, "first", BOB, b"1", NOW, 100)
        assert not again.duplicate
        assert [m.id for m in store.fetch(BOB, 0, 10, now=NOW)[0]] == [again.id]
    finally:
        store.close()


def test_two_nodes_acknowledging_the_same_messages_count_them_once(
    nodes: tuple[PostgresServerStore, ...],
) -> None:
    first, second = nodes
    ids = [first.enqueue(ALICE, f"m{i}", BOB, b"x", NOW, 100).id for i in range(3)]
    with first.group_commit():
        assert first.ack(BOB, ids[:2]) == 2
        thread, other = in_thread(lambda: second.ack(BOB, ids))
        thread.join(0.5)
        assert thread.is_alive()  # its delete waits for the first's
    thread.join(WAIT)
    assert other == [1]  # it takes the one the first left, and is not refused for the two gone
    assert second.ack(BOB, ids) == 0
    assert first.queued_count(BOB) == 0


def test_two_nodes_sweeping_expired_messages_at_once_take_each_once(
    nodes: tuple[PostgresServerStore, ...],
) -> None:
    first, second = nodes
    for i in range(6):
        first.enqueue(ALICE, f"e{i}", BOB, b"x", NOW, 100, expires_at=NOW + 1)
    with first.group_commit():
        swept = first.sweep_expired(NOW + 10, 4)
        # One server sweeps at a time: the other does nothing and does not wait.
        thread, other = in_thread(lambda: second.sweep_expired(NOW + 10, 4))
        thread.join(WAIT)
        assert other == [0]
    assert swept == 4
    assert second.sweep_expired(NOW + 10, 4) == 2
    assert first.queued_count(BOB) == 0


def test_two_nodes_pruning_at_once_prune_once_without_waiting(nodes: tuple[PostgresServerStore, ...]) -> None:
    first, second = nodes
    first.enqueue(ALICE, "old", BOB, b"x", NOW, 100)
    later = NOW + SENT_ID_LIFETIME_MS + 1  # its client id is old enough to forget
    with first.group_commit():
        first.prune(later)  # the sent row's delete is locked to this turn's end
        thread, other = in_thread(lambda: second.prune(later))
        thread.join(1.0)  # well under the lock timeout: it did not wait for the first's turn
        assert other == [None]


def test_a_connection_lost_when_only_a_read_follows_still_fails_the_turn(postgres_url: str) -> None:
    store = PostgresServerStore(postgres_url)
    try:
        register(store, ALICE, b"a" * 32)
        register(store, BOB, b"b" * 32)
        with pytest.raises(BatchFailed) as failed, store.group_commit():
            store.enqueue(ALICE, "first", BOB, b"1", NOW, 100)
            writer = store._writer._db
            assert writer is not None
            with psycopg.connect(postgres_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (writer.conn.info.backend_pid,))
            with pytest.raises(psycopg.OperationalError):
                store.fetch(BOB, 0, 10, now=NOW)  # the turn's last statement meets the loss
        assert store.unreachable(failed.value)  # so the loop answers the turn as out of reach
        assert store.queued_count(BOB) == 0
    finally:
        store.close()


def test_a_read_refused_inside_a_turn_leaves_the_turn_s_writes_to_commit(
    nodes: tuple[PostgresServerStore, ...],
) -> None:
    first, second = nodes
    with first.group_commit():
        sent = first.enqueue(ALICE, "c1", BOB, b"hi", NOW, 100)
        with pytest.raises(psycopg.errors.NumericValueOutOfRange):
            first.fetch(BOB, 0, 2**63, now=NOW)  # limit + 1 overflows: PostgreSQL refuses the read
    assert [m.id for m in second.fetch(BOB, 0, 10, now=NOW)[0]] == [sent.id]  # the reply told the truth


def test_two_nodes_registering_one_new_number_at_once_give_it_to_one(postgres_url: str) -> None:
    first, second = PostgresServerStore(postgres_url), PostgresServerStore(postgres_url)
    try:
        first.put_code(b"a" * 32, CAROL, "owner@example.org", HASH, NOW, NOW + 600_000, 5, 10)
        second.put_code(b"b" * 32, CAROL, "thief@example.org", HASH, NOW, NOW + 600_000, 5, 10)
        with first.group_commit():
            won = first.finish_registration(b"a" * 32, CAROL, HASH, NOW, keys(), keep_lock=False)
            thread, lost = in_thread(
                lambda: second.finish_registration(b"b" * 32, CAROL, HASH, NOW, keys(), keep_lock=False)
            )
            time.sleep(0.5)  # the second reaches the account's lock while the first's turn is open
        thread.join(WAIT)
        assert won.outcome is CodeCheck.ACCEPTED
        assert lost[0].outcome is CodeCheck.NOT_OWNER  # the number was taken before its check
        account = first.account(CAROL)
        assert account is not None and account.email == "owner@example.org"
    finally:
        first.close()
        second.close()


def test_two_nodes_unlinking_the_last_two_devices_leave_one(nodes: tuple[PostgresServerStore, ...]) -> None:
    first, second = nodes
    first.add_device(ALICE, b"k" * 32, b"n", DeviceKeys({"id": 1}, {"id": 9}, [], []), NOW, max_devices=5)
    assert first.device_ids(ALICE) == [1, 2]
    with first.group_commit():
        assert first.remove_device(ALICE, 1, NOW) == [2]
        thread, result = in_thread(lambda: second.remove_device(ALICE, 2, NOW))
        time.sleep(0.5)
    thread.join(WAIT)
    assert isinstance(result[0], LastDevice)
    assert first.device_ids(ALICE) == [2]


def test_a_lock_held_by_another_node_past_the_timeout_is_busy_for_that_job(
    nodes: tuple[PostgresServerStore, ...],
) -> None:
    first, second = nodes
    with first.group_commit():
        first.delete_account(CAROL)  # holds Carol's account lock until the turn ends
        started = time.monotonic()
        thread, result = in_thread(lambda: second.delete_account(CAROL))
        thread.join(WAIT)  # bounded: without a lock timeout it would wait for this turn, which waits for it
        waited = time.monotonic() - started
        assert result, "the second node still waits for the first's lock"
    assert 1.5 < waited < 5.0  # the lock timeout, not forever
    assert isinstance(result[0], StoreBusy)
    assert isinstance(result[0].__cause__, psycopg.errors.LockNotAvailable)
    assert not second.unreachable(result[0])
    assert second.delete_account(CAROL) is False  # free again once the turn committed


def test_a_previous_owner_s_send_committed_late_is_not_the_new_owner_s_duplicate(
    nodes: tuple[PostgresServerStore, ...], postgres_url: str
) -> None:
    first, _ = nodes
    # What a previous owner's send on another node leaves when it commits after the number was
    # registered again: an id past the account's since_message, a time before the account.
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO sent VALUES ('c1', %s, %s, 2000000000, %s)", (ALICE, BOB, NOW - 1))
    sent = first.enqueue(ALICE, "c1", BOB, b"new owner's", NOW, 100)
    assert not sent.duplicate
    assert [m.body for m in first.fetch(BOB, 0, 10, now=NOW)[0]] == [b"new owner's"]
