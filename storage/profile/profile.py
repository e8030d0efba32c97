"""The client profile: one SQLCipher database holding everything one person's app keeps.

A :class:`Profile` is opened (or created) by
:class:`~storage.profile.directory.ProfileDirectory` with a passphrase and is then a
set of small stores over one encrypted connection:

=================  ==============================================================
``account``        own phone, e-mail, server address, registration state, display name
``server_pins``    the pinned fingerprint of each server's public key
``keys``           identity key pair, signed, one-time and ML-KEM prekeys, sessions they started
``contacts``       contacts by phone: name, pinned identity, verified, key changed
``sessions``       ratchet state per device of a contact (opaque bytes from the engine), heals
``devices``        the device ids each phone (ours included) uses, and our own device id
``history``        messages of a contact's or a group's conversation: paged newest first,
                   searched (one conversation or all), edited
``groups``         groups: our standing, the folded state cached, each group's signed changes
``receipts``       our group messages' receipts per member (delivered, read, when)
``outbox``         messages waiting for the server's acknowledgement, in order (a copy per recipient)
``processed``      server message ids already stored (redeliveries are skipped)
``settings``       the profile's own choices (read receipts, typing notices, notifications)
``attachments``    pictures and files of messages, their transfers, and their sealed copies in ``files/``
``actions``        reply quotes, reactions, edits (earlier texts kept), deletions, early actions
=================  ==============================================================

The whole database, its write-ahead log included, is encrypted by SQLCipher
under a key derived from the master key; the master key is wrapped by an
Argon2id key from the passphrase in the folder's small header
(:mod:`storage.profile.header`), which also holds the label the profile is
listed by. The display name, like everything else, is inside.

:meth:`Profile.transaction` groups writes: the engine stores a decrypted
message, the session state that decrypted it and the processed server id in
one transaction, so a crash leaves all of them or none. Deleted rows are
overwritten (``secure_delete``) and the write-ahead log is emptied when the
profile closes.

A profile belongs to the thread that opened it (the engine's worker thread),
and is open in one place at a time: it holds the folder's lock until it closes.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType

from crypto_core import sealing
from crypto_core.encoding import RandomSource, default_random
from crypto_core.errors import WrongPassphrase
from crypto_core.sealing import KdfParams
from storage.profile import header
from storage.profile.account import AccountStore, ServerPins
from storage.profile.actions import ActionStore
from storage.profile.attachments import AttachmentStore
from storage.profile.contacts import ContactStore
from storage.profile.database import DATABASE_NAME, export_copy
from storage.profile.delivery import OutboxStore, ProcessedIds
from storage.profile.devices import KnownDevices
from storage.profile.errors import DATABASE_ERRORS, DamagedValue
from storage.profile.folder_lock import FolderLock
from storage.profile.group_receipts import ReceiptStore
from storage.profile.groups import GroupStore
from storage.profile.history import History
from storage.profile.keys import KeyStore
from storage.profile.sessions import SessionStore
from storage.profile.settings import SettingsStore
from storage.profile.timers import TimerStore
from storage.profile.vault import Clock, LegacyIndex, Reopen, Vault

__all__ = ["Profile", "WrongPassphrase"]


class Profile:
    """An unlocked profile. Close it (or use it as a context manager) when done."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        profile_id: str,
        folder: Path,
        label: str,
        kdf_params: KdfParams = sealing.DEFAULT_PARAMS,
        random: RandomSource = default_random,
        clock: Clock = time.time,
        legacy_index: LegacyIndex | None = None,
        reopen: Reopen | None = None,
        lock: FolderLock | None = None,
    ) -> None:
        self.profile_id = profile_id
        #: This window's hold on the folder (see :mod:`storage.profile.folder_lock`), released on close.
        self._lock = lock
        #: The profile's folder: ``header``, ``profile.db`` and its ``-wal`` and ``-shm``.
        self.folder = folder
        #: The encrypted database file.
        self.path = folder / DATABASE_NAME
        #: The name this profile is listed by on this computer (in clear, in the header).
        self.label = label
        self._kdf_params = kdf_params
        self._random = random
        if legacy_index is None:
            self._vault = vault = Vault(conn, clock=clock, reopen=reopen)
        else:
            self._vault = vault = Vault(conn, clock=clock, legacy_index=legacy_index, reopen=reopen)
        self.account = AccountStore(vault)
        self.server_pins = ServerPins(vault)
        self.keys = KeyStore(vault)
        self.contacts = ContactStore(vault)
        self.sessions = SessionStore(vault)
        #: The devices each person uses, ours included, and this profile's own device id.
        self.devices = KnownDevices(vault)
        self.history = History(vault)
        self.groups = GroupStore(vault)
        self.receipts = ReceiptStore(vault)
        #: Reply quotes, reactions, edits and deletions of messages, and actions waiting for theirs.
        self.actions = ActionStore(vault)
        self.outbox = OutboxStore(vault)
        #: Disappearing messages: each conversation's timer, and when each message disappears.
        self.timers = TimerStore(vault)
        self.processed = ProcessedIds(vault)
        self.settings = SettingsStore(vault)
        #: Pictures and files of messages, and their sealed copies in ``files/`` (swept at open).
        self.attachments = AttachmentStore(vault, folder, random)
        self.attachments.sweep()
        self._closed = False

    @property
    def name(self) -> str:
        """The person's display name, kept inside the database (the label if it cannot be read)."""
        try:
            with self.guarded():
                return self.account.display_name()
        except DamagedValue:
            return self.label

    def transaction(self) -> AbstractContextManager[None]:
        """All or nothing: ``with profile.transaction(): ...`` commits at the end, rolls back on error.

        Transactions nest (inner ones are savepoints), and every store method
        joins the transaction it is called in.
        """
        return self._vault.transaction()

    def guarded(self) -> AbstractContextManager[None]:
        """Reads and writes in the block fail as DiskFull or ProfileDamaged, never as raw SQLite errors."""
        return self._vault.guarded()

    @property
    def disk_full(self) -> bool:
        """The last write failed for lack of space, and none has succeeded since."""
        return self._vault.full

    def note_disk_full(self) -> None:
        """A write of the profile's own files (``files/``) found the disk full; the next commit clears it."""
        self._vault.full = True

    def note_damage(self, slot: str, what: str) -> None:
        """A value the caller could not use was skipped; it is reported once, with the rest (below)."""
        self._vault.note_damage(slot, what)

    def take_damage(self) -> list[str]:
        """What kinds of stored values were found damaged (and skipped) since the last call."""
        return self._vault.take_damage()

    def change_passphrase(self, old: str, new: str) -> None:
        """Rewrap the master key for ``new`` in a new header; :class:`WrongPassphrase` if ``old`` is wrong.

        Only the header is rewritten (atomically); the database and its key stay as they are.
        """
        if not new:
            raise ValueError("the new passphrase is empty")
        current = header.read(self.folder)
        master = current.unwrap(old)
        rewrapped = header.wrap(master, new, current.label, params=self._kdf_params, random=self._random)
        header.write(self.folder, rewrapped)

    def copy_to(self, path: Path, key: bytes) -> int:
        """A consistent copy of the whole database in a new file, encrypted under ``key``; its schema."""
        return export_copy(self._vault.conn, path, key)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.attachments.empty_open_folder()  # the viewer's plaintext copies go when the profile locks
        try:
            self._checkpoint()
        finally:
            try:
                self._vault.conn.close()
            finally:
                if self._lock is not None:
                    self._lock.release()

    def _checkpoint(self) -> None:
        # Best effort: while another connection reads the log, SQLite checkpoints it later instead.
        # A damaged file or a full disk may refuse the checkpoint too; closing must still close.
        with contextlib.suppress(*DATABASE_ERRORS):
            self._vault.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def __enter__(self) -> Profile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Profile(id={self.profile_id!r}, closed={self._closed})"
