"""open_store: the SQLite file by default, PostgreSQL for a postgresql:// url, a bad url refused in words."""

from __future__ import annotations

import logging
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
        ("mysql://root:hunter2@db/x", "takes a PostgreSQL url"),
        ("postgresql://u:hunter2@127.0.0.1:5432/x?hunter2_option=1", "cannot be read"),
    ],
)
def test_a_wrong_target_is_refused_in_words(target: str, words: str) -> None:
    with pytest.raises(ValueError, match=words) as refused:
        check_target(target)
    assert target not in str(refused.value) and "hunter2" not in str(refused.value)  # it may hold a password


def test_a_password_in_the_url_is_warned_of_and_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="parley.store"):
        check_target("postgresql://parley:hunter2@127.0.0.1:5432/parley")
    assert "PGPASSFILE" in caplog.text and "hunter2" not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="parley.store"):
        check_target("postgresql://parley@127.0.0.1:5432/parley")
    assert caplog.text == ""
