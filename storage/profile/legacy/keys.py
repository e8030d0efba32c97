"""The profile's private keys: identity, signed prekeys, one-time X25519 and ML-KEM prekeys.

Beside the keys, the ids of the sessions our prekeys have already started
(a blind index of the session id, with the signed prekey it used) are kept as
long as that signed prekey is, so a replayed initial message cannot start the
same session again after the session has left the contact's record.

Each key is sealed in its own slot, which names its id (and for a signed or
ML-KEM prekey its creation time and kind), so a key moved to another row or
relabelled does not open. Ids come from counters that only grow, so an id the
server may still hand out is never reused for another key. Deleted keys are
overwritten on disk (``secure_delete``), which one-time prekeys need for
forward secrecy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from crypto_core.errors import CryptoError
from crypto_core.keys import IdentityKeyPair, KemPreKey, OneTimePreKey, SignedPreKey
from storage.profile.errors import DamagedValue, ProfileError
from storage.profile.legacy.vault import Vault

T = TypeVar("T")
_IDENTITY = "identity"
#: A new identity on its way to the server (a move to new keys), kept before its public part leaves.
_PENDING_IDENTITY = "identity-pending"
#: Counter names for :meth:`KeyStore.reserve_ids`.
SIGNED = "signed-prekey"
ONE_TIME = "one-time-prekey"
KEM = "kem-prekey"
_COUNTERS = (SIGNED, ONE_TIME, KEM)


def _signed_slot(key_id: int, created_at: int) -> str:
    return f"signed-prekey:{key_id}:{created_at}"


def _kem_slot(key_id: int, last_resort: bool) -> str:
    return f"kem-prekey:{key_id}:{'last-resort' if last_resort else 'one-time'}"


class KeyStore:
    """Private key material of the profile's own identity."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    # ------------------------------------------------------------------ identity

    def identity(self) -> IdentityKeyPair | None:
        row = self._vault.conn.execute("SELECT sealed FROM records WHERE name = ?", (_IDENTITY,)).fetchone()
        if row is None:
            return None
        data = self._vault.open_json(_IDENTITY, row[0], what="identity key")
        return _parse(IdentityKeyPair.from_json, data, "identity key")

    def set_identity(self, identity: IdentityKeyPair, *, replace: bool = False) -> None:
        """Store the identity; replacing an existing one must be asked for (it ends every session)."""
        sealed = self._vault.seal_json(_IDENTITY, identity.to_json())
        with self._vault.transaction():
            if not replace and self.identity() is not None:
                raise ProfileError("this profile already has an identity key")
            self._vault.conn.execute(
                "INSERT OR REPLACE INTO records (name, sealed) VALUES (?, ?)", (_IDENTITY, sealed)
            )

    def pending_identity(self) -> IdentityKeyPair | None:
        row = self._vault.conn.execute(
            "SELECT sealed FROM records WHERE name = ?", (_PENDING_IDENTITY,)
        ).fetchone()
        if row is None:
            return None
        data = self._vault.open_json(_PENDING_IDENTITY, row[0], what="pending identity key")
        return _parse(IdentityKeyPair.from_json, data, "pending identity key")

    def set_pending_identity(self, identity: IdentityKeyPair | None) -> None:
        """Keep (or, with None, forget) the identity a move to new keys is about to publish."""
        with self._vault.transaction():
            if identity is None:
                self._vault.conn.execute("DELETE FROM records WHERE name = ?", (_PENDING_IDENTITY,))
                return
            sealed = self._vault.seal_json(_PENDING_IDENTITY, identity.to_json())
            self._vault.conn.execute(
                "INSERT OR REPLACE INTO records (name, sealed) VALUES (?, ?)", (_PENDING_IDENTITY, sealed)
            )

    def adopt_pending_identity(self) -> IdentityKeyPair:
        """The server took the move: the pending identity becomes the identity, in one transaction."""
        with self._vault.transaction():
            pending = self.pending_identity()
            if pending is None:
                raise ProfileError("no new identity is waiting")
            self.set_identity(pending, replace=True)
            self.set_pending_identity(None)
        return pending

    # ------------------------------------------------------------------ ids

    def reserve_ids(self, kind: str, count: int) -> range:
        """``count`` fresh key ids of ``kind`` (SIGNED, ONE_TIME or KEM), never handed out before."""
        if kind not in _COUNTERS or count < 1:
            raise ValueError("reserve_ids: unknown kind or count below 1")
        with self._vault.transaction():
            row = self._vault.conn.execute("SELECT value FROM counters WHERE name = ?", (kind,)).fetchone()
            first = 1 if row is None else int(row[0])
            if first + count > 2**32:
                raise ProfileError(f"{kind} ids are used up")
            self._vault.conn.execute(
                "INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)", (kind, first + count)
            )
        return range(first, first + count)

    # ------------------------------------------------------------------ signed prekeys

    def add_signed_prekey(self, prekey: SignedPreKey) -> None:
        sealed = self._vault.seal_json(_signed_slot(prekey.key_id, prekey.created_at), prekey.to_json())
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT INTO signed_prekeys (id, created_at, sealed) VALUES (?, ?, ?)",
                (prekey.key_id, prekey.created_at, sealed),
            )

    def signed_prekey(self, key_id: int) -> SignedPreKey | None:
        row = self._vault.conn.execute(
            "SELECT id, created_at, sealed FROM signed_prekeys WHERE id = ?", (key_id,)
        ).fetchone()
        return None if row is None else self._open_signed(*row)

    def current_signed_prekey(self) -> SignedPreKey | None:
        """The newest signed prekey (the one to publish)."""
        row = self._vault.conn.execute(
            "SELECT id, created_at, sealed FROM signed_prekeys ORDER BY created_at DESC, id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else self._open_signed(*row)

    def signed_prekeys(self) -> list[SignedPreKey]:
        rows = self._vault.conn.execute(
            "SELECT id, created_at, sealed FROM signed_prekeys ORDER BY created_at, id"
        ).fetchall()
        return [self._open_signed(*row) for row in rows]

    def prune_signed_prekeys(self, created_before: int) -> int:
        """Delete signed prekeys made before ``created_before``, always keeping the current one.

        ``created_before`` is in the unit of :attr:`SignedPreKey.created_at` (seconds).
        Accepted initial messages that used a deleted signed prekey are forgotten with it: without the
        prekey such a message no longer opens anyway.
        """
        with self._vault.transaction():
            cursor = self._vault.conn.execute(
                "DELETE FROM signed_prekeys WHERE created_at < ? AND id <> "
                "(SELECT id FROM signed_prekeys ORDER BY created_at DESC, id DESC LIMIT 1)",
                (created_before,),
            )
            self._vault.conn.execute(
                "DELETE FROM accepted_initials WHERE signed_prekey NOT IN (SELECT id FROM signed_prekeys)"
            )
        return cursor.rowcount

    def _open_signed(self, key_id: int, created_at: int, sealed: bytes) -> SignedPreKey:
        data = self._vault.open_json(_signed_slot(key_id, created_at), sealed, what="signed prekey")
        return _parse(SignedPreKey.from_json, data, "signed prekey")

    # ------------------------------------------------------------------ accepted initial messages

    def _session_key(self, session_id: bytes) -> bytes:
        return self._vault.index("accepted-initial", session_id.hex())

    def remember_initial(self, session_id: bytes, signed_prekey_id: int) -> None:
        """Note that an initial message started ``session_id``; call it in the transaction storing it."""
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT OR IGNORE INTO accepted_initials (session, signed_prekey) VALUES (?, ?)",
                (self._session_key(session_id), signed_prekey_id),
            )

    def initial_accepted(self, session_id: bytes) -> bool:
        """True if an initial message for ``session_id`` was accepted while its signed prekey is kept."""
        row = self._vault.conn.execute(
            "SELECT 1 FROM accepted_initials WHERE session = ?", (self._session_key(session_id),)
        ).fetchone()
        return row is not None

    # ------------------------------------------------------------------ one-time X25519 prekeys

    def add_one_time_prekeys(self, prekeys: Iterable[OneTimePreKey]) -> None:
        rows = [
            (p.key_id, self._vault.seal_json(f"one-time-prekey:{p.key_id}", p.to_json())) for p in prekeys
        ]
        with self._vault.transaction():
            self._vault.conn.executemany("INSERT INTO one_time_prekeys (id, sealed) VALUES (?, ?)", rows)

    def one_time_prekey(self, key_id: int) -> OneTimePreKey | None:
        row = self._vault.conn.execute(
            "SELECT sealed FROM one_time_prekeys WHERE id = ?", (key_id,)
        ).fetchone()
        if row is None:
            return None
        data = self._vault.open_json(f"one-time-prekey:{key_id}", row[0], what="one-time prekey")
        return _parse(OneTimePreKey.from_json, data, "one-time prekey")

    def take_one_time_prekey(self, key_id: int) -> OneTimePreKey | None:
        """Read and delete; call it inside the transaction that stores the new session."""
        with self._vault.transaction():
            prekey = self.one_time_prekey(key_id)
            self._vault.conn.execute("DELETE FROM one_time_prekeys WHERE id = ?", (key_id,))
        return prekey

    def delete_one_time_prekey(self, key_id: int) -> bool:
        with self._vault.transaction():
            cursor = self._vault.conn.execute("DELETE FROM one_time_prekeys WHERE id = ?", (key_id,))
        return cursor.rowcount > 0

    def count_one_time_prekeys(self) -> int:
        return int(self._vault.conn.execute("SELECT COUNT(*) FROM one_time_prekeys").fetchone()[0])

    # ------------------------------------------------------------------ ML-KEM prekeys

    def add_kem_prekeys(self, prekeys: Iterable[KemPreKey]) -> None:
        """Store one-time or last-resort ML-KEM prekeys (the newest last-resort one is current)."""
        now = self._vault.now_ms()
        rows = [
            (
                p.key_id,
                int(p.last_resort),
                now,
                self._vault.seal_json(_kem_slot(p.key_id, p.last_resort), p.to_json()),
            )
            for p in prekeys
        ]
        with self._vault.transaction():
            self._vault.conn.executemany(
                "INSERT INTO kem_prekeys (id, last_resort, created_at, sealed) VALUES (?, ?, ?, ?)", rows
            )

    def kem_prekey(self, key_id: int) -> KemPreKey | None:
        """A one-time or last-resort ML-KEM prekey by id."""
        row = self._vault.conn.execute(
            "SELECT id, last_resort, sealed FROM kem_prekeys WHERE id = ?", (key_id,)
        ).fetchone()
        return None if row is None else self._open_kem(*row)

    def last_resort_kem_prekey(self) -> KemPreKey | None:
        row = self._vault.conn.execute(
            "SELECT id, last_resort, sealed FROM kem_prekeys WHERE last_resort = 1 "
            "ORDER BY created_at DESC, id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else self._open_kem(*row)

    def delete_kem_prekey(self, key_id: int) -> bool:
        with self._vault.transaction():
            cursor = self._vault.conn.execute("DELETE FROM kem_prekeys WHERE id = ?", (key_id,))
        return cursor.rowcount > 0

    def count_kem_prekeys(self) -> int:
        """One-time ML-KEM prekeys left (the last-resort ones are not counted)."""
        row = self._vault.conn.execute("SELECT COUNT(*) FROM kem_prekeys WHERE last_resort = 0").fetchone()
        return int(row[0])

    def _open_kem(self, key_id: int, last_resort: int, sealed: bytes) -> KemPreKey:
        data = self._vault.open_json(_kem_slot(key_id, bool(last_resort)), sealed, what="ML-KEM prekey")
        return _parse(KemPreKey.from_json, data, "ML-KEM prekey")


def _parse(parse: Callable[[object], T], data: object, what: str) -> T:
    """Unseal succeeded but the JSON inside is not a key: the file was altered, so say so."""
    try:
        return parse(data)
    except (CryptoError, ValueError, TypeError):
        raise DamagedValue(what) from None
