"""The profile's own account and the pinned server keys."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import profile_raw as raw
import pytest

from crypto_core.sealing import KdfParams
from storage.profile.account import Account
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DamagedValue
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
PHONE = "+15550001111"
SERVER = "chat.example.org:5000"
FINGERPRINT = "SHA256:" + "ab" * 32


@pytest.fixture
def directory(tmp_path: Path) -> ProfileDirectory:
    return ProfileDirectory(tmp_path, kdf_params=FAST)


@pytest.fixture
def profile(directory: ProfileDirectory) -> Iterator[Profile]:
    profile = directory.create("Me", "pw")
    yield profile
    profile.close()


def test_a_new_profile_has_an_empty_account(profile: Profile) -> None:
    assert profile.account.get() == Account()
    assert not profile.account.get().registered


def test_the_account_survives_reopen(directory: ProfileDirectory, profile: Profile) -> None:
    account = Account(phone=PHONE, email="me@example.org", server=SERVER)
    profile.account.save(account)
    profile.account.save(dataclasses.replace(profile.account.get(), registered=True))
    profile.close()
    with directory.open(profile.profile_id, "pw") as again:
        assert again.account.get() == dataclasses.replace(account, registered=True)


def test_the_account_repr_hides_phone_and_email() -> None:
    text = repr(Account(phone=PHONE, email="me@example.org", server=SERVER, registered=True))
    assert PHONE not in text and "me@example.org" not in text


def test_server_pins_per_address(directory: ProfileDirectory, profile: Profile) -> None:
    assert profile.server_pins.get(SERVER) is None
    profile.server_pins.pin(SERVER, FINGERPRINT)
    assert profile.server_pins.get(SERVER) == FINGERPRINT
    assert profile.server_pins.get("127.0.0.1:5000") is None
    profile.server_pins.pin("127.0.0.1:5001", FINGERPRINT)  # the same key at a second address
    assert profile.server_pins.fingerprints() == [FINGERPRINT, FINGERPRINT]
    assert profile.server_pins.forget("127.0.0.1:5001")
    profile.server_pins.pin(SERVER, "SHA256:" + "cd" * 32)  # the person accepted a new key
    assert profile.server_pins.get(SERVER) == "SHA256:" + "cd" * 32
    profile.close()
    with directory.open(profile.profile_id, "pw") as again:
        assert again.server_pins.get(SERVER) == "SHA256:" + "cd" * 32
        assert again.server_pins.forget(SERVER)
        assert again.server_pins.get(SERVER) is None
        assert not again.server_pins.forget(SERVER)


def test_the_profile_picture_is_kept_removed_and_grows_the_version_with_the_name(
    directory: ProfileDirectory, profile: Profile
) -> None:
    account = profile.account
    assert account.profile_picture() == b"" and account.display_name_version() == 1
    assert account.set_profile_picture(b"\xff\xd8 a picture \xff\xd9") == 2
    assert account.profile_picture() == b"\xff\xd8 a picture \xff\xd9"
    assert account.set_display_name("Me again") == 3  # one version for the name and the picture
    assert account.profile_picture() == b"\xff\xd8 a picture \xff\xd9"
    profile.close()
    with directory.open(profile.profile_id, "pw") as again:
        assert again.account.profile_picture() == b"\xff\xd8 a picture \xff\xd9"
        assert again.account.set_profile_picture(b"") == 4
        assert again.account.profile_picture() == b""
        assert again.account.display_name() == "Me again"


def test_a_damaged_picture_record_is_damage(profile: Profile) -> None:
    raw.execute(profile.folder, "pw", "INSERT INTO records (name, value) VALUES ('profile_picture', '!!')")
    with pytest.raises(DamagedValue):
        profile.account.profile_picture()
