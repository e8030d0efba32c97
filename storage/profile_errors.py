"""The errors of the client profile.

One base class, :class:`ProfileError`, so the engine can catch every profile
problem at once. A wrong passphrase is crypto_core's
:class:`~crypto_core.errors.WrongPassphrase`, raised unchanged. A sealed value
that does not open is :class:`DamagedValue`, which is also a
:class:`~crypto_core.errors.DecryptionError`: it names the kind of value (a
session, a message) so that a person learns what is damaged, and never its
contents, its key or its ciphertext.
"""

from __future__ import annotations

from crypto_core.errors import DecryptionError


class ProfileError(Exception):
    """Base of every error raised by the client profile.

    Like the engine's own errors it has a stable ``code`` and a ``message`` for a
    person, so whoever shows errors can show this one without knowing the profile.
    """

    code = "profile_error"

    @property
    def message(self) -> str:
        text = str(self)
        return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


class ProfileNotFound(ProfileError):
    """No profile with that id in the profile directory."""

    def __init__(self, profile_id: str) -> None:
        super().__init__(f"no profile {profile_id!r} in this profile directory")


class NotAProfile(ProfileError):
    """The file exists but is not a Parley profile (or its header is damaged)."""


class ProfileTooNew(ProfileError):
    """The profile was written by a newer version of Parley; this one leaves it untouched."""

    def __init__(self, found: int, supported: int) -> None:
        super().__init__(
            f"this profile has schema version {found}, but this version of Parley reads up to "
            f"{supported}; update Parley to open it (the file was not changed)"
        )
        self.found = found
        self.supported = supported


class MigrationFailed(ProfileError):
    """A schema migration step failed; the profile was rolled back to the version it had."""


class DuplicateEntry(ProfileError):
    """A message or outbox entry with this client id is already stored."""


class DamagedValue(ProfileError, DecryptionError):
    """A sealed value does not open: the file was damaged, or a value was moved to another row."""

    code = "profile_damaged"

    def __init__(self, what: str) -> None:
        # DecryptionError's own message is deliberately bare; this one says which kind of value.
        Exception.__init__(
            self, f"the stored {what} could not be opened: the profile file is damaged or was altered"
        )
        self.what = what
