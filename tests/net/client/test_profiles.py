"""The profile commands on real profile files: each refusal is an EngineError with words, nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE

from net.client import profiles
from net.client.core.engine_error import EngineError
from storage.profile.directory import ProfileDirectory


def code_of(call: object, *args: object) -> tuple[str, str]:
    with pytest.raises(EngineError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value.code, caught.value.message


def test_a_created_profile_is_listed_and_opens_with_its_passphrase_only(tmp_path: Path) -> None:
    directory = ProfileDirectory(tmp_path, kdf_params=FAST_KDF)
    created = profiles.create(directory, "Ada", PASSPHRASE)
    profile_id = created.profile_id
    created.close()
    assert profiles.entries(directory) == [(profile_id, "Ada")]
    code, words = code_of(profiles.unlock, directory, profile_id, "not the passphrase at all")
    assert code == "wrong_passphrase" and "not the passphrase" not in words
    assert code_of(profiles.unlock, directory, "nobody", PASSPHRASE)[0] == "unknown_profile"
    opened = profiles.unlock(directory, profile_id, PASSPHRASE)
    assert opened.name == "Ada"
    opened.close()


def test_a_weak_passphrase_or_a_bad_name_creates_nothing(tmp_path: Path) -> None:
    directory = ProfileDirectory(tmp_path, kdf_params=FAST_KDF)
    assert code_of(profiles.create, directory, "Ada", "short")[0] == "weak_passphrase"
    code, words = code_of(profiles.create, directory, "", PASSPHRASE)
    assert code == "bad_profile_name" and words.endswith(".") and words[0].isupper()
    assert profiles.entries(directory) == []


def test_changing_the_passphrase_needs_the_current_one_and_a_strong_new_one(tmp_path: Path) -> None:
    directory = ProfileDirectory(tmp_path, kdf_params=FAST_KDF)
    profile = profiles.create(directory, "Ada", PASSPHRASE)
    new = "another long passphrase for Ada"
    assert code_of(profiles.change_passphrase, profile, "wrong one entirely", new)[0] == "wrong_passphrase"
    assert code_of(profiles.change_passphrase, profile, PASSPHRASE, "short")[0] == "weak_passphrase"
    profiles.change_passphrase(profile, PASSPHRASE, new)
    profile_id = profile.profile_id
    profile.close()
    assert code_of(profiles.unlock, directory, profile_id, PASSPHRASE)[0] == "wrong_passphrase"
    profiles.unlock(directory, profile_id, new).close()
