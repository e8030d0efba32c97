"""The sealed database under a profile: one SQLite connection, the sealer, and transactions.

Every store of the profile (keys, contacts, sessions, history, outbox) goes
through a :class:`Vault`. It seals each value for a named *slot* (a string that
says which row and column the value belongs to, such as ``"session:<index>"``
or ``"message:<row id>:..."``), so a value copied into another row does not
open there and is reported as :class:`~storage.profile.errors.DamagedValue`.

Transactions nest: the outermost is ``BEGIN IMMEDIATE`` (the write lock is
taken at once, so two writers never deadlock on an upgrade), inner ones are
savepoints, so a store method that fails inside the engine's transaction
undoes only its own part and lets the exception decide the rest.

A value that does not open is the caller's to skip when it lists many rows
(one damaged message must not hide a whole conversation): it notes the slot with
:meth:`Vault.note_damage`, and the engine collects what was noted with
:meth:`Vault.take_damage` to tell the person, once per damaged value.

SQLite's failures leave a transaction as the profile's own errors
(:func:`~storage.profile.errors.from_sqlite`): a write that did not fit on the
disk is :class:`~storage.profile.errors.DiskFull`, a malformed page is
:class:`~storage.profile.errors.ProfileDamaged`. :attr:`Vault.full` says whether
the last write failed for lack of space; the next commit that succeeds clears it.

Time and randomness are injectable, as in Fernet, for tests with known answers.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from crypto_core.encoding import RandomSource, default_random
from crypto_core.errors import DecryptionError
from crypto_core.sealing import Sealer
from storage.profile.errors import DamagedValue, DiskFull, from_sqlite

Clock = Callable[[], float]


class Vault:
    """A profile's connection and sealer. Used from one thread at a time."""

    __slots__ = ("conn", "_sealer", "_random", "clock", "_depth", "_damaged", "_noted", "full")

    def __init__(
        self,
        conn: sqlite3.Connection,
        sealer: Sealer,
        *,
        random: RandomSource = default_random,
        clock: Clock = time.time,
    ) -> None:
        self.conn = conn
        self._sealer = sealer
        self._random = random
        self.clock = clock
        self._depth = 0
        self._damaged: list[str] = []
        self._noted: set[str] = set()
        #: The last write failed because the disk is full (cleared by the next successful commit).
        self.full = False

    # ------------------------------------------------------------------ damage

    def note_damage(self, slot: str, what: str) -> None:
        """A value in ``slot`` did not open and was skipped; ``what`` names its kind for a person."""
        if slot not in self._noted:
            self._noted.add(slot)
            self._damaged.append(what)

    def take_damage(self) -> list[str]:
        """The kinds of the values found damaged since the last call, each damaged value once."""
        found, self._damaged = self._damaged, []
        return found

    # ------------------------------------------------------------------ sealing

    def seal(self, slot: str, plaintext: bytes) -> bytes:
        return self._sealer.seal(slot, plaintext, random=self._random)

    def open(self, slot: str, sealed: bytes, *, what: str) -> bytes:
        """Open a value sealed for ``slot``; ``what`` names the kind of value for the error."""
        try:
            return self._sealer.open(slot, sealed)
        except DecryptionError:
            raise DamagedValue(what) from None

    def seal_json(self, slot: str, value: Any) -> bytes:
        return self.seal(slot, json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))

    def open_json(self, slot: str, sealed: bytes, *, what: str) -> Any:
        plaintext = self.open(slot, sealed, what=what)
        try:
            return json.loads(plaintext)
        except ValueError:
            raise DamagedValue(what) from None

    def index(self, kind: str, value: str) -> bytes:
        """The blind index of ``value`` for one table (``kind``), so rows of two tables do not link."""
        return self._sealer.blind_index(kind, value)

    def now_ms(self) -> int:
        return round(self.clock() * 1000)

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def guarded(self) -> Iterator[None]:
        """SQLite's failures inside the block leave it as DiskFull or ProfileDamaged (others unchanged)."""
        try:
            yield
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            mapped = from_sqlite(exc)
            if mapped is None:
                raise
            if isinstance(mapped, DiskFull):
                self.full = True
            raise mapped from None

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
                if self.conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                raise
        self.full = False

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
        return "Vault(<sealed>)"
