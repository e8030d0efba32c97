"""The profile's connection: stored JSON checked, damage reported by kind, nested transactions, full disk."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from crypto_core.errors import DecryptionError
from storage.profile.errors import DamagedValue, DiskFull, ProfileError
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
