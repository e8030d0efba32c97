"""Ratchet sessions per contact: opaque bytes, sealed, replaced in the message's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import profile_raw as raw
import pytest

from crypto_core.errors import DecryptionError
from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ALICE = "+15550001111"
BOB = "+447700900123"


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    profile = ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw")
    yield profile
    profile.close()


def test_put_get_replace_delete(profile: Profile) -> None:
    assert profile.sessions.get(ALICE) is None
    profile.sessions.put(ALICE, b"\x00state one")
    profile.sessions.put(BOB, b"bob")
    profile.sessions.put(ALICE, b"\x00state two")
    assert profile.sessions.get(ALICE) == b"\x00state two"
    assert profile.sessions.delete(ALICE)
    assert not profile.sessions.delete(ALICE)
    assert profile.sessions.get(ALICE) is None
    assert profile.sessions.get(BOB) == b"bob"


def test_heals_are_counted_per_contact_and_old_ones_forgotten(profile: Profile) -> None:
    assert profile.sessions.heals_since(ALICE, 0.0) == 0
    for at in (100.0, 200.0, 300.0):
        profile.sessions.note_heal(ALICE, at, forget_before=0.0)
    profile.sessions.note_heal(BOB, 250.0, forget_before=0.0)
    assert profile.sessions.heals_since(ALICE, 150.0) == 2
    assert profile.sessions.heals_since(ALICE, 0.0) == 3
    profile.sessions.note_heal(ALICE, 400.0, forget_before=250.0)
    assert profile.sessions.heals_since(ALICE, 0.0) == 2  # 300 and 400 are left
    assert profile.sessions.heals_since(BOB, 0.0) == 1  # another contact's are not touched


def test_a_replacement_rolled_back_keeps_the_old_state(profile: Profile) -> None:
    profile.sessions.put(ALICE, b"before")
    with pytest.raises(RuntimeError), profile.transaction():
        profile.sessions.put(ALICE, b"after")
        raise RuntimeError("the message could not be stored")
    assert profile.sessions.get(ALICE) == b"before"


def test_a_session_that_is_not_bytes_is_damage(profile: Profile) -> None:
    profile.sessions.put(ALICE, b"alice")
    profile.sessions.put(BOB, b"bob")
    raw.execute(profile.folder, "pw", "UPDATE sessions SET state = 'text' WHERE phone = ?", (ALICE,))
    with pytest.raises(DecryptionError, match="session"):
        profile.sessions.get(ALICE)
    assert profile.sessions.get(BOB) == b"bob"
