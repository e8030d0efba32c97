"""Ratchet sessions, one per device of a contact: opaque bytes that the engine serialises.

One row per (phone, device): a person who uses Parley on several computers has a session with
each of them (Sesame). Device 1 is the device an account registered with, and the only one a
profile older than linked devices knew.

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

    def get(self, phone: str, device: int = 1) -> bytes | None:
        row = self._vault.conn.execute(
            "SELECT state FROM sessions WHERE phone = ? AND device = ?", (phone, device)
        ).fetchone()
        if row is None:
            return None
        if not isinstance(row[0], bytes):
            raise DamagedValue("session")
        return row[0]

    def put(self, phone: str, state: bytes, device: int = 1) -> None:
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT INTO sessions (phone, device, state) VALUES (?, ?, ?) "
                "ON CONFLICT (phone, device) DO UPDATE SET state = excluded.state",
                (phone, device, bytes(state)),
            )

    def delete(self, phone: str, device: int | None = None) -> bool:
        """Forget the session with one device of ``phone``, or with all of them (``device`` None)."""
        with self._vault.transaction():
            if device is None:
                cursor = self._vault.conn.execute("DELETE FROM sessions WHERE phone = ?", (phone,))
            else:
                cursor = self._vault.conn.execute(
                    "DELETE FROM sessions WHERE phone = ? AND device = ?", (phone, device)
                )
        return cursor.rowcount > 0

    def devices(self, phone: str) -> list[int]:
        """The devices of ``phone`` we hold a session with, ascending."""
        rows = self._vault.conn.execute(
            "SELECT device FROM sessions WHERE phone = ? ORDER BY device", (phone,)
        ).fetchall()
        return [int(row[0]) for row in rows]

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
