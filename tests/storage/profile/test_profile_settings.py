"""The profile's own settings: kept by name inside the encrypted profile, a damaged one reported as such."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DamagedValue
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)


@pytest.fixture
def directory(tmp_path: Path) -> ProfileDirectory:
    return ProfileDirectory(tmp_path, kdf_params=FAST)


@pytest.fixture
def profile(directory: ProfileDirectory) -> Iterator[Profile]:
    profile = directory.create("Me", "pw")
    yield profile
    profile.close()


def test_a_setting_never_set_is_none(profile: Profile) -> None:
    assert profile.settings.get("privacy") is None


def test_a_setting_survives_reopen_and_is_replaced_by_the_next(
    directory: ProfileDirectory, profile: Profile
) -> None:
    profile.settings.put("privacy", {"read_receipts": False})
    profile.settings.put("privacy", {"read_receipts": True, "typing": False})
    profile_id = profile.profile_id
    profile.close()
    with directory.open(profile_id, "pw") as again:
        assert again.settings.get("privacy") == {"read_receipts": True, "typing": False}


def test_settings_are_apart_from_the_account_records(profile: Profile) -> None:
    profile.settings.put("display_name", "not the account's")
    assert profile.account.display_name() == "Me"


def test_a_damaged_setting_is_reported_as_damaged(profile: Profile) -> None:
    with profile.transaction():
        profile._vault.conn.execute(
            "INSERT INTO records (name, value) VALUES ('setting:privacy', '{not json')"
        )
    with pytest.raises(DamagedValue):
        profile.settings.get("privacy")
