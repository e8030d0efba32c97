"""The account a profile belongs to, and the server keys it has pinned.

The account (own phone, e-mail, server address, whether registration is
finished) is one sealed record, slot ``"account"``. Server pins are sealed per
server under slot ``"server-pin:<index>"``, found by a blind index of the
address, so the file does not say which server the profile talks to.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from storage.profile.errors import DamagedValue
from storage.profile.legacy.vault import Vault

_ACCOUNT = "account"


@dataclass(frozen=True)
class Account:
    phone: str | None = None
    email: str | None = None
    #: ``host:port`` of the server this profile registers with.
    server: str | None = None
    registered: bool = False

    @classmethod
    def from_json(cls, data: Any) -> Account:
        if not isinstance(data, dict):
            raise DamagedValue("account")
        try:
            account = cls(**data)
        except TypeError:
            raise DamagedValue("account") from None
        for text in (account.phone, account.email, account.server):
            if text is not None and not isinstance(text, str):
                raise DamagedValue("account")
        if not isinstance(account.registered, bool):
            raise DamagedValue("account")
        return account

    def __repr__(self) -> str:  # the phone and e-mail stay out of logs
        return f"Account(server={self.server!r}, registered={self.registered})"


class AccountStore:
    """The profile's own account: read it, replace it."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def get(self) -> Account:
        """The stored account, or an empty one (nothing registered yet)."""
        row = self._vault.conn.execute("SELECT sealed FROM records WHERE name = ?", (_ACCOUNT,)).fetchone()
        if row is None:
            return Account()
        return Account.from_json(self._vault.open_json(_ACCOUNT, row[0], what="account"))

    def save(self, account: Account) -> None:
        sealed = self._vault.seal_json(_ACCOUNT, asdict(account))
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT INTO records (name, sealed) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed",
                (_ACCOUNT, sealed),
            )


class ServerPins:
    """The SHA-256 fingerprint of each server's public key, pinned on first contact."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def _where(self, address: str) -> tuple[bytes, str]:
        server = self._vault.index("server", address)
        return server, f"server-pin:{server.hex()}"

    def get(self, address: str) -> str | None:
        server, slot = self._where(address)
        row = self._vault.conn.execute(
            "SELECT sealed FROM server_pins WHERE server = ?", (server,)
        ).fetchone()
        if row is None:
            return None
        return self._vault.open(slot, row[0], what="server key pin").decode("utf-8")

    def pin(self, address: str, fingerprint: str) -> None:
        """Pin (or, after the person accepted a new key, re-pin) the server's key fingerprint."""
        server, slot = self._where(address)
        sealed = self._vault.seal(slot, fingerprint.encode("utf-8"))
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT INTO server_pins (server, sealed) VALUES (?, ?) "
                "ON CONFLICT (server) DO UPDATE SET sealed = excluded.sealed",
                (server, sealed),
            )

    def forget(self, address: str) -> bool:
        server, _slot = self._where(address)
        with self._vault.transaction():
            cursor = self._vault.conn.execute("DELETE FROM server_pins WHERE server = ?", (server,))
        return cursor.rowcount > 0
