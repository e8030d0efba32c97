"""open_store: the SQLite file by default, PostgreSQL for a postgresql:// url, a bad url refused in words."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.server.open_store import STORE_FILE, check_target, open_store
from storage.server.pg_store import PostgresServerStore
from storage.server.store import SqliteServerStore


def test_without_a_target_the_store_is_the_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    store = open_store(None, tmp_path, synchronous="NORMAL")
    try:
        assert isinstance(store, SqliteServerStore) and store.path == tmp_path / STORE_FILE
        assert not store.unreachable(OSError("anything"))
    finally:
        store.close()


def test_a_postgresql_url_opens_the_postgresql_store(postgres_url: str, tmp_path: Path) -> None:
    store = open_store(postgres_url, tmp_path)
    try:
        assert isinstance(store, PostgresServerStore)
        assert not (tmp_path / STORE_FILE).exists()
    finally:
        store.close()


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("mysql://db/x", "takes a PostgreSQL url"),
        ("server.sqlite3", "takes a PostgreSQL url"),
        ("postgresql:///parley", "names no host"),
        ("postgresql://127.0.0.1:5432", "names no database"),
        ("postgresql://127.0.0.1:5432/x?bogus_option=1", "cannot be read"),
    ],
)
def test_a_wrong_target_is_refused_in_words(target: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        check_target(target)
