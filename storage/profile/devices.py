"""The devices we know: which computers each person (ourselves included) uses Parley on.

A person may link up to five devices to one account; each has its own ratchet session with
each of ours (Sesame). The engine learns a phone's device ids from the server (a bundle's
``devices``, a ``devices_changed`` refusal, our own login) and keeps them here, one row per
(phone, device), so that a message can go to every device of its recipient and to our own other
devices without asking first. A phone without rows is taken to have device 1 only: the one
device every account had before linked devices, and the first of every account since.

Our own device id is the record ``own_device`` (absent: 1, the device that registered). Every
device logs in with a login key of its own (Ed25519: made at registration, when it was linked,
or before an older account's first link), kept as the record ``device_login_key`` beside the
identity (the database is encrypted whole). A key offered to the server whose answer was lost is
``device_login_key_pending`` until a login shows which one the server holds. Without either, the
device logs in with the identity's signing key, as every device 1 did before linked devices.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

from storage.profile.account import get_record, put_record
from storage.profile.errors import DamagedValue
from storage.profile.vault import Vault

_OWN_DEVICE = "own_device"
_LOGIN_KEY = "device_login_key"
_PENDING_LOGIN_KEY = "device_login_key_pending"
_LOGIN_KEY_LEN = 32
#: The device of an account that registered; every account has had it first.
FIRST_DEVICE = 1


class KnownDevices:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def own(self) -> int:
        """This profile's device id on its account."""
        stored = get_record(self._vault, _OWN_DEVICE)
        if stored is None:
            return FIRST_DEVICE
        try:
            device = int(stored)
        except ValueError:
            raise DamagedValue("own device") from None
        if device < 1:
            raise DamagedValue("own device")
        return device

    def set_own(self, device: int) -> None:
        if device < 1:
            raise ValueError("a device id is a positive integer")
        with self._vault.transaction():
            put_record(self._vault, _OWN_DEVICE, str(device))

    def login_key(self) -> bytes | None:
        """The 32-byte Ed25519 private key this device logs in with; None: the identity's (older accounts)."""
        return self._key(_LOGIN_KEY)

    def set_login_key(self, key: bytes | None) -> None:
        """Keep (or, with None, forget) this device's own login key."""
        self._set_key(_LOGIN_KEY, key)

    def pending_login_key(self) -> bytes | None:
        """A login key made and offered to the server, not yet known to be taken by it."""
        return self._key(_PENDING_LOGIN_KEY)

    def set_pending_login_key(self, key: bytes | None) -> None:
        self._set_key(_PENDING_LOGIN_KEY, key)

    def _key(self, name: str) -> bytes | None:
        stored = get_record(self._vault, name)
        if stored is None:
            return None
        try:
            key = base64.b64decode(stored, validate=True)
        except (binascii.Error, ValueError):
            raise DamagedValue("device login key") from None
        if len(key) != _LOGIN_KEY_LEN:
            raise DamagedValue("device login key")
        return key

    def _set_key(self, name: str, key: bytes | None) -> None:
        with self._vault.transaction():
            if key is None:
                self._vault.conn.execute("DELETE FROM records WHERE name = ?", (name,))
                return
            if len(key) != _LOGIN_KEY_LEN:
                raise ValueError("a login key is 32 bytes")
            put_record(self._vault, name, base64.b64encode(key).decode("ascii"))

    def of(self, phone: str) -> list[int]:
        """The device ids of ``phone``, ascending; ``[1]`` when none are known."""
        rows = self._vault.conn.execute(
            "SELECT device FROM known_devices WHERE phone = ? ORDER BY device", (phone,)
        ).fetchall()
        return [int(row[0]) for row in rows] or [FIRST_DEVICE]

    def set_of(self, phone: str, devices: Iterable[int]) -> bool:
        """Replace what we know of ``phone``'s devices; True when that changed anything."""
        new = sorted(set(devices))
        if any(device < 1 for device in new):
            raise ValueError("a device id is a positive integer")
        if not new:
            raise ValueError("an account has at least one device")
        if new == self.of(phone) and self._known(phone):
            return False
        with self._vault.transaction():
            self._vault.conn.execute("DELETE FROM known_devices WHERE phone = ?", (phone,))
            self._vault.conn.executemany(
                "INSERT INTO known_devices (phone, device) VALUES (?, ?)", [(phone, d) for d in new]
            )
        return True

    def forget(self, phone: str) -> None:
        """Forget ``phone``'s devices (a number that re-registered starts again with device 1)."""
        with self._vault.transaction():
            self._vault.conn.execute("DELETE FROM known_devices WHERE phone = ?", (phone,))

    def _known(self, phone: str) -> bool:
        row = self._vault.conn.execute("SELECT 1 FROM known_devices WHERE phone = ? LIMIT 1", (phone,))
        return row.fetchone() is not None

    def __repr__(self) -> str:
        return "KnownDevices()"
