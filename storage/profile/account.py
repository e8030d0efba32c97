"""The account a profile belongs to, the person's display name, and the server keys it has pinned.

The account (own phone, e-mail, server address, whether registration is
finished) is one JSON record named ``"account"``; the display name is the
record ``"display_name"``, the profile picture (a small square JPEG, base64) the
record ``"profile_picture"`` (absent: none). Both go to contacts together under
one version, ``"display_name_version"``, which grows with every change of either,
so a contact keeps the newest pair. Server pins are one row per server address. All of
it lives inside the encrypted database only.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict, dataclass
from typing import Any

from storage.profile.errors import DamagedValue
from storage.profile.vault import Vault

_ACCOUNT = "account"
_DISPLAY_NAME = "display_name"
_DISPLAY_NAME_VERSION = "display_name_version"
_PROFILE_PICTURE = "profile_picture"


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


def get_record(vault: Vault, name: str) -> str | None:
    row = vault.conn.execute("SELECT value FROM records WHERE name = ?", (name,)).fetchone()
    return None if row is None else row[0]


def put_record(vault: Vault, name: str, value: str) -> None:
    with vault.transaction():
        vault.conn.execute(
            "INSERT INTO records (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )


#: The record that marks a restored profile (see storage.profile.restore) until its first login is done.
RESTORED = "restored"


class AccountStore:
    """The profile's own account: read it, replace it; and the display name."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def get(self) -> Account:
        """The stored account, or an empty one (nothing registered yet)."""
        value = get_record(self._vault, _ACCOUNT)
        if value is None:
            return Account()
        return Account.from_json(self._vault.load_json(value, what="account"))

    def save(self, account: Account) -> None:
        put_record(self._vault, _ACCOUNT, self._vault.dump_json(asdict(account)))

    def display_name(self) -> str:
        value = get_record(self._vault, _DISPLAY_NAME)
        if not isinstance(value, str):
            raise DamagedValue("display name")
        return value

    def set_display_name(self, name: str) -> int:
        """Replace the display name; returns its new version (what contacts keep the newest of)."""
        with self._vault.transaction():
            version = self.display_name_version() + 1
            put_record(self._vault, _DISPLAY_NAME, name)
            put_record(self._vault, _DISPLAY_NAME_VERSION, str(version))
        return version

    def profile_picture(self) -> bytes:
        """Our profile picture (a JPEG), b"" for none."""
        value = get_record(self._vault, _PROFILE_PICTURE)
        if value is None:
            return b""
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise DamagedValue("profile picture") from None

    def set_profile_picture(self, picture: bytes) -> int:
        """Replace the profile picture (b"" removes it); returns the new version of name and picture."""
        with self._vault.transaction():
            version = self.display_name_version() + 1
            if picture:
                put_record(self._vault, _PROFILE_PICTURE, base64.b64encode(picture).decode("ascii"))
            else:
                self._vault.conn.execute("DELETE FROM records WHERE name = ?", (_PROFILE_PICTURE,))
            put_record(self._vault, _DISPLAY_NAME_VERSION, str(version))
        return version

    def display_name_version(self) -> int:
        """The version of the display name and picture sent to contacts: 1 for the profile as made."""
        value = get_record(self._vault, _DISPLAY_NAME_VERSION)
        if value is None:
            return 1
        if not value.isdigit():
            raise DamagedValue("display name")
        return int(value)

    def restored(self) -> bool:
        """Whether the profile was restored from a backup and has not yet published fresh prekeys."""
        return get_record(self._vault, RESTORED) is not None

    def clear_restored(self) -> None:
        with self._vault.transaction():
            self._vault.conn.execute("DELETE FROM records WHERE name = ?", (RESTORED,))


class ServerPins:
    """The SHA-256 fingerprint of each server's public key, pinned on first contact."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def get(self, address: str) -> str | None:
        row = self._vault.conn.execute(
            "SELECT fingerprint FROM server_pins WHERE server = ?", (address,)
        ).fetchone()
        if row is None:
            return None
        if not isinstance(row[0], str):
            raise DamagedValue("server key pin")
        return row[0]

    def fingerprints(self) -> list[str]:
        """Every pinned fingerprint, whatever its address: a key is trusted by itself, not by its port."""
        rows = self._vault.conn.execute("SELECT fingerprint FROM server_pins ORDER BY server").fetchall()
        if any(not isinstance(row[0], str) for row in rows):
            raise DamagedValue("server key pin")
        return [row[0] for row in rows]

    def pin(self, address: str, fingerprint: str) -> None:
        """Pin (or, after the person accepted a new key, re-pin) the server's key fingerprint."""
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT INTO server_pins (server, fingerprint) VALUES (?, ?) "
                "ON CONFLICT (server) DO UPDATE SET fingerprint = excluded.fingerprint",
                (address, fingerprint),
            )

    def forget(self, address: str) -> bool:
        with self._vault.transaction():
            cursor = self._vault.conn.execute("DELETE FROM server_pins WHERE server = ?", (address,))
        return cursor.rowcount > 0
