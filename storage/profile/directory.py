"""The folder of profiles: list them without a passphrase, create, open and delete them.

Each profile is a folder named after a random id (``<root>/<id>/``), never
after the person's name or phone, holding ``header`` (:mod:`storage.profile.header`),
the SQLCipher database ``profile.db`` and its ``-wal`` and ``-shm``, and the
empty ``lock`` file that an open profile holds an operating-system lock on
(:mod:`storage.profile.folder_lock`: one profile, one window); a folder
leaves room for the files of later versions. The root defaults to the
platform's user data directory (``platformdirs``), or is given on the command
line or to the constructor; tests always pass a temporary one.

Listing reads only the headers: each profile is listed by its *label*, the
name the person gave it on this computer (the display name is inside the
database). Opening needs the passphrase: Argon2id unwraps the master key from
the header, the database key is derived from it, and the database is brought
up to the current schema (:mod:`storage.profile.schema`). A profile of the
format before the encrypted database (``<id>.sqlite``) is listed by its old
clear name and upgraded in place on its first unlock (:mod:`storage.profile.upgrade`).

A damaged profile never hides the others: listing reads each header on its
own and names a damaged one as damaged (:data:`DAMAGED`); a database that is
damaged behind an intact header is found when it is opened, as
:class:`~storage.profile.errors.ProfileDamaged`. Neither listing nor a failed
open writes to, rewrites or deletes a profile; they do remove what an
interrupted create or upgrade left (a ``<id>.part/`` folder no upgrade is
working on, an old file beside its complete new folder).
"""

from __future__ import annotations

import os
import re
import shutil
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from crypto_core import sealing
from crypto_core.encoding import RandomSource, default_random
from crypto_core.sealing import KdfParams, Sealer
from crypto_core.stream import Progress
from storage.profile import database, header, restore, snapshot, upgrade
from storage.profile.account import get_record
from storage.profile.errors import ProfileDamaged, ProfileError, ProfileNotFound
from storage.profile.folder_lock import FolderLock
from storage.profile.legacy import directory as legacy
from storage.profile.profile import Profile
from storage.profile.schema import CURRENT, Schema, migrate
from storage.profile.vault import Clock, Vault

PART = ".part"
MAX_NAME_LENGTH = 64
_ID = re.compile(r"[0-9a-f]{16}")
#: What the list says of a Parley profile that cannot be read.
DAMAGED = (
    "This profile is damaged, so Parley cannot open it. Parley left its files as they are; "
    "a backup copy of it may still open."
)


def default_root() -> Path:
    return Path(platformdirs.user_data_dir("Parley", appauthor=False)) / "profiles"


@dataclass(frozen=True)
class ProfileInfo:
    """What a profile shows before it is unlocked.

    ``name`` is the profile's label on this computer. ``problem`` says, in words
    for a person, why a profile could not be read; ``damaged`` is set when it is a
    Parley profile that is damaged (its label is shown when it could still be read).
    ``path`` is the profile's folder (or, for one not upgraded yet, its old file).
    """

    profile_id: str
    name: str
    path: Path
    problem: str | None = None
    damaged: bool = False


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
        """Every profile in the folder, by label; an unreadable one is listed with its problem."""
        if not self.root.is_dir():
            return []
        found: dict[str, ProfileInfo] = {}
        for entry in sorted(self.root.iterdir()):
            if entry.name.endswith(PART) and _ID.fullmatch(entry.name.removesuffix(PART)):
                upgrade.clean_up(self.root, entry.name.removesuffix(PART))
            elif entry.is_dir() and _ID.fullmatch(entry.name):
                upgrade.clean_up(self.root, entry.name)
                found[entry.name] = _peek(entry.name, entry)
        for path in self.root.glob(f"*{legacy.SUFFIX}"):
            profile_id = path.name.removesuffix(legacy.SUFFIX)
            if _ID.fullmatch(profile_id) and profile_id not in found and path.is_file():
                found[profile_id] = _legacy_info(legacy._peek(profile_id, path))
        return sorted(found.values(), key=lambda info: (info.name.casefold(), info.profile_id))

    def create(self, name: str, passphrase: str, *, display_name: str | None = None) -> Profile:
        """A new, empty profile, unlocked, listed as ``name``.

        ``display_name`` (the name kept inside, for the person's own screens) defaults to ``name``.
        The profile is built in ``<id>.part/`` and appears whole, with one rename, or not at all.
        """
        name = _check_name(name)
        display = _check_name(display_name if display_name is not None else name)
        if not passphrase:
            raise ValueError("the passphrase is empty")
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        profile_id = self._random(8).hex()
        folder, part = self.root / profile_id, self.root / f"{profile_id}{PART}"
        if folder.exists() or (self.root / f"{profile_id}{legacy.SUFFIX}").exists():
            raise ProfileError("a profile with this id exists already; try again")
        shutil.rmtree(part, ignore_errors=True)
        master = self._random(header.MASTER_KEY_LEN)
        try:
            part.mkdir(mode=0o700)
            conn = database.connect(part / database.DATABASE_NAME, header.database_key(master), create=True)
            try:
                vault = Vault(conn, clock=self._clock)
                with vault.transaction():
                    migrate(vault, self._schema)
                    vault.conn.execute(
                        "INSERT INTO records (name, value) VALUES ('display_name', ?)", (display,)
                    )
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                conn.close()
            header.write(
                part, header.wrap(master, passphrase, name, params=self._kdf_params, random=self._random)
            )
            os.replace(part, folder)
            header.fsync_folder(self.root)
        except BaseException:
            shutil.rmtree(part, ignore_errors=True)
            raise
        return self._open_folder(profile_id, master, name)

    def open(self, profile_id: str, passphrase: str) -> Profile:
        """Unlock a profile; :class:`~crypto_core.errors.WrongPassphrase` leaves it as it was.

        A profile of the old format is upgraded first (once; see :mod:`storage.profile.upgrade`).
        """
        folder = self._path(profile_id)
        upgrade.clean_up(self.root, profile_id)
        if not folder.is_dir():
            old = self.root / f"{profile_id}{legacy.SUFFIX}"
            if not old.is_file():
                raise ProfileNotFound(profile_id)
            upgrade.upgrade(self.root, profile_id, passphrase, params=self._kdf_params, random=self._random)
        current = header.read(folder)
        master = current.unwrap(passphrase)
        return self._open_folder(profile_id, master, current.label)

    def restore(
        self,
        backup_path: Path,
        backup_passphrase: str,
        *,
        label: str,
        passphrase: str,
        progress: Progress | None = None,
        on_step: restore.StepHook = restore.nothing,
    ) -> str:
        """Restore a backup as a new profile listed as ``label``, locked under ``passphrase``; its id.

        Whole or not at all (see :mod:`storage.profile.restore`); the profile is not opened.
        """
        return restore.restore(
            self.root,
            backup_path,
            backup_passphrase,
            label=_check_name(label),
            passphrase=passphrase,
            params=self._kdf_params,
            schema=self._schema,
            random=self._random,
            clock=self._clock,
            progress=progress,
            on_step=on_step,
        )

    def delete(self, profile_id: str) -> None:
        """Remove the profile's folder (or old file) for good (close it first)."""
        folder = self._path(profile_id)
        old = self.root / f"{profile_id}{legacy.SUFFIX}"
        if not folder.is_dir() and not old.is_file():
            raise ProfileNotFound(profile_id)
        shutil.rmtree(folder, ignore_errors=True)
        legacy._remove(old)

    def _open_folder(self, profile_id: str, master: bytes, label: str) -> Profile:
        folder = self.root / profile_id
        lock = FolderLock.take(folder)
        try:
            snapshot.clean_up(folder)
            path, key = folder / database.DATABASE_NAME, header.database_key(master)
            conn = database.connect(path, key)
        except BaseException:
            lock.release()
            raise
        try:
            vault = Vault(conn, clock=self._clock)
            with vault.guarded():
                migrate(vault, self._schema)
                upgraded = get_record(vault, upgrade.LEGACY_ROWS) is not None
        except BaseException:
            conn.close()
            lock.release()
            raise
        return Profile(
            conn,
            profile_id=profile_id,
            folder=folder,
            label=label,
            kdf_params=self._kdf_params,
            random=self._random,
            clock=self._clock,
            legacy_index=Sealer(master).blind_index if upgraded else None,
            # A closure, not a partial: its repr must not show the key.
            reopen=lambda: database.connect(path, key),
            lock=lock,
        )

    def _path(self, profile_id: str) -> Path:
        if not isinstance(profile_id, str) or not _ID.fullmatch(profile_id):
            raise ProfileNotFound(str(profile_id))
        return self.root / profile_id

    def __repr__(self) -> str:
        return f"ProfileDirectory({str(self.root)!r})"


def _check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name).strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a profile name has 1 to {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise ValueError("a profile name cannot contain control characters")
    return name


def _peek(profile_id: str, folder: Path) -> ProfileInfo:
    """What the list shows of one profile folder; never raises, whatever is in it."""
    try:
        label = header.read(folder).label
    except ProfileDamaged:
        return ProfileInfo(profile_id, "", folder, problem=DAMAGED, damaged=True)
    except ProfileError as error:
        return ProfileInfo(profile_id, "", folder, problem=str(error))
    except OSError:
        return ProfileInfo(profile_id, "", folder, problem=f"the profile {profile_id} could not be read")
    if not (folder / database.DATABASE_NAME).is_file():
        return ProfileInfo(profile_id, label, folder, problem=DAMAGED, damaged=True)
    return ProfileInfo(profile_id, label, folder)


def _legacy_info(info: legacy.ProfileInfo) -> ProfileInfo:
    problem = DAMAGED if info.damaged else info.problem
    return ProfileInfo(info.profile_id, info.name, info.path, problem=problem, damaged=info.damaged)
