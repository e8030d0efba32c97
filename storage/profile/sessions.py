"""Ratchet sessions, one per contact: opaque bytes that the engine serialises, one row per phone.

The engine replaces a session inside the same
:meth:`~storage.profile.profile.Profile.transaction` as the message that advanced it.

The store also keeps when healing started a new session with a contact (in
milliseconds), so the engine's limit on healing counts across restarts.
"""

from __future__ import annotations

from storage.profile.errors import DamagedValue
from storage.profile.vault import Vault


class SessionStore:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def get(self, phone: str) -> bytes | None:
        row = self._vault.conn.execute("SELECT state FROM sessions WHERE phone = ?", (phone,)).fetchone()
        if row is None:
            return None
        if not isinstance(row[0], bytes):
            raise DamagedValue("session")
        return row[0]

    def put(self, phone: str, state: bytes) -> None:
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT INTO sessions (phone, state) VALUES (?, ?) "
                "ON CONFLICT (phone) DO UPDATE SET state = excluded.state",
                (phone, bytes(state)),
            )

    def delete(self, phone: str) -> bool:
        with self._vault.transaction():
            cursor = self._vault.conn.execute("DELETE FROM sessions WHERE phone = ?", (phone,))
        return cursor.rowcount > 0

    # ------------------------------------------------------------------ healing

    def heals_since(self, phone: str, since: float) -> int:
        """How many heals with ``phone`` were noted at or after ``since`` (seconds since the epoch)."""
        row = self._vault.conn.execute(
            "SELECT COUNT(*) FROM heals WHERE phone = ? AND at >= ?", (phone, round(since * 1000))
        ).fetchone()
        return int(row[0])

    def note_heal(self, phone: str, at: float, *, forget_before: float) -> None:
        """Record a heal with ``phone`` at ``at``; that contact's heals before ``forget_before`` go."""
        with self._vault.transaction():
            self._vault.conn.execute(
                "DELETE FROM heals WHERE phone = ? AND at < ?", (phone, round(forget_before * 1000))
            )
            self._vault.conn.execute("INSERT INTO heals (phone, at) VALUES (?, ?)", (phone, round(at * 1000)))
