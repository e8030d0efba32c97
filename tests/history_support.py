"""Shared by the history's tests: profiles on real encrypted files, filling a conversation, damaging rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import profile_raw as raw
import pytest

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ALICE = "+15550001111"
BOB = "+447700900123"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Profile]:
    """One profile for every example of a property test (a fresh one each would cost a profile each)."""
    profile = ProfileDirectory(tmp_path_factory.mktemp("shared"), kdf_params=FAST).create("Me", "pw")
    yield profile
    profile.close()


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    profile = ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw")
    yield profile
    profile.close()


def fill(profile: Profile, contact: str, count: int, *, start: float = 1000.0) -> None:
    """``count`` messages "message number i", alternately outgoing and incoming, one second apart."""
    with profile.transaction():
        for i in range(count):
            profile.history.add(
                contact,
                client_id=f"c{i}",
                outgoing=i % 2 == 0,
                text=f"message number {i}",
                timestamp=start + i,
            )


def damage(profile: Profile, where: str) -> None:
    """Make the metadata of the rows ``where`` selects unreadable, behind the profile's back."""
    raw.execute(profile.folder, "pw", f"UPDATE messages SET meta = 'not json' WHERE {where}")
