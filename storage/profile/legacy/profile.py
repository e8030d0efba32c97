"""The client profile: one encrypted SQLite file holding everything one person's app keeps.

A :class:`Profile` is opened (or created) by
:class:`~storage.profile.legacy.directory.ProfileDirectory` with a passphrase and is then a
set of small stores over one sealed connection:

=================  ==============================================================
``account``        own phone, e-mail, server address, registration state
``server_pins``    the pinned fingerprint of each server's public key
``keys``           identity key pair, signed, one-time and ML-KEM prekeys, sessions they started
``contacts``       contacts by phone: name, pinned identity, verified, key changed
``sessions``       ratchet state per contact (opaque bytes from the engine), times of heals
``history``        messages: paged newest first, searched, with status and unread counts
``outbox``         messages waiting for the server's acknowledgement, in order
``processed``      server message ids already stored (redeliveries are skipped)
=================  ==============================================================

Every secret value is sealed with :mod:`crypto_core.sealing` under the master
key, which is wrapped by an Argon2id key from the passphrase; what stays in
clear, and why, is listed in :mod:`storage.profile.legacy.schema`. The profile's name
is in clear so that profiles can be listed before a passphrase is typed; the
team chose to keep the phone number sealed.

:meth:`Profile.transaction` groups writes: the engine stores a decrypted
message, the session state that decrypted it and the processed server id in
one transaction, so a crash leaves all of them or none. Deleted rows are
overwritten (``secure_delete``) and the write-ahead log is emptied when the
profile closes or its passphrase changes.

A profile belongs to the thread that opened it (the engine's worker thread).
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
from crypto_core.sealing import KdfParams, Sealer
from storage.profile.legacy.account import AccountStore, ServerPins
from storage.profile.legacy.contacts import ContactStore
from storage.profile.legacy.delivery import OutboxStore, ProcessedIds
from storage.profile.legacy.history import History
from storage.profile.legacy.keys import KeyStore
from storage.profile.legacy.sessions import SessionStore
from storage.profile.legacy.vault import Clock, Vault

__all__ = ["Profile", "WrongPassphrase"]


class Profile:
    """An unlocked profile. Close it (or use it as a context manager) when done."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        sealer: Sealer,
        *,
        profile_id: str,
        name: str,
        path: Path,
        kdf_params: KdfParams = sealing.DEFAULT_PARAMS,
        random: RandomSource = default_random,
        clock: Clock = time.time,
    ) -> None:
        self.profile_id = profile_id
        self.name = name
        self.path = path
        self._sealer = sealer
        self._kdf_params = kdf_params
        self._random = random
        self._vault = vault = Vault(conn, sealer, random=random, clock=clock)
        self.account = AccountStore(vault)
        self.server_pins = ServerPins(vault)
        self.keys = KeyStore(vault)
        self.contacts = ContactStore(vault)
        self.sessions = SessionStore(vault)
        self.history = History(vault)
        self.outbox = OutboxStore(vault)
        self.processed = ProcessedIds(vault)
        self._closed = False

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

    def note_damage(self, slot: str, what: str) -> None:
        """A value the caller could not use was skipped; it is reported once, with the rest (below)."""
        self._vault.note_damage(slot, what)

    def take_damage(self) -> list[str]:
        """What kinds of stored values were found damaged (and skipped) since the last call."""
        return self._vault.take_damage()

    def change_passphrase(self, old: str, new: str) -> None:
        """Rewrap the master key for ``new``; :class:`WrongPassphrase` if ``old`` is wrong."""
        if not new:
            raise ValueError("the new passphrase is empty")
        conn = self._vault.conn
        with self.transaction():
            (wrapped,) = conn.execute("SELECT value FROM meta WHERE key = 'wrapped_key'").fetchone()
            sealing.unlock(old, wrapped)
            rewrapped = self._sealer.wrap(new, params=self._kdf_params, random=self._random)
            conn.execute("UPDATE meta SET value = ? WHERE key = 'wrapped_key'", (rewrapped,))
        # The old wrapping still sits in the write-ahead log until a checkpoint copies the new one over.
        self._checkpoint()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._checkpoint()
        finally:
            self._vault.conn.close()

    def _checkpoint(self) -> None:
        # Best effort: while another connection reads the log, SQLite checkpoints it later instead.
        # A damaged file or a full disk may refuse the checkpoint too; closing must still close.
        with contextlib.suppress(sqlite3.DatabaseError):
            self._vault.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def __enter__(self) -> Profile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Profile(id={self.profile_id!r}, closed={self._closed})"
