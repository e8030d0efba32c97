"""The errors of the client profile.

One base class, :class:`ProfileError`, so the engine can catch every profile
problem at once. A wrong passphrase is crypto_core's
:class:`~crypto_core.errors.WrongPassphrase`, raised unchanged. A sealed value
that does not open is :class:`DamagedValue`, which is also a
:class:`~crypto_core.errors.DecryptionError`: it names the kind of value (a
session, a message) so that a person learns what is damaged, and never its
contents, its key or its ciphertext.

SQLite's own failures (of ``sqlcipher3``, the profile's driver, and of the
standard ``sqlite3`` that reads the old format) are mapped in one place, :func:`from_sqlite`: a full disk
(``SQLITE_FULL``) is :class:`DiskFull`; a malformed file (``SQLITE_CORRUPT``,
``SQLITE_NOTADB``) or text that does not decode is :class:`ProfileDamaged`.
SQLite's message text is never copied into these errors: for a damaged file it
can hold the damaged bytes themselves.
"""

from __future__ import annotations

import sqlite3

import sqlcipher3.dbapi2 as sqlcipher  # type: ignore[import-untyped]

from crypto_core.errors import DecryptionError

#: The database errors of both drivers: the profile's SQLCipher and stdlib sqlite3 (the old format).
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.DatabaseError, sqlcipher.DatabaseError)
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError, sqlcipher.IntegrityError)
#: What a damaged file can raise from a read: the drivers' errors, and text that does not decode.
READ_ERRORS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, UnicodeDecodeError)

#: SQLite's primary result codes (the low byte of ``sqlite_errorcode``) that this module maps.
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_NOTADB = 26
#: SQLITE_IOERR_SHMSIZE: the shared-memory file of the write-ahead log could not grow (no space).
_SQLITE_IOERR_SHMSIZE = 4874


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


class ProfileDamaged(ProfileError):
    """Part of the profile file cannot be read: SQLite found it malformed (a failing disk, a cut-off copy)."""

    code = "profile_damaged"

    def __init__(self, what: str = "file") -> None:
        super().__init__(
            f"this profile {what} is damaged: Parley could not read part of it and left the file as it is"
        )
        self.what = what


class DiskFull(ProfileError):
    """A write did not fit on the disk; it was rolled back whole, so nothing half-written stays."""

    code = "disk_full"

    def __init__(self) -> None:
        super().__init__(
            "the disk that holds this profile is full: nothing new can be stored until some space is "
            "freed; what is waiting is kept and stored then"
        )


def from_sqlite(error: BaseException) -> ProfileError | None:
    """The profile's own error for an SQLite failure, or None when it is neither damage nor a full disk.

    Text that is not UTF-8 counts as damage: Python's sqlite3 raises ``UnicodeDecodeError``
    when SQLite's own error message holds such bytes, and an ``OperationalError``
    without an SQLite code when a row's text does.
    """
    if isinstance(error, UnicodeDecodeError):
        return ProfileDamaged()
    if not isinstance(error, DATABASE_ERRORS):
        return None
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(code, int):
        # Python's own "Could not decode to UTF-8 column ..." carries no SQLite code.
        return ProfileDamaged() if str(error).startswith("Could not decode") else None
    if code & 0xFF == _SQLITE_FULL or code == _SQLITE_IOERR_SHMSIZE:
        return DiskFull()
    if code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return ProfileDamaged()
    return None


class DamagedValue(ProfileDamaged, DecryptionError):
    """A sealed value does not open: the file was damaged, or a value was moved to another row."""

    code = "profile_damaged"

    def __init__(self, what: str) -> None:
        # DecryptionError's own message is deliberately bare; this one says which kind of value.
        Exception.__init__(
            self, f"the stored {what} could not be opened: the profile file is damaged or was altered"
        )
        self.what = what
