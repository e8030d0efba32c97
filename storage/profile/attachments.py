"""Pictures and files of messages: their rows (schema step 6) and their sealed copies in ``files/``.

A message that carries a file has one row of ``attachments``, removed with the message (a
foreign key with ``ON DELETE CASCADE``, so every way a message goes takes its attachment along).
The row holds the announcing ``file`` object (:attr:`Attachment.spec`: blob id, key, digest,
name, type, size, dimensions, thumbnail), the transfer's state, how many sealed bytes it moved,
and the random name of its copy in the profile folder's ``files`` folder:

* ``files/<name>.sealed``: the file sealed by :mod:`crypto_core.stream`, as uploaded or as
  downloaded and checked. The key lives only in the row, inside the encrypted database, so the
  folder holds nothing readable without the passphrase.
* ``files/<name>.part``: what a transfer has so far (ours while it is sealed, theirs while it
  downloads); renamed to ``.sealed`` only once it is whole (and, for a download, checked).
Plaintext copies made for the system's viewer (:meth:`AttachmentStore.fresh_open_folder`) are
never put in the profile folder, which must show nothing readable to whoever copies it: each
is a private folder (``mkdtemp``: a random name, this user alone) named
``parley-open-<profile id>-*`` in the session's runtime folder (``$XDG_RUNTIME_DIR``, memory on
most Linux desktops) or else the system's temporary folder. They are removed when the profile
locks and, after a crash, when it next opens.

A file goes when its row goes: a temporary trigger on this connection notes the name of every
row deleted, and the file is removed once that transaction commits (a rollback keeps both). At
open, a sweep removes files that no row names (a crash between a commit and a removal) and
``.part`` files of transfers that are over.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crypto_core.encoding import RandomSource
from storage.profile.errors import DamagedValue
from storage.profile.vault import Vault

FILES_FOLDER = "files"
OPEN_PREFIX = "parley-open-"
SEALED, PART = ".sealed", ".part"
#: States whose transfer is over: their ``.part`` is stale.
FINISHED = frozenset({"done", "cancelled"})
#: States a transfer goes on by itself in (the others wait for the person).
MOVING = frozenset({"preparing", "uploading", "waiting", "downloading"})
_COLUMNS = "a.message, a.spec, a.state, a.done, a.file, a.source, a.error"
_LOCATED = (
    f"SELECT {_COLUMNS}, m.client, m.outgoing, COALESCE(c.contact, ''), COALESCE(c.grp, ''), m.sender "  # noqa: S608 - constant names
    "FROM attachments a JOIN messages m ON m.id = a.message "
    "JOIN conversations c ON c.id = m.conversation"
)


@dataclass(frozen=True)
class Attachment:
    """One message's file as stored: the ``file`` fields, and how far its transfer is."""

    message: int
    spec: Mapping[str, Any] = field(repr=False)
    state: str
    #: Sealed bytes moved: uploaded (the server's ``received``) or downloaded.
    done: int = 0
    #: The random name of its copy under ``files/`` (without the suffix).
    file: str = ""
    source: str = field(default="", repr=False)
    error: str = ""


@dataclass(frozen=True)
class Located:
    """An attachment with the message that carries it: its client id, direction and conversation."""

    attachment: Attachment
    client_id: str
    outgoing: bool
    contact: str
    group: str
    sender: str


def attachment_of(row: tuple[Any, ...]) -> Attachment:
    """The attachment of a row of the columns above; :class:`DamagedValue` when one is not what it must be."""
    message, spec_text, state, done, name, source, error = row
    spec = Vault.load_json(spec_text, what="attachment")
    if not (isinstance(spec, dict) and isinstance(state, str) and isinstance(done, int)):
        raise DamagedValue("attachment")
    return Attachment(int(message), spec, state, done, str(name), str(source), str(error))


class AttachmentStore:
    """The attachments of the profile's messages, and the folder of their sealed copies."""

    def __init__(
        self, vault: Vault, folder: Path, random: RandomSource, *, open_root: Path | None = None
    ) -> None:
        self._vault = vault
        self._random = random
        #: ``files/`` in the profile folder.
        self.folder = folder / FILES_FOLDER
        self.folder.mkdir(mode=0o700, exist_ok=True)
        #: Where the viewer's plaintext copies go: outside the profile folder, in memory if the system has it.
        self.open_root = open_root or default_open_root()
        self._open_prefix = f"{OPEN_PREFIX}{folder.name}-"
        vault.on_connect(self._install)

    def _install(self) -> None:
        """Watch this connection's deletes (again on every connection that replaces it)."""
        conn = self._vault.conn
        if not self.present:
            return  # a database older than schema step 6 (only a migration's own tests open one)
        conn.create_function("parley_attachment_gone", 1, self._gone, deterministic=False)
        conn.execute(
            "CREATE TEMP TRIGGER IF NOT EXISTS attachments_gone AFTER DELETE ON main.attachments "
            "BEGIN SELECT parley_attachment_gone(old.file); END"
        )

    @property
    def present(self) -> bool:
        """The database has the attachments table (schema step 6)."""
        found = self._vault.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attachments'"
        ).fetchone()
        return found is not None

    # ------------------------------------------------------------------ paths

    def new_name(self) -> str:
        return self._random(16).hex()

    def sealed(self, name: str) -> Path:
        return self.folder / f"{name}{SEALED}"

    def part(self, name: str) -> Path:
        return self.folder / f"{name}{PART}"

    # ------------------------------------------------------------------ rows

    def add(
        self, message: int, spec: Mapping[str, Any], state: str, *, file: str, source: str = ""
    ) -> Attachment:
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT INTO attachments (message, spec, state, file, source) VALUES (?, ?, ?, ?, ?)",
                (message, Vault.dump_json(dict(spec)), state, file, source),
            )
        return Attachment(message, dict(spec), state, 0, file, source)

    def get(self, message: int) -> Attachment | None:
        row = self._vault.conn.execute(
            f"SELECT {_COLUMNS} FROM attachments a WHERE a.message = ?",  # noqa: S608 - constant names
            (message,),
        ).fetchone()
        return None if row is None else attachment_of(row)

    def update(
        self,
        message: int,
        *,
        state: str | None = None,
        done: int | None = None,
        error: str | None = None,
        spec: Mapping[str, Any] | None = None,
        source: str | None = None,
    ) -> None:
        changes: dict[str, Any] = {"state": state, "done": done, "error": error, "source": source}
        if spec is not None:
            changes["spec"] = Vault.dump_json(dict(spec))
        kept = {column: value for column, value in changes.items() if value is not None}
        if not kept:
            return
        assignments = ", ".join(f"{column} = ?" for column in kept)
        with self._vault.transaction():
            self._vault.conn.execute(
                f"UPDATE attachments SET {assignments} WHERE message = ?",  # noqa: S608 - constant names
                (*kept.values(), message),
            )

    def names(self) -> list[str]:
        """The random names of every row's copy under ``files/`` (none before schema step 6)."""
        if not self.present:
            return []
        rows = self._vault.conn.execute("SELECT DISTINCT file FROM attachments WHERE file != ''").fetchall()
        return sorted(str(name) for (name,) in rows)

    def find(self, client_id: str) -> Located | None:
        """The attachment of the message with this client id (the newest, should two share one)."""
        found = self._located("m.client = ?", (client_id,), limit=1)
        return found[0] if found else None

    def moving(self) -> list[Located]:
        """Every attachment whose transfer goes on by itself (not paused, failed, cancelled or done)."""
        marks = ",".join("?" * len(MOVING))
        return self._located(f"a.state IN ({marks})", tuple(sorted(MOVING)), limit=-1)

    def _located(self, condition: str, args: tuple[Any, ...], *, limit: int) -> list[Located]:
        rows = self._vault.conn.execute(
            f"{_LOCATED} WHERE {condition} ORDER BY m.ts DESC, m.id DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
        found = []
        for row in rows:
            try:
                attachment = attachment_of(row[:7])
            except DamagedValue:
                self._vault.note_damage(f"attachment:{row[0]}", "attachment")
                continue
            found.append(
                Located(attachment, str(row[7]), bool(row[8]), str(row[9]), str(row[10]), str(row[11]))
            )
        return found

    # ------------------------------------------------------------------ files

    def _gone(self, name: object) -> None:
        if isinstance(name, str) and name:
            self._vault.after_commit(lambda: self._remove_unnamed(name))

    def _remove_unnamed(self, name: str) -> None:
        named = self._vault.conn.execute(
            "SELECT 1 FROM attachments WHERE file = ? LIMIT 1", (name,)
        ).fetchone()
        if named is None:
            for path in (self.sealed(name), self.part(name)):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def sweep(self) -> int:
        """Remove files no row names, ``.part`` files of finished transfers, and the viewer's copies."""
        if not self.present:
            return 0
        states = {
            str(name): str(state)
            for name, state in self._vault.conn.execute("SELECT file, state FROM attachments").fetchall()
        }
        removed = 0
        for path in self.folder.iterdir():
            if path.is_dir():
                continue
            stem, suffix = path.stem, path.suffix
            state = states.get(stem)
            stale = state is None or suffix not in (SEALED, PART) or (suffix == PART and state in FINISHED)
            if stale:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                removed += 1
        self.empty_open_folder()
        return removed

    def empty_open_folder(self) -> None:
        """Remove the plaintext copies made for the system's viewer (only folders this user made)."""
        with contextlib.suppress(OSError):
            for place in self.open_root.glob(f"{self._open_prefix}*"):
                with contextlib.suppress(OSError):
                    info = place.lstat()
                    # Never follow a link, nor touch what another user put under our name.
                    if place.is_dir() and not place.is_symlink() and _ours(info):
                        shutil.rmtree(place, ignore_errors=True)

    def fresh_open_folder(self) -> Path:
        """A private folder for one plaintext copy (a random name, readable by this user alone)."""
        return Path(tempfile.mkdtemp(prefix=self._open_prefix, dir=self.open_root))


def _ours(info: os.stat_result) -> bool:
    """Made by this user (Windows has no owner ids here; its temporary folder is the user's own)."""
    getuid = getattr(os, "getuid", None)
    return getuid is None or info.st_uid == getuid()


def default_open_root() -> Path:
    """The session's runtime folder if the system has one that is ours, else the temporary folder."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime:
        path = Path(runtime)
        with contextlib.suppress(OSError):
            info = path.stat()
            if path.is_dir() and _ours(info) and info.st_mode & 0o077 == 0:
                return path
    return Path(tempfile.gettempdir())
