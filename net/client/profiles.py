"""The Messenger's profile commands: list the folder, create a profile, unlock one, change its passphrase.

Each turns what the profile store says (a wrong passphrase, a damaged file, a
full disk, a name it refuses) into an :class:`~net.client.core.engine_error.EngineError`
with words for a person; nothing of SQLite's own message reaches them.
"""

from __future__ import annotations

import errno

from crypto_core.errors import WrongPassphrase
from net.client.core.engine_error import EngineError
from net.client.core.events import ProfileEntry
from net.protocol.validation import ValidationError, validate_passphrase
from storage.profile import folder_lock
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DiskFull, ProfileError, ProfileNotFound
from storage.profile.profile import Profile

_NO_ROOM_FOR_A_PROFILE = (
    "The disk is full, so there is no room for a new profile. Free some space and try again."
)


def entries(directory: ProfileDirectory) -> list[ProfileEntry]:
    """Every profile file in the folder; one that cannot be opened says why (``problem``), in words."""
    return [
        ProfileEntry(info.profile_id, info.name, info.problem or "", folder_lock.in_use(info.path))
        for info in directory.list()
    ]


def checked_passphrase(passphrase: str) -> None:
    try:
        validate_passphrase(passphrase)
    except ValidationError as exc:
        raise EngineError("weak_passphrase", str(exc)) from None


def create(
    directory: ProfileDirectory, name: str, passphrase: str, *, display_name: str | None = None
) -> Profile:
    checked_passphrase(passphrase)
    try:
        return directory.create(name, passphrase, display_name=display_name)
    except ValueError as exc:
        raise EngineError("bad_profile_name", f"{str(exc).capitalize()}.") from None
    except DiskFull:
        raise EngineError("disk_full", _NO_ROOM_FOR_A_PROFILE) from None
    except ProfileError as exc:
        raise EngineError(exc.code, f"The profile could not be created: {exc.message}") from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise EngineError("disk_full", _NO_ROOM_FOR_A_PROFILE) from None
        raise EngineError("profile_error", f"The profile could not be created: {exc}") from None


def unlock(directory: ProfileDirectory, profile_id: str, passphrase: str) -> Profile:
    try:
        return directory.open(profile_id, passphrase)
    except WrongPassphrase:
        raise EngineError(
            "wrong_passphrase", "That passphrase does not open this profile. Check it and try again."
        ) from None
    except ProfileNotFound:
        raise EngineError("unknown_profile", "There is no such profile in this folder.") from None
    except ProfileError as exc:
        raise EngineError(exc.code, exc.message) from None


def change_passphrase(profile: Profile, old: str, new: str) -> None:
    checked_passphrase(new)
    try:
        profile.change_passphrase(old, new)
    except WrongPassphrase:
        raise EngineError(
            "wrong_passphrase", "The current passphrase is not right; nothing changed."
        ) from None
