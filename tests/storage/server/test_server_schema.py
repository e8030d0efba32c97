"""The server store's schema on real SQLite files: a new file, upgrades from versions 1, 2 and 4, refusals.

Also the property the version 2 layout exists for: a commit of many sends from
many people writes few pages (counted in the WAL, not timed).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from known_answers import counting_random

from net.protocol.client_ids import time_ordered_id
from storage.server import schema as server_schema
from storage.server.records import DeviceKeys
from storage.server.store import (
    AccountKeys,
    CodeCheck,
    QueueFull,
    SchemaMismatch,
    SqliteServerStore,
    StoreUnavailable,
)

ALICE, BOB, CAROL = "+442079460001", "+442079460002", "+442079460003"
NOW = 1_764_000_000_000
V1_TABLES = (Path(__file__).parents[2] / "vectors" / "server_schema_v1.sql").read_text(encoding="utf-8")
V2_TABLES = (Path(__file__).parents[2] / "vectors" / "server_schema_v2.sql").read_text(encoding="utf-8")


def make_version_1(path: Path) -> None:
    """A file as the version 1 server left it: Bob has two messages waiting from Alice."""
    with closing(sqlite3.connect(path)) as db, db:
        for statement in V1_TABLES.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        for phone, queued in ((ALICE, 0), (BOB, 2)):
            row = (phone, "x@example.org", "{}", "{}", "{}", queued, NOW)
            db.execute("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?)", row)
        for n in (1, 2):
            message = (BOB, ALICE, b"m", NOW)
            db.execute("INSERT INTO messages (recipient, sender, body, ts) VALUES (?, ?, ?, ?)", message)
            db.execute("INSERT INTO sent VALUES (?, ?, ?, ?)", (ALICE, f"c{n}", n, NOW))


def make_version_2(path: Path) -> None:
    """A file as the version 2 server left it: two accounts, a message for Bob, a code waiting for Carol."""
    with closing(sqlite3.connect(path)) as db, db:
        for statement in V2_TABLES.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO meta VALUES ('schema_version', '2')")
        for phone, queued in ((ALICE, 0), (BOB, 1)):
            db.execute(
                "INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?)",
                (phone, "x@example.org", "{}", "{}", "{}", NOW),
            )
            db.execute("INSERT INTO queues VALUES (?, ?, 0)", (phone, queued))
        db.execute(
            "INSERT INTO messages (recipient, sender, body, ts) VALUES (?, ?, ?, ?)", (BOB, ALICE, b"m", NOW)
        )
        db.execute(
            "INSERT INTO pending_codes VALUES (?, ?, ?, ?, ?)", (CAROL, "c@example.org", b"h" * 32, NOW, 5)
        )


def tables(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}


def version_of(path: Path) -> str:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]


def test_step_1_still_makes_the_frozen_version_1_tables() -> None:
    # Step 1 must never change: files made by the first server are upgraded from exactly these tables.
    with closing(sqlite3.connect(":memory:")) as made, closing(sqlite3.connect(":memory:")) as frozen:
        server_schema.STEPS[1](made)
        frozen.executescript(V1_TABLES)
        assert tables(made) == tables(frozen)


def test_a_new_file_gets_the_current_version(tmp_path: Path) -> None:
    SqliteServerStore(tmp_path / "s.sqlite3").close()
    assert version_of(tmp_path / "s.sqlite3") == str(server_schema.VERSION) == "9"


def test_a_version_1_file_is_upgraded_keeping_queues_and_client_ids(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    make_version_1(path)
    store = SqliteServerStore(path)
    try:
        assert version_of(path) == str(server_schema.VERSION)
        assert store.queued_count(BOB) == 2
        assert [m.body for m in store.fetch(BOB, 0, 10)[0]] == [b"m", b"m"]
        repeat = store.enqueue(ALICE, "c2", BOB, b"m", NOW + 1, 100)
        assert repeat.duplicate and repeat.id == 2
        assert store.ack(BOB, [1, 2]) == 2 and store.queued_count(BOB) == 0
    finally:
        store.close()
    with closing(sqlite3.connect(path)) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(accounts)")]
        assert "queued" not in columns


def test_step_2_still_makes_the_frozen_version_2_tables() -> None:
    with closing(sqlite3.connect(":memory:")) as made, closing(sqlite3.connect(":memory:")) as frozen:
        server_schema.STEPS[1](made)
        server_schema.STEPS[2](made)
        frozen.executescript(V2_TABLES)
        assert tables(made) == tables(frozen)


def test_a_version_2_file_is_upgraded_keeping_accounts_and_queues_and_dropping_tokenless_codes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sqlite3"
    make_version_2(path)
    store = SqliteServerStore(path)
    try:
        assert version_of(path) == str(server_schema.VERSION)
        assert store.queued_count(BOB) == 1 and [m.body for m in store.fetch(BOB, 0, 10)[0]] == [b"m"]
        guard = store.guard(ALICE)  # active since registration, no lock
        assert guard is not None and guard.last_active == NOW and guard.lock_hash is None
        store.set_lock(ALICE, b"s" * 16, b"l" * 32)
        assert store.guard(ALICE).lock_hash == b"l" * 32  # type: ignore[union-attr]
        # Carol's code had no token: it is gone, and a new one is kept per requester.
        assert store.check_code(b"t" * 32, CAROL, b"h" * 32, NOW).outcome is CodeCheck.NO_CODE
        store.put_code(b"t" * 32, CAROL, "c@example.org", b"h" * 32, NOW, NOW + 600_000, 5, 10)
        assert store.check_code(b"t" * 32, CAROL, b"h" * 32, NOW).outcome is CodeCheck.ACCEPTED
    finally:
        store.close()


def test_a_failed_upgrade_leaves_the_file_at_version_1(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    make_version_1(path)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE sent_v2 (x)")  # in the way of the upgrade's new table
    with pytest.raises(StoreUnavailable) as failed:
        SqliteServerStore(path)
    assert isinstance(failed.value.__cause__, sqlite3.OperationalError)
    assert version_of(path) == "1"
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT queued FROM accounts WHERE phone = ?", (BOB,)).fetchone() == (2,)
        assert db.execute("SELECT COUNT(*) FROM sent").fetchone() == (2,)


def make_version_2_with_queues(path: Path) -> None:
    """A file as the version 2 server left it: Bob has two messages from Alice and one from himself."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        server_schema.STEPS[1](db)
        server_schema.STEPS[2](db)
        db.execute("INSERT INTO meta VALUES ('schema_version', '2')")
        for phone, queued in ((ALICE, 0), (BOB, 3)):
            db.execute("INSERT INTO accounts VALUES (?, 'x@example.org', '{}', '{}', '{}', ?)", (phone, NOW))
            db.execute("INSERT INTO queues VALUES (?, ?, 0)", (phone, queued))
        for sender, body in ((ALICE, b"m" * 10), (ALICE, b"m" * 20), (BOB, b"m" * 5)):
            message = (BOB, sender, body, NOW)
            db.execute("INSERT INTO messages (recipient, sender, body, ts) VALUES (?, ?, ?, ?)", message)


def test_a_version_2_file_gets_the_bytes_of_its_queues_and_per_sender_counts_when_needed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sqlite3"
    make_version_2_with_queues(path)
    store = SqliteServerStore(path)

    def bob_counts() -> tuple[tuple[int, int, int], dict[str, int]]:
        with closing(sqlite3.connect(path)) as db:
            row = db.execute("SELECT queued, bytes, tracked FROM queues WHERE phone = ?", (BOB,)).fetchone()
            senders = dict(db.execute("SELECT sender, queued FROM sender_queues WHERE recipient = ?", (BOB,)))
        return row, senders

    try:
        assert version_of(path) == str(server_schema.VERSION)
        assert bob_counts() == ((3, 35, 0), {})
        # The messages carried over count: Alice has two waiting, so a cap of two refuses a third.
        with pytest.raises(QueueFull) as caught:
            store.enqueue(ALICE, "c9", BOB, b"x", NOW, 100, per_sender=2)
        assert caught.value.cap == QueueFull.SENDER
        assert bob_counts() == ((3, 35, 1), {ALICE: 2, BOB: 1})
        assert store.ack(BOB, [1, 2, 3]) == 3
        assert bob_counts() == ((0, 0, 1), {ALICE: 0, BOB: 0})
        store.prune(NOW)  # an empty queue needs no per-sender counts
        assert bob_counts() == ((0, 0, 0), {})
    finally:
        store.close()


def make_version_4(path: Path) -> None:
    """A file as the version 4 server left it: Alice sent c1 to Bob (waiting) and c2 to Bob (acknowledged)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        for version in range(1, 5):
            server_schema.STEPS[version](db)
        db.execute("INSERT INTO meta VALUES ('schema_version', '4')")
        for phone, queued in ((ALICE, 0), (BOB, 1), (CAROL, 0)):
            db.execute("INSERT INTO accounts VALUES (?, 'x@example.org', '{}', '{}', '{}', ?)", (phone, NOW))
            db.execute("INSERT INTO queues VALUES (?, ?, 0, ?, 0)", (phone, queued, queued))
        for message_id in (1, 2):
            message = (message_id, BOB, ALICE, b"m", NOW)
            db.execute(
                "INSERT INTO messages (id, recipient, sender, body, ts) VALUES (?, ?, ?, ?, ?)", message
            )
            db.execute("INSERT INTO sent VALUES (?, ?, ?, ?)", (f"c{message_id}", ALICE, message_id, NOW))
        db.execute("DELETE FROM messages WHERE id = 2")  # Bob acknowledged it: its recipient is gone with it


def test_a_version_4_file_keys_client_ids_by_recipient_and_keeps_the_old_ones_whole(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    make_version_4(path)
    store = SqliteServerStore(path)
    try:
        assert version_of(path) == str(server_schema.VERSION)
        with closing(sqlite3.connect(path)) as db:
            rows = db.execute(
                "SELECT client_id, sender, recipient, message_id FROM sent ORDER BY 1"
            ).fetchall()
        assert rows == [("c1", ALICE, BOB, 1), ("c2", ALICE, "", 2)]
        # c1 still waits for Bob: a repeat to him is the same message, the same id to Carol a new one.
        assert store.enqueue(ALICE, "c1", BOB, b"m", NOW + 1, 100).duplicate
        assert not store.enqueue(ALICE, "c1", CAROL, b"m", NOW + 1, 100).duplicate
        # c2's recipient is not known any more: it stays one message for every recipient, as it was made.
        assert store.enqueue(ALICE, "c2", CAROL, b"m", NOW + 1, 100).id == 2
        assert [o.id for o in store.enqueue_many(ALICE, "c2", [(BOB, b"m")], NOW + 1, 100)] == [2]  # type: ignore[union-attr]
        assert store.queued_count(BOB) == 1 and store.queued_count(CAROL) == 1
        store.prune(NOW + 8 * 24 * 3600 * 1000)  # and it expires like every record
        assert not store.enqueue(ALICE, "c2", CAROL, b"m", NOW + 1, 100).duplicate
    finally:
        store.close()


def test_a_failed_upgrade_leaves_the_file_at_version_4(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    make_version_4(path)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE sent_v5 (x)")  # in the way of the upgrade's new table
    with pytest.raises(StoreUnavailable):
        SqliteServerStore(path)
    assert version_of(path) == "4"
    with closing(sqlite3.connect(path)) as db:
        assert [row[1] for row in db.execute("PRAGMA table_info(sent)")] == [
            "client_id",
            "sender",
            "message_id",
            "ts",
        ]


def test_a_version_5_file_gets_the_blobs_table_and_keeps_its_messages(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        for version in range(1, 6):
            server_schema.STEPS[version](db)
        db.execute("INSERT INTO meta VALUES ('schema_version', '5')")
        db.execute("INSERT INTO queues (phone, queued, since_message) VALUES (?, 1, 0)", (BOB,))
        db.execute(
            "INSERT INTO messages (recipient, sender, body, ts) VALUES (?, ?, ?, ?)", (BOB, ALICE, b"m", NOW)
        )
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT 1 FROM sqlite_master WHERE name = 'blobs'").fetchone() is None
    store = SqliteServerStore(path)
    try:
        assert version_of(path) == str(server_schema.VERSION)
        assert [m.body for m in store.fetch(BOB, 0, 10)[0]] == [b"m"]
        started = store.blob_start(b"k" * 32, ALICE, 10, now=NOW, expires=NOW + 5, deadline=NOW + 5, quota=10)
        assert store.blob(b"k" * 32, NOW) == started
    finally:
        store.close()


def test_a_version_6_file_gets_expiries_its_messages_never_expire_and_new_ones_can(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        for version in range(1, 7):
            server_schema.STEPS[version](db)
        db.execute("INSERT INTO meta VALUES ('schema_version', '6')")
        for phone in (ALICE, BOB):
            db.execute("INSERT INTO accounts VALUES (?, 'x@example.org', '{}', '{}', '{}', ?)", (phone, NOW))
            db.execute("INSERT INTO queues (phone, queued, since_message) VALUES (?, 0, 0)", (phone,))
        db.execute("UPDATE queues SET queued = 1, bytes = 1 WHERE phone = ?", (BOB,))
        db.execute(
            "INSERT INTO messages (recipient, sender, body, ts) VALUES (?, ?, ?, ?)", (BOB, ALICE, b"m", NOW)
        )
    with closing(sqlite3.connect(path)) as db:
        assert "expires_at" not in [row[1] for row in db.execute("PRAGMA table_info(messages)")]
    store = SqliteServerStore(path)
    try:
        assert version_of(path) == str(server_schema.VERSION)
        far = NOW + 10 * 365 * 24 * 3600 * 1000
        assert [m.body for m in store.fetch(BOB, 0, 10, far)[0]] == [b"m"]  # kept until acknowledged
        assert store.sweep_expired(far, 100) == 0
        store.enqueue(ALICE, "c1", BOB, b"n", NOW, 100, expires_at=NOW + 1000)
        assert [m.body for m in store.fetch(BOB, 0, 10, NOW + 1000)[0]] == [b"m"]
        assert store.sweep_expired(NOW + 1000, 100) == 1
        assert store.queued_count(BOB) == 1
    finally:
        store.close()
    with closing(sqlite3.connect(path)) as db:
        partial = {row[1]: row[4] for row in db.execute("PRAGMA index_list(messages)")}
        assert partial["messages_by_expiry"] == 1  # only the messages that expire are in it


@pytest.mark.parametrize(
    "version", [str(server_schema.VERSION + 1), "99", "two", " 2", "02", "0", "\u0662", None]
)
def test_a_file_of_a_newer_or_unreadable_version_is_refused(tmp_path: Path, version: str | None) -> None:
    path = tmp_path / "s.sqlite3"
    SqliteServerStore(path).close()
    with closing(sqlite3.connect(path)) as db, db:
        if version is None:
            db.execute("DELETE FROM meta")
        else:
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    with pytest.raises(SchemaMismatch, match=f"this server reads versions up to {server_schema.VERSION}$"):
        SqliteServerStore(path)
    with closing(sqlite3.connect(path)) as db:  # refused, and left as it was
        assert db.execute("SELECT value FROM meta").fetchall() == ([] if version is None else [(version,)])


def wal_pages(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    wal = path.with_name(path.name + "-wal")
    return (wal.stat().st_size - 32) // (24 + page_size) if wal.exists() else 0


def test_a_commit_of_many_sends_from_many_people_writes_few_pages(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = SqliteServerStore(path)
    people = [f"+4420794{n:05d}" for n in range(100)]
    wide_key = {"key": "k" * 2000}  # public keys make an account row a page or more, as real ones do
    for phone in people:
        token = phone.encode().ljust(32, b"t")
        store.put_code(token, phone, "x@example.org", b"h" * 32, NOW, NOW + 600_000, 5, 10)
        keys = AccountKeys(wide_key, wide_key, wide_key, [], [])
        result = store.finish_registration(token, phone, b"h" * 32, NOW, keys, keep_lock=False)
        assert result.outcome is CodeCheck.ACCEPTED
    random = counting_random()

    def one_turn(now: int) -> int:
        before = wal_pages(path)
        with store.group_commit():
            for n, sender in enumerate(people):
                store.enqueue(sender, time_ordered_id("m-", now, random), people[n ^ 1], b"c" * 300, now, 100)
        return wal_pages(path) - before

    for turn in range(20):  # enough client ids that a sender-first index would span many pages
        one_turn(NOW + turn)
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = one_turn(NOW + 20)
    store.close()
    # 39 pages now (bodies and the per-recipient index take 25 of them); version 1 wrote 165 for the
    # same commit, 100 of them account rows rewritten for their queue counts, 33 of its sender-first index.
    assert pages <= 50, pages


def make_version_7(path: Path) -> None:
    """A file as the version 7 server left it: Alice and Bob, Bob with prekeys and two messages waiting
    (a tracked queue), a client id recorded, Alice registered after message 1."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        for version in range(1, 8):
            server_schema.STEPS[version](db)
        db.execute("INSERT INTO meta VALUES ('schema_version', '7')")
        for phone, since in ((ALICE, 1), (BOB, 0)):
            db.execute(
                "INSERT INTO accounts VALUES (?, 'x@example.org', ?, ?, ?, ?)",
                (
                    phone,
                    f'{{"sign":"{phone}"}}',
                    f'{{"id":7,"of":"{phone}"}}',
                    '{"id":9,"last_resort":true}',
                    NOW,
                ),
            )
            db.execute("INSERT INTO queues VALUES (?, 0, ?, 0, 0)", (phone, since))
            db.execute("INSERT INTO guards (phone, last_active) VALUES (?, ?)", (phone, NOW + 5))
        db.execute("INSERT INTO one_time_prekeys VALUES (?, 1, '{\"id\":1}')", (BOB,))
        db.execute('INSERT INTO kem_prekeys VALUES (?, 2, \'{"id":2,"last_resort":false}\')', (BOB,))
        for n in (1, 2):
            db.execute(
                "INSERT INTO messages (recipient, sender, body, ts, expires_at) VALUES (?, ?, ?, ?, 0)",
                (BOB, ALICE, f"m{n}".encode(), NOW),
            )
        db.execute("UPDATE queues SET queued = 2, bytes = 4, tracked = 1 WHERE phone = ?", (BOB,))
        db.execute("INSERT INTO sender_queues VALUES (?, ?, 2)", (BOB, ALICE))
        db.execute("INSERT INTO sent VALUES ('c2', ?, ?, 2, ?)", (ALICE, BOB, NOW))


def test_a_version_7_file_makes_every_account_its_device_1(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    make_version_7(path)
    store = SqliteServerStore(path)
    try:
        assert version_of(path) == str(server_schema.VERSION) == "9"
        assert store.device_ids(ALICE) == [1] and store.device_ids(BOB) == [1]
        assert store.count_login(BOB, 1, NOW) == NOW  # step 9: the device's login epoch
        login = store.device_login(BOB, 1)
        assert login is not None and (login.identity, login.login_key, login.removed) == (
            f'{{"sign":"{BOB}"}}',
            None,
            False,
        )
        waiting, _ = store.fetch(BOB, 0, 10, NOW)
        assert [(m.body, m.sender, m.sender_device) for m in waiting] == [
            (b"m1", ALICE, 1),
            (b"m2", ALICE, 1),
        ]
        assert store.queued_count(BOB) == 2 and store.prekey_counts(BOB) == (1, 1)
        bundle = store.take_device_bundle(BOB, None)
        assert (bundle.device, bundle.bundle["signed_prekey"], bundle.bundle["one_time_prekey"]) == (
            1,
            {"id": 7, "of": BOB},
            {"id": 1},
        )
        # The client id recorded after Alice registered still makes a retry a duplicate.
        assert store.enqueue(ALICE, "c2", BOB, b"again", NOW, 100).duplicate
        assert store.ack(BOB, [1, 2]) == 2 and store.queued_count(BOB) == 0
        records = store.device_records(BOB)
        assert [(r.device, r.name, r.created, r.last_seen) for r in records] == [(1, b"", NOW, NOW + 5)]
        device, devices = store.add_device(
            BOB,
            bytes(32),
            b"",
            DeviceKeys({"id": 3}, {"id": 4, "last_resort": True}, [], []),
            NOW,
            max_devices=5,
        )
        assert (device, devices) == (2, [1, 2])
    finally:
        store.close()
