"""The sealed connection: slot-bound sealing, damage reported by kind, nested transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from crypto_core.errors import DecryptionError
from crypto_core.sealing import Sealer
from storage.profile.errors import DamagedValue, DiskFull, ProfileError
from storage.profile.vault import Vault


@pytest.fixture
def vault() -> Iterator[Vault]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (name TEXT PRIMARY KEY)")
    yield Vault(conn, Sealer(bytes(range(32))), random=lambda n: b"\x01" * n, clock=lambda: 12.3456)
    conn.close()


def _names(vault: Vault) -> list[str]:
    return [row[0] for row in vault.conn.execute("SELECT name FROM t ORDER BY name")]


def test_a_value_opens_only_in_its_own_slot(vault: Vault) -> None:
    sealed = vault.seal("session:aa", b"state")
    assert vault.open("session:aa", sealed, what="session") == b"state"
    with pytest.raises(DamagedValue) as caught:
        vault.open("session:bb", sealed, what="session")
    assert isinstance(caught.value, DecryptionError) and isinstance(caught.value, ProfileError)
    assert caught.value.what == "session"
    assert sealed.hex() not in str(caught.value) and "state" not in str(caught.value)


def test_injected_randomness_gives_known_answers(vault: Vault) -> None:
    assert vault.seal("x", b"y") == vault.seal("x", b"y")
    assert vault.seal("x", b"y")[1:13] == b"\x01" * 12


def test_json_that_does_not_parse_is_damage(vault: Vault) -> None:
    assert vault.open_json("a", vault.seal_json("a", {"k": [1, "é"]}), what="record") == {"k": [1, "é"]}
    with pytest.raises(DamagedValue, match="record"):
        vault.open_json("a", vault.seal("a", b"{not json"), what="record")


def test_blind_indexes_differ_per_kind(vault: Vault) -> None:
    assert vault.index("contact", "+1555") == vault.index("contact", "+1555")
    assert vault.index("contact", "+1555") != vault.index("session", "+1555")


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


def test_the_repr_hides_the_sealer(vault: Vault) -> None:
    assert repr(vault) == "Vault(<sealed>)"


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
    vault = Vault(conn, Sealer(bytes(range(32))))
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
