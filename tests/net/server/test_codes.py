"""Registration codes and their keyed hashes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from net.server.codes import CODE_KEY_FILE, CodeHasher, check_code_key, load_or_make_code_key, make_code
from storage.server.interface import ServerStore
from storage.server.pg_store import PostgresServerStore
from storage.server.store import SqliteServerStore


def test_codes_are_six_digits_with_leading_zeros() -> None:
    assert make_code(lambda _n: 42) == "000042"
    assert all(len(c) == 6 and c.isdigit() for c in (make_code() for _ in range(50)))


def test_codes_use_the_whole_range() -> None:
    bounds: list[int] = []
    make_code(lambda n: bounds.append(n) or 0)
    assert bounds == [1_000_000]


def test_the_hash_depends_on_key_phone_and_code() -> None:
    a, b = CodeHasher(b"a" * 32), CodeHasher(b"b" * 32)
    base = a.hash("+442079460958", "123456")
    assert base == a.hash("+442079460958", "123456")
    assert base != b.hash("+442079460958", "123456")
    assert base != a.hash("+442079460959", "123456")
    assert base != a.hash("+442079460958", "123457")
    assert len(base) == 32


def test_the_key_is_made_once_private_and_kept(tmp_path: Path) -> None:
    key = load_or_make_code_key(tmp_path)
    assert stat.S_IMODE((tmp_path / CODE_KEY_FILE).stat().st_mode) == 0o600
    assert load_or_make_code_key(tmp_path) == key


def test_a_damaged_key_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / CODE_KEY_FILE).write_bytes(b"short")
    with pytest.raises(ValueError):
        load_or_make_code_key(tmp_path)


def test_the_hasher_hides_its_key() -> None:
    assert "aaaa" not in repr(CodeHasher(b"a" * 32))


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_nodes_of_one_store_must_share_the_code_key(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    first: ServerStore
    second: ServerStore
    if engine == "sqlite":
        first, second = (SqliteServerStore(tmp_path / "shared.sqlite3") for _ in range(2))
    else:
        url = request.getfixturevalue("postgres_url")
        first, second = PostgresServerStore(url), PostgresServerStore(url)
    try:
        check_code_key(first, CodeHasher(b"k" * 32))  # the first node's key is the store's
        check_code_key(second, CodeHasher(b"k" * 32))  # a node given the same file starts
        with pytest.raises(ValueError, match=f"copy their {CODE_KEY_FILE}"):
            check_code_key(second, CodeHasher(b"o" * 32))
        kept = first.shared_setting("code_key_check", "")  # what the store keeps tells nothing of the key
        assert (
            kept
            and (b"k" * 32).hex() not in kept
            and kept == CodeHasher(b"k" * 32).subkey(b"code key check").hex()
        )
    finally:
        first.close()
        second.close()
