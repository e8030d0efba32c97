"""Ratchet sessions, one per contact: opaque bytes that the engine serialises, sealed here.

A session is found by a blind index of the contact's phone (its own index kind,
so it does not link to the contact's row) and sealed in slot
``"session:<index>"``. The engine replaces a session inside the same
:meth:`~storage.profile.legacy.profile.Profile.transaction` as the message that advanced it.

The store also keeps when healing started a new session with a contact (under
another blind index kind, in milliseconds), so the engine's limit on healing
counts across restarts.
"""

from __future__ import annotations

from storage.profile.legacy.vault import Vault


class SessionStore:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def _where(self, phone: str) -> tuple[bytes, str]:
        key = self._vault.index("session", phone)
        return key, f"session:{key.hex()}"

    def get(self, phone: str) -> bytes | None:
        key, slot = self._where(phone)
        row = self._vault.conn.execute("SELECT sealed FROM sessions WHERE contact = ?", (key,)).fetchone()
        return None if row is None else self._vault.open(slot, row[0], what="session")

    def put(self, phone: str, state: bytes) -> None:
        key, slot = self._where(phone)
        sealed = self._vault.seal(slot, state)
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT INTO sessions (contact, sealed) VALUES (?, ?) "
                "ON CONFLICT (contact) DO UPDATE SET sealed = excluded.sealed",
                (key, sealed),
            )

    def delete(self, phone: str) -> bool:
        key, _slot = self._where(phone)
        with self._vault.transaction():
            cursor = self._vault.conn.execute("DELETE FROM sessions WHERE contact = ?", (key,))
        return cursor.rowcount > 0

    # ------------------------------------------------------------------ healing

    def heals_since(self, phone: str, since: float) -> int:
        """How many heals with ``phone`` were noted at or after ``since`` (seconds since the epoch)."""
        row = self._vault.conn.execute(
            "SELECT COUNT(*) FROM heals WHERE contact = ? AND at >= ?",
            (self._vault.index("heal", phone), round(since * 1000)),
        ).fetchone()
        return int(row[0])

    def note_heal(self, phone: str, at: float, *, forget_before: float) -> None:
        """Record a heal with ``phone`` at ``at``; that contact's heals before ``forget_before`` go."""
        contact = self._vault.index("heal", phone)
        with self._vault.transaction():
            self._vault.conn.execute(
                "DELETE FROM heals WHERE contact = ? AND at < ?", (contact, round(forget_before * 1000))
            )
            self._vault.conn.execute(
                "INSERT INTO heals (contact, at) VALUES (?, ?)", (contact, round(at * 1000))
            )
