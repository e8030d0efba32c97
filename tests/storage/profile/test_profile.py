"""The profile as a whole: transactions, change of passphrase, nothing readable at rest, damage reported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3.dbapi2 as sqlcipher  # type: ignore[import-untyped]

from crypto_core.encoding import RandomSource
from crypto_core.errors import WrongPassphrase
from crypto_core.sealing import KdfParams
from storage.profile import header
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ALICE = "+15550001111"
BOB = "+447700900123"
PASS = "correct horse battery staple"


@pytest.fixture
def directory(tmp_path: Path) -> ProfileDirectory:
    return ProfileDirectory(tmp_path, kdf_params=FAST)


@pytest.fixture
def profile(directory: ProfileDirectory) -> Iterator[Profile]:
    profile = directory.create("Me", PASS)
    yield profile
    profile.close()


def _counter_random(start: int) -> RandomSource:
    state = {"n": start}

    def random(n: int) -> bytes:
        out = bytes((state["n"] + i) % 256 for i in range(n))
        state["n"] += 7
        return out

    return random


# --------------------------------------------------------------------------- transactions


def test_a_transaction_commits_message_session_and_processed_id_together(profile: Profile) -> None:
    with profile.transaction():
        profile.sessions.put(ALICE, b"ratchet state 2")
        profile.history.add(ALICE, client_id="m1", outgoing=False, text="hi", timestamp=10.0)
        profile.processed.remember("server-1")
    assert profile.sessions.get(ALICE) == b"ratchet state 2"
    assert profile.history.count(ALICE) == 1
    assert profile.processed.seen("server-1")


def test_a_transaction_rolls_everything_back_on_an_exception(profile: Profile) -> None:
    profile.sessions.put(ALICE, b"ratchet state 1")
    with pytest.raises(RuntimeError, match="crash"), profile.transaction():
        profile.sessions.put(ALICE, b"ratchet state 2")
        profile.sessions.put(BOB, b"bob state")
        profile.history.add(ALICE, client_id="m1", outgoing=False, text="hi", timestamp=10.0)
        profile.processed.remember("server-1")
        raise RuntimeError("crash between storing and committing")
    assert profile.sessions.get(ALICE) == b"ratchet state 1"
    assert profile.sessions.get(BOB) is None
    assert profile.history.count(ALICE) == 0
    assert profile.history.conversations() == []
    assert not profile.processed.seen("server-1")


def test_an_inner_failure_caught_by_the_caller_undoes_only_its_own_part(profile: Profile) -> None:
    with profile.transaction():
        profile.sessions.put(ALICE, b"kept")
        try:
            with profile.transaction():
                profile.sessions.put(BOB, b"undone")
                raise ValueError("inner")
        except ValueError:
            pass
    assert profile.sessions.get(ALICE) == b"kept"
    assert profile.sessions.get(BOB) is None


def test_work_committed_survives_close_and_reopen(directory: ProfileDirectory, profile: Profile) -> None:
    with profile.transaction():
        profile.sessions.put(ALICE, b"state")
        profile.history.add(ALICE, client_id="m1", outgoing=True, text="hello", timestamp=1.0)
    profile.close()
    with directory.open(profile.profile_id, PASS) as again:
        assert again.sessions.get(ALICE) == b"state"
        assert [m.text for m in again.history.page(ALICE).messages] == ["hello"]


# --------------------------------------------------------------------------- passphrase


def test_change_of_passphrase(directory: ProfileDirectory, profile: Profile) -> None:
    profile.sessions.put(ALICE, b"state")
    profile.change_passphrase(PASS, "a new passphrase")
    profile.close()
    with pytest.raises(WrongPassphrase):
        directory.open(profile.profile_id, PASS)
    with directory.open(profile.profile_id, "a new passphrase") as again:
        assert again.sessions.get(ALICE) == b"state"


def test_change_of_passphrase_needs_the_old_one_and_changes_nothing_without_it(
    directory: ProfileDirectory, profile: Profile
) -> None:
    with pytest.raises(WrongPassphrase):
        profile.change_passphrase("guess", "a new passphrase")
    with pytest.raises(ValueError, match="empty"):
        profile.change_passphrase(PASS, "")
    profile.close()
    directory.open(profile.profile_id, PASS).close()


def test_a_change_rewrites_only_the_header_and_the_old_wrapping_is_gone(profile: Profile) -> None:
    profile.sessions.put(ALICE, b"state")
    profile._vault.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    old = header.read(profile.folder).wrapped_key
    database_before = profile.path.read_bytes()
    profile.change_passphrase(PASS, "a new passphrase")
    assert header.read(profile.folder).wrapped_key != old
    assert profile.path.read_bytes() == database_before  # the database and its key stay as they are
    names = sorted(p.name for p in profile.folder.iterdir())
    assert names == ["files", "header", "lock", "profile.db", "profile.db-shm", "profile.db-wal"]
    for path in (p for p in profile.folder.iterdir() if p.is_file()):
        assert old not in path.read_bytes()
    assert profile.sessions.get(ALICE) == b"state"  # the open connection goes on


def test_a_wrong_old_passphrase_leaves_the_header_byte_for_byte(profile: Profile) -> None:
    before = (profile.folder / "header").read_bytes()
    with pytest.raises(WrongPassphrase):
        profile.change_passphrase("guess", "a new passphrase")
    assert (profile.folder / "header").read_bytes() == before


# --------------------------------------------------------------------------- closing


def test_close_is_idempotent_and_the_repr_shows_no_secret(profile: Profile) -> None:
    assert PASS not in repr(profile)
    assert "Me" not in repr(profile)
    profile.close()
    profile.close()
    assert profile.closed
    with pytest.raises(sqlcipher.ProgrammingError):
        profile.sessions.get(ALICE)
