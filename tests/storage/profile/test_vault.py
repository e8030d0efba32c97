"""The profile's connection: stored JSON checked, damage reported by kind, nested transactions, full disk,
and a connection renewed after SQLCipher met a damaged page."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import damage_support as damage
import pytest
import sqlcipher3.dbapi2 as sqlcipher  # type: ignore[import-untyped]

from crypto_core.errors import DecryptionError
from storage.profile import database
from storage.profile.errors import DamagedValue, DiskFull, ProfileDamaged, ProfileError
from storage.profile.vault import Vault


@pytest.fixture
def vault() -> Iterator[Vault]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (name TEXT PRIMARY KEY)")
    yield Vault(conn, clock=lambda: 12.3456)
    conn.close()


def _names(vault: Vault) -> list[str]:
    return [row[0] for row in vault.conn.execute("SELECT name FROM t ORDER BY name")]


def test_json_that_does_not_parse_is_damage_named_by_kind() -> None:
    assert Vault.load_json(Vault.dump_json({"k": [1, "é"]}), what="record") == {"k": [1, "é"]}
    for stored in ("{not json", b"{}", None, 7):
        with pytest.raises(DamagedValue, match="record") as caught:
            Vault.load_json(stored, what="record")
        assert isinstance(caught.value, DecryptionError) and isinstance(caught.value, ProfileError)
        assert "not json" not in str(caught.value)


def test_time_in_milliseconds(vault: Vault) -> None:
    assert vault.now_ms() == 12346


def test_a_transaction_commits_or_rolls_back_as_a_whole(vault: Vault) -> None:
    with vault.transaction():
        vault.conn.execute("INSERT INTO t VALUES ('a')")
    with pytest.raises(KeyError), vault.transaction():
        vault.conn.execute("INSERT INTO t VALUES ('b')")
        raise KeyError("boom")
    assert _names(vault) == ["a"]
    assert not vault.conn.in_transaction


def test_nested_transactions_are_savepoints(vault: Vault) -> None:
    with vault.transaction():
        vault.conn.execute("INSERT INTO t VALUES ('outer')")
        with vault.transaction():
            vault.conn.execute("INSERT INTO t VALUES ('kept')")
        with pytest.raises(ValueError), vault.transaction():
            vault.conn.execute("INSERT INTO t VALUES ('undone')")
            with vault.transaction():
                vault.conn.execute("INSERT INTO t VALUES ('undone too')")
            raise ValueError
        assert vault.conn.in_transaction
    assert _names(vault) == ["kept", "outer"]


def test_the_repr_shows_nothing_of_the_connection(vault: Vault) -> None:
    assert repr(vault) == "Vault(<encrypted>)"


def test_a_failed_commit_rolls_back_and_leaves_no_transaction_open(vault: Vault) -> None:
    vault.conn.execute("PRAGMA foreign_keys = ON")
    vault.conn.execute("CREATE TABLE child (parent TEXT REFERENCES t (name) DEFERRABLE INITIALLY DEFERRED)")
    with pytest.raises(sqlite3.IntegrityError), vault.transaction():
        vault.conn.execute("INSERT INTO t VALUES ('a')")
        vault.conn.execute("INSERT INTO child VALUES ('missing')")  # checked only at COMMIT
    assert not vault.conn.in_transaction
    assert _names(vault) == []
    with vault.transaction():
        vault.conn.execute("INSERT INTO t VALUES ('b')")
    assert _names(vault) == ["b"]


def test_a_full_disk_rolls_back_whole_is_disk_full_and_clears_with_the_next_commit(tmp_path) -> None:
    conn = sqlite3.connect(tmp_path / "small.sqlite", isolation_level=None)
    conn.execute("CREATE TABLE t (name TEXT PRIMARY KEY)")
    vault = Vault(conn)
    try:
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages + 1}").fetchall()
        with pytest.raises(DiskFull), vault.transaction():
            conn.execute("INSERT INTO t VALUES ('kept out')")
            with vault.transaction():  # SQLite itself ends the whole transaction here
                conn.executemany("INSERT INTO t VALUES (?)", [(f"{n:04}" + "x" * 500,) for n in range(200)])
        assert vault.full and not conn.in_transaction
        assert _names(vault) == []
        conn.execute("PRAGMA max_page_count = 1000000").fetchall()
        with vault.transaction():
            conn.execute("INSERT INTO t VALUES ('fits')")
        assert not vault.full and _names(vault) == ["fits"]
    finally:
        conn.close()


def _two_tables_one_damaged(tmp_path) -> tuple[Path, bytes]:
    """A keyed database with tables ``a`` and ``b``, closed, then ``a``'s root page overwritten."""
    path, key = tmp_path / "profile.db", bytes(range(32))
    conn = database.connect(path, key, create=True)
    try:
        conn.execute("CREATE TABLE a (name TEXT PRIMARY KEY) WITHOUT ROWID")
        conn.execute("CREATE TABLE b (name TEXT PRIMARY KEY) WITHOUT ROWID")
        conn.execute("INSERT INTO a VALUES ('in a')")
        conn.execute("INSERT INTO b VALUES ('in b')")
    finally:
        conn.close()
    damage.overwrite_table(path, "a", key)
    return path, key


def test_after_a_damaged_page_the_connection_is_renewed_so_other_tables_still_read(tmp_path) -> None:
    path, key = _two_tables_one_damaged(tmp_path)
    vault = Vault(database.connect(path, key), reopen=lambda: database.connect(path, key))
    try:
        for _ in range(2):
            with pytest.raises(ProfileDamaged), vault.guarded():
                vault.conn.execute("SELECT name FROM a").fetchall()
            assert vault.conn.execute("SELECT name FROM b").fetchall() == [("in b",)]
        with pytest.raises(ProfileDamaged), vault.transaction():  # inside a transaction: renewed after it
            vault.conn.execute("INSERT INTO b VALUES ('rolled back')")
            vault.conn.execute("SELECT name FROM a").fetchall()
        assert not vault.conn.in_transaction
        with vault.transaction():
            vault.conn.execute("INSERT INTO b VALUES ('kept')")
        assert vault.conn.execute("SELECT name FROM b ORDER BY name").fetchall() == [("in b",), ("kept",)]
    finally:
        vault.conn.close()


def test_without_renewal_sqlcipher_fails_every_page_it_had_not_read_after_one_damaged_page(tmp_path) -> None:
    """Why the vault renews its connection: SQLCipher's own behaviour, shown on the driver."""
    path, key = _two_tables_one_damaged(tmp_path)
    conn = database.connect(path, key)
    try:
        with pytest.raises(sqlcipher.DatabaseError):
            conn.execute("SELECT name FROM a").fetchall()
        with pytest.raises(sqlcipher.DatabaseError):
            conn.execute("SELECT name FROM b").fetchall()
    finally:
        conn.close()


def test_work_after_commit_runs_once_the_outermost_transaction_commits_and_never_after_a_rollback(
    vault: Vault,
) -> None:
    done: list[str] = []
    vault.after_commit(lambda: done.append("outside"))  # no transaction: at once
    assert done == ["outside"]
    with vault.transaction():
        with vault.transaction():
            vault.after_commit(lambda: done.append("inner"))
        assert done == ["outside"]  # a savepoint released is not a commit
    assert done == ["outside", "inner"]
    with pytest.raises(RuntimeError), vault.transaction():
        vault.after_commit(lambda: done.append("rolled back"))
        raise RuntimeError("no")
    with vault.transaction():
        pass
    assert done == ["outside", "inner"]


def test_a_renewed_connection_is_set_up_again(tmp_path) -> None:
    path, key = _two_tables_one_damaged(tmp_path)
    vault = Vault(database.connect(path, key), reopen=lambda: database.connect(path, key))
    setups: list[object] = []
    try:
        vault.on_connect(lambda: setups.append(vault.conn))
        first = vault.conn
        with pytest.raises(ProfileDamaged), vault.guarded():
            vault.conn.execute("SELECT name FROM a").fetchall()
        assert vault.conn is not first and setups == [first, vault.conn]
    finally:
        vault.conn.close()
