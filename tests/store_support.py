"""Shared by the server store's tests: a store on a real SQLite file, test keys, and registering."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.server.store import AccountKeys, CodeCheck, Registration, SqliteServerStore

ALICE, BOB = "+442079460001", "+442079460002"
HASH, OTHER = b"h" * 32, b"x" * 32
TOKEN, STRANGER = b"t" * 32, b"s" * 32  # hashes of two requesters' tokens
NOW = 1_000_000
HOUR = 3600 * 1000


def keys(tag: str = "a", one_time: int = 2, kem: int = 2) -> AccountKeys:
    return AccountKeys(
        identity={"sign": tag},
        signed_prekey={"id": 1, "tag": tag},
        kem_last_resort={"id": 9, "last_resort": True, "tag": tag},
        one_time_prekeys=[(i, {"id": i, "tag": tag}) for i in range(1, one_time + 1)],
        kem_prekeys=[(i, {"id": i, "last_resort": False, "tag": tag}) for i in range(10, 10 + kem)],
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteServerStore]:
    s = SqliteServerStore(tmp_path / "server.sqlite3")
    yield s
    s.close()


def put(
    store: SqliteServerStore,
    phone: str,
    code_hash: bytes = HASH,
    *,
    token: bytes = TOKEN,
    expires_at: int = NOW + 600_000,
    attempts: int = 5,
    email: str = "x@example.org",
    cap: int = 10,
) -> None:
    store.put_code(token, phone, email, code_hash, NOW, expires_at, attempts, cap)


def finish(
    store: SqliteServerStore,
    phone: str,
    code_hash: bytes = HASH,
    account_keys: AccountKeys | None = None,
    *,
    token: bytes = TOKEN,
    now: int = NOW,
) -> Registration:
    return store.finish_registration(token, phone, code_hash, now, account_keys or keys(), keep_lock=False)


def register(store: SqliteServerStore, phone: str, tag: str = "a", **kwargs: int) -> None:
    put(store, phone)
    assert finish(store, phone, HASH, keys(tag, **kwargs)).outcome is CodeCheck.ACCEPTED
