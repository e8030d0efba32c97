"""The folder of profiles: list them without a passphrase, create, open and delete them.

Each profile is one SQLite file named after a random id (``<id>.sqlite``), never
after the person's name or phone. The folder defaults to the platform's user
data directory (``platformdirs``), or is given on the command line or to the
constructor; tests always pass a temporary one. Listing reads only the clear
``meta`` table (the profile's name); opening needs the passphrase and brings an
older file up to the current schema (:mod:`storage.profile.legacy.schema`).

A damaged file never hides the others: listing reads each file on its own and
names a damaged one as damaged (:data:`DAMAGED`). A file is recognised as a
Parley profile by its intact first 100 bytes (SQLite's header, with Parley's
``application_id``), so a copy whose end was cut off is a damaged profile, not
"not a Parley profile". Neither listing nor a failed open writes to, rewrites
or deletes a file.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from crypto_core import sealing
from crypto_core.encoding import RandomSource, default_random
from crypto_core.sealing import KdfParams
from storage.profile.errors import NotAProfile, ProfileDamaged, ProfileError, ProfileNotFound, from_sqlite
from storage.profile.legacy.profile import Profile
from storage.profile.legacy.schema import APPLICATION_ID, CURRENT, Schema, migrate
from storage.profile.legacy.vault import Clock, Vault

SUFFIX = ".sqlite"
FORMAT = "parley-profile"
MAX_NAME_LENGTH = 64
_ID = re.compile(r"[0-9a-f]{16}")
#: What the list says of a Parley profile file that cannot be read.
DAMAGED = (
    "This profile file is damaged, so Parley cannot open it. Parley left the file as it is; "
    "a backup copy of it may still open."
)
_SQLITE_MAGIC = b"SQLite format 3\x00"


def default_root() -> Path:
    return Path(platformdirs.user_data_dir("Parley", appauthor=False)) / "profiles"


@dataclass(frozen=True)
class ProfileInfo:
    """What a profile shows before it is unlocked.

    ``problem`` says, in words for a person, why a file could not be read;
    ``damaged`` is set when the file is a Parley profile that is damaged (its name
    is shown when it could still be read).
    """

    profile_id: str
    name: str
    path: Path
    problem: str | None = None
    damaged: bool = False


@dataclass(frozen=True)
class _Meta:
    profile_id: str
    name: str
    wrapped_key: bytes


class ProfileDirectory:
    def __init__(
        self,
        root: Path | None = None,
        *,
        kdf_params: KdfParams = sealing.DEFAULT_PARAMS,
        schema: Schema = CURRENT,
        random: RandomSource = default_random,
        clock: Clock = time.time,
    ) -> None:
        self.root = (root if root is not None else default_root()).resolve()
        self._kdf_params = kdf_params
        self._schema = schema
        self._random = random
        self._clock = clock

    def list(self) -> list[ProfileInfo]:
        """Every profile file in the folder, by name; an unreadable one is listed with its problem."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.glob(f"*{SUFFIX}"):
            profile_id = path.name.removesuffix(SUFFIX)
            if not _ID.fullmatch(profile_id):
                continue
            found.append(_peek(profile_id, path))
        return sorted(found, key=lambda info: (info.name.casefold(), info.profile_id))

    def create(self, name: str, passphrase: str) -> Profile:
        """A new, empty profile, unlocked."""
        name = _check_name(name)
        if not passphrase:
            raise ValueError("the passphrase is empty")
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        profile_id = self._random(8).hex()
        path = self._path(profile_id)
        try:
            # Owner-only from the first byte; SQLite gives its log files the same mode.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise ProfileError("a profile with this id exists already; try again") from None
        try:
            conn = _connect(path)
        except BaseException:
            _remove(path)
            raise
        try:
            sealer, wrapped = sealing.create(passphrase, params=self._kdf_params, random=self._random)
            vault = Vault(conn, sealer, random=self._random, clock=self._clock)
            with vault.guarded():  # a full disk is DiskFull here too, from the first page written
                conn.execute("PRAGMA journal_mode = WAL")
            with vault.transaction():
                migrate(vault, self._schema)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("format", FORMAT),
                        ("profile_id", profile_id),
                        ("name", name),
                        ("wrapped_key", wrapped),
                        ("created_at", vault.now_ms()),
                    ],
                )
        except BaseException:
            conn.close()
            _remove(path)
            raise
        return self._profile(conn, sealer, _Meta(profile_id, name, wrapped), path)

    def open(self, profile_id: str, passphrase: str) -> Profile:
        """Unlock a profile; :class:`~crypto_core.errors.WrongPassphrase` leaves the file as it was."""
        path = self._existing(profile_id)
        conn = _connect(path)
        try:
            meta = _read_meta(conn, path)
            sealer = sealing.unlock(passphrase, meta.wrapped_key)
            vault = Vault(conn, sealer, random=self._random, clock=self._clock)
            with vault.guarded():
                migrate(vault, self._schema)
        except BaseException:
            conn.close()
            raise
        return self._profile(conn, sealer, meta, path)

    def delete(self, profile_id: str) -> None:
        """Remove the profile's file for good (close it first)."""
        _remove(self._existing(profile_id))

    def _profile(self, conn: sqlite3.Connection, sealer: sealing.Sealer, meta: _Meta, path: Path) -> Profile:
        return Profile(
            conn,
            sealer,
            profile_id=meta.profile_id,
            name=meta.name,
            path=path,
            kdf_params=self._kdf_params,
            random=self._random,
            clock=self._clock,
        )

    def _path(self, profile_id: str) -> Path:
        if not isinstance(profile_id, str) or not _ID.fullmatch(profile_id):
            raise ProfileNotFound(str(profile_id))
        return self.root / f"{profile_id}{SUFFIX}"

    def _existing(self, profile_id: str) -> Path:
        path = self._path(profile_id)
        if not path.is_file():
            raise ProfileNotFound(profile_id)
        return path

    def __repr__(self) -> str:
        return f"ProfileDirectory({str(self.root)!r})"


def _check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name).strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a profile name has 1 to {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise ValueError("a profile name cannot contain control characters")
    return name


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        # Deleted keys and messages are overwritten, not merely unlinked (forward secrecy at rest).
        conn.execute("PRAGMA secure_delete = ON")
        # Sorts and temporary tables stay in memory, never in a temporary file.
        conn.execute("PRAGMA temp_store = MEMORY")
        # A message is acknowledged to the server only after it is stored: commit means on disk.
        conn.execute("PRAGMA synchronous = FULL")
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        conn.close()
        if isinstance(from_sqlite(exc), ProfileDamaged) and _has_profile_header(path):
            raise ProfileDamaged() from None
        raise NotAProfile(f"{path.name} is not a Parley profile, or its header is damaged") from None
    return conn


def _read_meta(conn: sqlite3.Connection, path: Path) -> _Meta:
    """The clear meta rows; ProfileDamaged when SQLite finds the file malformed."""
    try:
        (app_id,) = conn.execute("PRAGMA application_id").fetchone()
        meta = (
            dict(conn.execute("SELECT key, value FROM meta").fetchall()) if app_id == APPLICATION_ID else {}
        )
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        if isinstance(from_sqlite(exc), ProfileDamaged) and _has_profile_header(path):
            raise ProfileDamaged() from None
        meta = {}
    name, profile_id, wrapped = meta.get("name"), meta.get("profile_id"), meta.get("wrapped_key")
    if (
        meta.get("format") != FORMAT
        or not isinstance(name, str)
        or not isinstance(wrapped, bytes)
        or profile_id != path.name.removesuffix(SUFFIX)
    ):
        raise NotAProfile(f"{path.name} is not a Parley profile, or its header is damaged")
    return _Meta(profile_id, name, wrapped)


def _peek(profile_id: str, path: Path) -> ProfileInfo:
    """What the list shows of one file; never raises for a file, whatever is in it."""
    try:
        return ProfileInfo(profile_id, _peek_name(path), path)
    except ProfileDamaged:
        return ProfileInfo(profile_id, _salvage_name(path), path, problem=DAMAGED, damaged=True)
    except ProfileError as error:
        return ProfileInfo(profile_id, "", path, problem=str(error))
    except (sqlite3.Error, UnicodeDecodeError, OSError):
        # SQLite's message is not shown: for a damaged file it can hold the damaged bytes.
        if _has_profile_header(path):
            return ProfileInfo(profile_id, _salvage_name(path), path, problem=DAMAGED, damaged=True)
        return ProfileInfo(profile_id, "", path, problem=f"{path.name} could not be read")


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=10.0)


def _peek_name(path: Path) -> str:
    """The name, read through a read-only connection so that listing never writes."""
    conn = _read_only(path)
    try:
        return _read_meta(conn, path).name
    finally:
        conn.close()


def _salvage_name(path: Path) -> str:
    """The name of a damaged profile if its meta table can still be read, else ""; read-only."""
    try:
        conn = _read_only(path)
    except sqlite3.Error:
        return ""
    try:
        # SQLite refuses a file shorter than its header says unless the schema is "writable"; the
        # connection is read-only, so nothing can be written through it either way.
        conn.execute("PRAGMA writable_schema = ON")
        name = dict(conn.execute("SELECT key, value FROM meta").fetchall()).get("name")
        return name if isinstance(name, str) else ""
    except (sqlite3.Error, UnicodeDecodeError):
        return ""
    finally:
        conn.close()


def _has_profile_header(path: Path) -> bool:
    """SQLite's magic string and Parley's application_id in the first 100 bytes: a Parley profile file."""
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError:
        return False
    return (
        len(header) == 100
        and header.startswith(_SQLITE_MAGIC)
        and int.from_bytes(header[68:72], "big") == APPLICATION_ID
    )


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
