"""The server store on real SQLite files and PostgreSQL databases: codes, accounts, durability across
reopening; the SQLite file's WAL mode and quota."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from store_support import (
    ALICE,
    BOB,
    HASH,
    HOUR,
    NOW,
    OTHER,
    STRANGER,
    OpenStore,
    finish,
    keys,
    put,
    register,
    store,
)

from storage.server.interface import ServerStore
from storage.server.space_guard import is_storage_full
from storage.server.store import (
    SCHEMA_VERSION,
    SQLITE_NEEDED,
    CodeCheck,
    QueueFull,
    SqliteServerStore,
    StoreUnavailable,
    TooManyCodes,
    UnknownAccount,
    check_sqlite_version,
)

__all__ = ["store"]  # the fixture, imported so pytest finds it here


@pytest.mark.sqlite_only  # the SQLite file's own journal mode and meta table
def test_the_database_is_in_wal_mode_with_a_schema_version(store: ServerStore) -> None:
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(
            SCHEMA_VERSION
        )


def test_a_right_code_creates_the_account_and_is_used_up(store: ServerStore) -> None:
    register(store, ALICE)
    account = store.account(ALICE)
    assert account is not None and account.identity == {"sign": "a"}
    assert finish(store, ALICE).outcome is CodeCheck.NO_CODE


def test_wrong_codes_count_down_and_then_lock(store: ServerStore) -> None:
    put(store, ALICE, attempts=3)
    results = [finish(store, ALICE, OTHER) for _ in range(3)]
    assert [(r.outcome, r.attempts_left) for r in results] == [
        (CodeCheck.WRONG, 2),
        (CodeCheck.WRONG, 1),
        (CodeCheck.WRONG, 0),
    ]
    assert finish(store, ALICE).outcome is CodeCheck.LOCKED
    assert store.account(ALICE) is None


def test_an_expired_code_is_refused(store: ServerStore) -> None:
    put(store, ALICE, expires_at=NOW + 10)
    assert finish(store, ALICE, now=NOW + 10).outcome is CodeCheck.EXPIRED


def test_each_requester_has_its_own_code_that_nobody_else_can_use_up(store: ServerStore) -> None:
    put(store, ALICE, HASH)
    put(store, ALICE, OTHER, token=STRANGER, attempts=3)
    for _ in range(3):  # the stranger locks its own code ...
        assert finish(store, ALICE, HASH, token=STRANGER).outcome is CodeCheck.WRONG
    assert finish(store, ALICE, OTHER, token=STRANGER).outcome is CodeCheck.LOCKED
    assert finish(store, ALICE, OTHER).outcome is CodeCheck.WRONG  # ... and cannot use the owner's
    assert finish(store, BOB, HASH).outcome is CodeCheck.NO_CODE  # a token is good for its own number only
    assert finish(store, ALICE, HASH).outcome is CodeCheck.ACCEPTED


def test_a_number_takes_live_codes_up_to_its_cap_and_evicts_none(store: ServerStore) -> None:
    tokens = [bytes([n]) * 32 for n in range(3)]
    for token in tokens:
        put(store, ALICE, token=token, cap=3)
    with pytest.raises(TooManyCodes):
        put(store, ALICE, token=STRANGER, cap=3)
    put(store, BOB, token=STRANGER, cap=3)  # another number is not affected
    assert all(finish(store, ALICE, OTHER, token=t).outcome is CodeCheck.WRONG for t in tokens)


def test_a_code_sent_elsewhere_cannot_replace_an_account_registered_meanwhile(
    store: ServerStore,
) -> None:
    put(store, ALICE, token=STRANGER, email="mallory@example.org")
    register(store, ALICE)  # the owner, whose address is x@example.org
    assert finish(store, ALICE, HASH, keys("m"), token=STRANGER).outcome is CodeCheck.NOT_OWNER
    assert store.account(ALICE).identity == {"sign": "a"}  # type: ignore[union-attr]


def test_a_lock_takes_few_attempts_then_refuses_until_its_time_is_up(store: ServerStore) -> None:
    register(store, ALICE)
    store.set_lock(ALICE, b"salt", b"hash")
    assert [store.take_lock_attempt(ALICE, NOW, 3, 1000) for _ in range(4)] == [2, 1, 0, None]
    assert store.take_lock_attempt(ALICE, NOW + 1000, 3, 1000) == 2
    store.lock_passed(ALICE)
    assert store.take_lock_attempt(ALICE, NOW + 1000, 3, 1000) == 2
    guard = store.guard(ALICE)
    assert guard is not None and guard.lock_hash == b"hash" and "hash" not in repr(guard)
    store.set_lock(ALICE, None, None)
    assert store.guard(ALICE).lock_hash is None  # type: ignore[union-attr]
    with pytest.raises(UnknownAccount):
        store.set_lock(BOB, b"salt", b"hash")


def test_a_move_keeps_the_address_and_the_lock_and_a_code_keeps_the_lock_only_when_told(
    store: ServerStore,
) -> None:
    register(store, ALICE)
    store.set_lock(ALICE, b"salt", b"hash")
    store.mark_active(ALICE, NOW + 5)  # within the hour of the last record: not written again
    assert store.guard(ALICE).last_active == NOW  # type: ignore[union-attr]
    store.mark_active(ALICE, NOW + HOUR)
    assert store.guard(ALICE).last_active == NOW + HOUR  # type: ignore[union-attr]
    assert store.move_account(ALICE, NOW + 9, keys("b"))
    assert store.account(ALICE).identity == {"sign": "b"}  # type: ignore[union-attr]
    assert store.guard(ALICE).lock_hash == b"hash"  # type: ignore[union-attr]
    assert store.guard(ALICE).last_active == NOW + 9  # type: ignore[union-attr]
    put(store, ALICE)
    assert finish(store, ALICE, HASH, keys("c")).replaced
    assert store.guard(ALICE).lock_hash is None  # type: ignore[union-attr]
    assert not store.move_account(BOB, NOW, keys())


def test_re_registration_replaces_keys_and_drops_the_queue(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    store.enqueue(BOB, "c1", ALICE, b"old", NOW, 100)
    put(store, ALICE)
    result = finish(store, ALICE, HASH, keys("b", one_time=1))
    assert result.outcome is CodeCheck.ACCEPTED and result.replaced
    assert store.account(ALICE).identity == {"sign": "b"}  # type: ignore[union-attr]
    assert store.fetch(ALICE, 0, 10) == ([], False)
    assert store.queued_count(ALICE) == 0
    assert store.prekey_counts(ALICE) == (1, 2)


def test_deleting_an_account_removes_keys_and_queue(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    store.enqueue(ALICE, "c1", BOB, b"x", NOW, 100)
    assert store.delete_account(BOB)
    assert store.account(BOB) is None
    assert store.fetch(BOB, 0, 10) == ([], False)
    assert store.prekey_counts(BOB) == (0, 0)
    assert not store.delete_account(BOB)


def test_committed_writes_survive_reopening(open_test_store: OpenStore) -> None:
    store = open_test_store()
    register(store, ALICE)
    register(store, BOB)
    sent = store.enqueue(ALICE, "c1", BOB, b"kept", NOW, 100)
    store.close()
    reopened = open_test_store()
    assert [m.body for m in reopened.fetch(BOB, 0, 10)[0]] == [b"kept"]
    assert reopened.enqueue(ALICE, "c1", BOB, b"kept", NOW, 100).id == sent.id


def test_pruning_forgets_old_client_ids_and_dead_codes(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    store.enqueue(ALICE, "c1", BOB, b"x", NOW, 100)
    put(store, "+442079460003", expires_at=NOW + 10, email="y@example.org")
    store.prune(NOW + 8 * 24 * 3600 * 1000)
    assert not store.enqueue(ALICE, "c1", BOB, b"x", NOW, 100).duplicate
    assert finish(store, "+442079460003").outcome is CodeCheck.NO_CODE


def test_bodies_stay_out_of_reprs(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    store.enqueue(ALICE, "c1", BOB, b"secret text", NOW, 100)
    assert "secret" not in repr(store.fetch(BOB, 0, 1)[0])


def test_a_new_owner_of_the_number_does_not_meet_the_previous_owners_client_ids(
    store: ServerStore,
) -> None:
    register(store, ALICE)
    register(store, BOB)
    first = store.enqueue(ALICE, "m-0001", BOB, b"old owner", NOW, 100)
    register(store, ALICE, tag="new")  # the number changes hands (or its owner starts afresh)
    renewed = store.enqueue(ALICE, "m-0001", BOB, b"new owner", NOW + 1, 100)
    assert not renewed.duplicate and renewed.id != first.id
    assert store.enqueue(ALICE, "m-0001", BOB, b"new owner", NOW + 2, 100).id == renewed.id  # a retry
    assert store.delete_account(ALICE)
    register(store, ALICE, tag="third")
    assert not store.enqueue(ALICE, "m-0001", BOB, b"third owner", NOW + 3, 100).duplicate
    assert [m.body for m in store.fetch(BOB, 0, 10)[0]] == [b"old owner", b"new owner", b"third owner"]


def test_refused_sends_inside_a_batch_leave_its_other_writes(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    with store.group_commit():
        kept = store.enqueue(ALICE, "c1", BOB, b"kept", NOW, 1)
        with pytest.raises(QueueFull):
            store.enqueue(ALICE, "c2", BOB, b"over the cap", NOW, 1)
        with pytest.raises(UnknownAccount):
            store.enqueue(ALICE, "c3", "+442079469999", b"nobody", NOW, 1)
    assert [(m.id, m.body) for m in store.fetch(BOB, 0, 10)[0]] == [(kept.id, b"kept")]
    assert store.queued_count(BOB) == 1


@pytest.mark.sqlite_only  # --max-store-mib is a quota on the SQLite file's pages
def test_a_quota_caps_the_file_and_acknowledgements_make_room_in_it(tmp_path: Path) -> None:
    quota = 512 * 1024
    store = SqliteServerStore(tmp_path / "server.sqlite3", max_bytes=quota, reserve=0)
    try:
        register(store, ALICE)
        register(store, BOB)
        room = store.quota_room()
        assert room is not None and 0 < room < quota
        ids = []
        with pytest.raises(sqlite3.Error) as full:
            for n in range(1000):
                ids.append(store.enqueue(ALICE, f"m{n}", BOB, bytes(16 * 1024), NOW, 10_000).id)
        assert is_storage_full(full.value) and len(ids) < 40
        assert store.quota_room() < 32 * 1024
        assert store.ack(BOB, ids) == len(ids)  # a delete fits: it frees pages
        assert store.quota_room() > 16 * 1024 * len(ids)
        assert store.enqueue(ALICE, "after", BOB, bytes(16 * 1024), NOW, 10_000).id > ids[-1]
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "server.sqlite3") as db:
        assert db.execute("PRAGMA page_count").fetchone()[0] * 4096 <= quota


def test_a_fetch_in_a_batch_counts_only_when_it_could_see_uncommitted_messages(
    store: ServerStore,
) -> None:
    register(store, ALICE)
    register(store, BOB)
    with store.group_commit():
        store.fetch(BOB, 0, 10)
        assert store.dependents == 0
        store.enqueue(ALICE, "m1", BOB, b"x", NOW, 10)
        store.fetch(BOB, 0, 10)
        assert store.dependents == 2


def test_re_registration_clears_the_per_sender_counts(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    store.enqueue(ALICE, "a1", BOB, b"x", NOW, 10, per_sender=1)
    register(store, BOB, tag="new")  # the queue goes, and so do its counts
    assert not store.enqueue(ALICE, "a2", BOB, b"x", NOW, 10, per_sender=1).duplicate


def test_a_login_reads_only_the_identity_key(store: ServerStore) -> None:
    register(store, ALICE)
    assert store.identity_text(ALICE) == '{"sign":"a"}'
    assert store.identity_text(BOB) is None


def test_a_shared_setting_is_the_first_value_kept_for_every_user_of_the_file(tmp_path: Path) -> None:
    first, second = (SqliteServerStore(tmp_path / "shared.sqlite3") for _ in range(2))
    try:
        assert first.shared_setting("check", "one") == "one"
        assert second.shared_setting("check", "two") == "one"  # the first stays
        assert second.shared_setting("other", "two") == "two"
        assert second.shared_setting("schema_version", "x") == "x"  # apart from the schema's own key
    finally:
        first.close()
        second.close()
    reopened = SqliteServerStore(tmp_path / "shared.sqlite3")  # the version was not touched
    try:
        assert reopened.shared_setting("check", "three") == "one"
    finally:
        reopened.close()


def test_an_sqlite_older_than_the_shared_sql_needs_is_refused_in_words() -> None:
    check_sqlite_version(sqlite3.sqlite_version_info)  # this machine's, which the tests run on
    check_sqlite_version(SQLITE_NEEDED)
    with pytest.raises(
        StoreUnavailable, match=r"SQLite library is 3\.34\.1; .* needs SQLite 3\.35\.0 or newer"
    ):
        check_sqlite_version((3, 34, 1))  # what Debian 11 ships: no RETURNING
