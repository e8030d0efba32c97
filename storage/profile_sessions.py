"""Ratchet sessions, one per contact: opaque bytes that the engine serialises, sealed here.

A session is found by a blind index of the contact's phone (its own index kind,
so it does not link to the contact's row) and sealed in slot
``"session:<index>"``. The engine replaces a session inside the same
:meth:`~storage.profile.Profile.transaction` as the message that advanced it.
"""

from __future__ import annotations

from storage.profile_vault import Vault


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
