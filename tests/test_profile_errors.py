"""The profile's errors: one base, clear messages, and damage that is also a DecryptionError."""

from __future__ import annotations

import pytest

from crypto_core.errors import CryptoError, DecryptionError
from storage.profile_errors import (
    DamagedValue,
    DuplicateEntry,
    MigrationFailed,
    NotAProfile,
    ProfileError,
    ProfileNotFound,
    ProfileTooNew,
)


@pytest.mark.parametrize("kind", [DuplicateEntry, MigrationFailed, NotAProfile])
def test_every_error_is_a_profile_error(kind: type[ProfileError]) -> None:
    assert issubclass(kind, ProfileError)


def test_damage_is_caught_as_a_decryption_error_and_names_only_the_kind() -> None:
    error = DamagedValue("session")
    assert (
        isinstance(error, ProfileError)
        and isinstance(error, DecryptionError)
        and isinstance(error, CryptoError)
    )
    assert str(error) == "the stored session could not be opened: the profile file is damaged or was altered"
    assert error.what == "session"
    assert error.code == "profile_damaged"  # and words a person can read, as the engine's errors have
    assert error.message == (
        "The stored session could not be opened: the profile file is damaged or was altered."
    )
    assert ProfileNotFound("0123").code == "profile_error"


def test_not_found_and_too_new_say_what_to_do() -> None:
    assert "0123" in str(ProfileNotFound("0123"))
    too_new = ProfileTooNew(3, 2)
    assert (too_new.found, too_new.supported) == (3, 2)
    assert "update Parley" in str(too_new) and "not changed" in str(too_new)
