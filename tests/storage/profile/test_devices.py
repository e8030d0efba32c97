"""The devices store: each phone's device ids, ours among them, and this profile's own id."""

from __future__ import annotations

from pathlib import Path

import profile_raw as raw
import pytest

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DamagedValue

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)

ALICE = "+14155550100"


def test_a_phone_nobody_told_us_about_has_device_1_only(tmp_path: Path) -> None:
    with ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw") as profile:
        assert profile.devices.of(ALICE) == [1]
        assert profile.devices.own() == 1


def test_the_devices_of_a_phone_are_replaced_whole_and_survive_a_reopen(tmp_path: Path) -> None:
    directory = ProfileDirectory(tmp_path, kdf_params=FAST)
    with directory.create("Me", "pw") as profile:
        assert profile.devices.set_of(ALICE, [3, 1, 3])
        assert not profile.devices.set_of(ALICE, [1, 3])  # nothing new
        profile.devices.set_own(4)
        profile_id = profile.profile_id
    with directory.open(profile_id, "pw") as reopened:
        assert reopened.devices.of(ALICE) == [1, 3]
        assert reopened.devices.own() == 4
        assert reopened.devices.set_of(ALICE, [3])
        assert reopened.devices.of(ALICE) == [3]
        reopened.devices.forget(ALICE)
        assert reopened.devices.of(ALICE) == [1]


def test_bad_device_ids_are_refused_and_a_damaged_own_id_is_damage(tmp_path: Path) -> None:
    with ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw") as profile:
        with pytest.raises(ValueError, match="positive"):
            profile.devices.set_of(ALICE, [0])
        with pytest.raises(ValueError, match="at least one"):
            profile.devices.set_of(ALICE, [])
        with pytest.raises(ValueError, match="positive"):
            profile.devices.set_own(0)
        profile_id, folder = profile.profile_id, profile.folder
    raw.execute(folder, "pw", "INSERT INTO records (name, value) VALUES ('own_device', 'two')")
    with (
        ProfileDirectory(tmp_path, kdf_params=FAST).open(profile_id, "pw") as reopened,
        pytest.raises(DamagedValue),
    ):
        reopened.devices.own()


def test_a_linked_devices_login_key_is_kept_and_checked(tmp_path: Path) -> None:
    with ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw") as profile:
        assert profile.devices.login_key() is None
        profile.devices.set_login_key(bytes(range(32)))
        assert profile.devices.login_key() == bytes(range(32))
        with pytest.raises(ValueError):
            profile.devices.set_login_key(b"short")
        profile.devices.set_login_key(None)
        assert profile.devices.login_key() is None
