"""The database under a profile: one SQLCipher connection, transactions, and damage noted.

Every store of the profile (keys, contacts, sessions, history, groups, outbox) goes
through a :class:`Vault`. The whole file is encrypted by SQLCipher, so rows hold
real columns; no value is sealed a second time (the reason is in
:mod:`storage.profile.schema`).

Transactions nest: the outermost is ``BEGIN IMMEDIATE`` (the write lock is
taken at once, so two writers never deadlock on an upgrade), inner ones are
savepoints, so a store method that fails inside the engine's transaction
undoes only its own part and lets the exception decide the rest.

A value that cannot be used (a row whose JSON does not parse, a key that is not
a key) is the caller's to skip when it lists many rows (one damaged message
must not hide a whole conversation): it notes the row with
:meth:`Vault.note_damage`, and the engine collects what was noted with
:meth:`Vault.take_damage` to tell the person, once per damaged value.

SQLite's failures leave a transaction as the profile's own errors
(:func:`~storage.profile.errors.from_sqlite`): a write that did not fit on the
disk is :class:`~storage.profile.errors.DiskFull`, a malformed page (or one
whose SQLCipher HMAC fails) is :class:`~storage.profile.errors.ProfileDamaged`.
:attr:`Vault.full` says whether the last write failed for lack of space; the
next commit that succeeds clears it.

A page that fails its HMAC leaves SQLCipher's connection in an error state:
from then on every page it has not cached fails too, so one damaged table
would take every other table with it. A vault given a way to ``reopen`` its
connection therefore replaces it after damage, as soon as no transaction is
open, and damage stays confined to the pages that are damaged.

Time is injectable for tests with known answers.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from storage.profile.errors import (
    DATABASE_ERRORS,
    READ_ERRORS,
    DamagedValue,
    DiskFull,
    ProfileError,
    from_sqlite,
)

Clock = Callable[[], float]
#: What a new connection to a damaged or vanished file can raise.
_OPEN_ERRORS: tuple[type[Exception], ...] = (*READ_ERRORS, ProfileError, OSError)
#: A fresh, keyed connection to the same database.
Reopen = Callable[[], sqlite3.Connection]
#: The blind index of the old format (kind, value) -> bytes, for rows an upgrade could not turn back.
LegacyIndex = Callable[[str, str], bytes]


def _no_legacy_index(kind: str, value: str) -> bytes:
    return b""


class Vault:
    """A profile's connection. Used from one thread at a time."""

    __slots__ = (
        "conn",
        "clock",
        "_depth",
        "_damaged",
        "_noted",
        "full",
        "legacy_index",
        "_reopen",
        "_stale",
        "_after_commit",
        "_on_connect",
    )

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        clock: Clock = time.time,
        legacy_index: LegacyIndex = _no_legacy_index,
        reopen: Reopen | None = None,
    ) -> None:
        self.conn = conn
        self._reopen = reopen
        #: The connection met a damaged page and is replaced once no transaction is open.
        self._stale = False
        self.clock = clock
        self.legacy_index = legacy_index
        self._depth = 0
        self._damaged: list[str] = []
        self._noted: set[str] = set()
        #: The last write failed because the disk is full (cleared by the next successful commit).
        self.full = False
        #: Work that may happen only once the transaction it belongs to committed (see :meth:`after_commit`).
        self._after_commit: list[Callable[[], None]] = []
        #: What each new connection needs set up (temporary triggers and functions), see :meth:`on_connect`.
        self._on_connect: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ damage

    def note_damage(self, slot: str, what: str) -> None:
        """A value in ``slot`` could not be used and was skipped; ``what`` names its kind for a person."""
        if slot not in self._noted:
            self._noted.add(slot)
            self._damaged.append(what)

    def take_damage(self) -> list[str]:
        """The kinds of the values found damaged since the last call, each damaged value once."""
        found, self._damaged = self._damaged, []
        return found

    # ------------------------------------------------------------------ values

    @staticmethod
    def dump_json(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def load_json(text: object, *, what: str) -> Any:
        """Parse a stored JSON column; :class:`DamagedValue` naming ``what`` when it does not parse."""
        if not isinstance(text, str):
            raise DamagedValue(what)
        try:
            return json.loads(text)
        except ValueError:
            raise DamagedValue(what) from None

    def now_ms(self) -> int:
        return round(self.clock() * 1000)

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def guarded(self) -> Iterator[None]:
        """SQLite's failures inside the block leave it as DiskFull or ProfileDamaged (others unchanged)."""
        try:
            yield
        except READ_ERRORS as exc:
            mapped = from_sqlite(exc)
            if mapped is None:
                raise
            if isinstance(mapped, DiskFull):
                self.full = True
            else:
                self._stale = self._reopen is not None
            raise mapped from None
        finally:
            if self._stale and not self.conn.in_transaction:
                self._renew()

    def _renew(self) -> None:
        """Replace a connection that met a damaged page; keep it if a new one does not open either."""
        assert self._reopen is not None
        try:
            fresh = self._reopen()
        except _OPEN_ERRORS:
            return  # the damage is where every connection starts (page 1): the old one is as good
        self._stale = False
        with contextlib.suppress(*DATABASE_ERRORS):
            self.conn.close()
        self.conn = fresh
        for setup in self._on_connect:
            with contextlib.suppress(*DATABASE_ERRORS):
                setup()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: commit when the block ends, roll back everything when it raises."""
        if self.conn.in_transaction:
            with self.guarded():
                yield from self._savepoint()
            return
        with self.guarded():
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 0
            try:
                yield
                self.conn.execute("COMMIT")
            except BaseException:
                # Also when COMMIT itself failed (busy, disk full): never leave a transaction half open.
                self._after_commit.clear()
                if self.conn.in_transaction:
                    with contextlib.suppress(*DATABASE_ERRORS):
                        self.conn.execute("ROLLBACK")
                raise
        self.full = False
        self._run_after_commit()

    def on_connect(self, setup: Callable[[], None]) -> None:
        """Run ``setup`` now and on every connection that replaces this one (it sets up the connection)."""
        self._on_connect.append(setup)
        setup()

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once the current transaction commits (at once outside one); never if it rolls back.

        Removing a file that a deleted row named waits for the commit: a delete rolled back keeps its file.
        """
        if not self.conn.in_transaction:
            action()
            return
        self._after_commit.append(action)

    def _run_after_commit(self) -> None:
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action()

    def checkpoint_after_commit(self) -> None:
        """Empty the write-ahead log into the database once the current transaction commits (once,
        however often asked): a deleted text's old pages then stay in no file (see :meth:`checkpoint`)."""
        if self._checkpoint not in self._after_commit:
            self.after_commit(self._checkpoint)

    def checkpoint(self) -> None:
        """Write the log into the database and truncate it, best effort.

        ``secure_delete`` zeroes what a delete frees, but the log keeps the pages as they were before,
        until a checkpoint copies the new ones over them and the truncation drops the old frames.
        While another connection reads the log (a backup's copy), or the disk refuses, SQLite keeps
        it for a later checkpoint (closing the profile makes one too).
        """
        self._checkpoint()

    def _checkpoint(self) -> None:
        if self.conn.in_transaction:
            return
        with contextlib.suppress(*DATABASE_ERRORS):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def _savepoint(self) -> Iterator[None]:
        self._depth += 1
        name = f"nested_{self._depth}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            # SQLite itself rolls the whole transaction back after some failures (a full disk among them).
            if self.conn.in_transaction:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
            raise
        finally:
            self._depth -= 1
        self.conn.execute(f"RELEASE {name}")

    def __repr__(self) -> str:
        return "Vault(<encrypted>)"
