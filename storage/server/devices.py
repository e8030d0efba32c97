"""The server store's devices: an account's 1 to 5 devices, each with its login key, name, prekeys and queue.

Each function is a job for the store's writer (it gets the write connection and
runs inside one transaction), or a read on a connection it is given. A device id
is given once per account: ``accounts.next_device`` only grows, so an old id never
names a new device. An unlinked device's row stays, marked ``removed`` (so its later
login is told so), while its keys, prekeys, queue and waiting messages go in the
same transaction. The name is sealed by the clients: opaque bytes here.
"""

from __future__ import annotations

from storage.server.prekeys import insert_prekeys
from storage.server.queues import live_devices
from storage.server.records import (
    DeviceKeys,
    DeviceLogin,
    DeviceRecord,
    DeviceSetChanged,
    LastDevice,
    TooManyDevices,
    UnknownAccount,
)
from storage.server.registration import count_devices, insert_device, lock_account
from storage.server.sql import Db, Reader, Writer

_PHONES_PER_STATEMENT = 500  # SQLite before 3.32 takes at most 999 parameters in one statement


def login_of(db: Db, phone: str, device: int) -> DeviceLogin | None:
    row = db.execute(
        "SELECT a.identity, d.login_key, d.removed FROM accounts AS a"
        " JOIN devices AS d ON d.phone = a.phone AND d.device = ? WHERE a.phone = ?",
        (device, phone),
    ).fetchone()
    if row is None:
        return None
    return DeviceLogin(str(row[0]), None if row[1] is None else bytes(row[1]), row[2] != 0)


def login_states(db: Db, phones: list[str]) -> dict[str, dict[int, tuple[int, bool]]]:
    """Per existing account of ``phones``, its devices' (login epoch, removed); accounts gone are left out."""
    found: dict[str, dict[int, tuple[int, bool]]] = {}
    for start in range(0, len(phones), _PHONES_PER_STATEMENT):
        chunk = phones[start : start + _PHONES_PER_STATEMENT]
        marks = ",".join("?" * len(chunk))
        for phone, device, epoch, removed in db.execute(
            "SELECT a.phone, d.device, d.login_epoch, d.removed FROM accounts AS a"  # noqa: S608 - only marks
            f" LEFT JOIN devices AS d ON d.phone = a.phone WHERE a.phone IN ({marks})",
            tuple(chunk),
        ):
            devices = found.setdefault(str(phone), {})
            if device is not None:
                devices[int(device)] = (int(epoch), removed != 0)
    return found


def count_login(db: Db, phone: str, device: int, now: int) -> int:
    """Move the device's login epoch on: one more than before, and at least ``now`` (ms), so that a device
    row made anew (the account re-registered) still counts above every login before it. The epoch this
    login has (0: no such device)."""
    row = db.execute(
        "UPDATE devices SET login_epoch = CASE WHEN login_epoch + 1 > ? THEN login_epoch + 1 ELSE ? END"
        " WHERE phone = ? AND device = ? RETURNING login_epoch",
        (now, now, phone, device),
    ).fetchone()
    return 0 if row is None else int(row[0])


def add_device(
    db: Db,
    *,
    phone: str,
    login_key: bytes,
    name: bytes,
    keys: DeviceKeys,
    now: int,
    max_devices: int,
) -> tuple[int, list[int]]:
    """A new device with the account's next id; (its id, the live ids). TooManyDevices at ``max_devices``."""
    lock_account(db, phone)  # as registration, deletion and unlinking do, in the same order
    # The account's row is locked too (to the commit), so a second node adding a device at the same
    # time waits, then draws the next id and counts this device among the live ones.
    row = db.execute(
        "UPDATE accounts SET next_device = next_device + 1 WHERE phone = ? RETURNING next_device", (phone,)
    ).fetchone()
    if row is None:
        raise UnknownAccount(phone)
    live = live_devices(db, phone)
    if len(live) >= max_devices:  # the job's savepoint takes the id back
        raise TooManyDevices(f"the account has {len(live)} devices")
    device = int(row[0]) - 1
    insert_device(db, phone, device, login_key, name, keys.signed_prekey, keys.kem_last_resort, now)
    insert_prekeys(db, phone, keys.one_time_prekeys, keys.kem_prekeys, device)
    return device, [*live, device]


def records(db: Db, phone: str) -> list[DeviceRecord]:
    rows = db.execute(
        "SELECT device, name, created, last_seen FROM devices"
        " WHERE phone = ? AND removed = 0 ORDER BY device",
        (phone,),
    ).fetchall()
    return [DeviceRecord(int(d), bytes(name), int(created), int(seen)) for d, name, created, seen in rows]


def set_name(db: Db, *, phone: str, device: int, name: bytes) -> None:
    changed = db.execute(
        "UPDATE devices SET name = ? WHERE phone = ? AND device = ? AND removed = 0", (name, phone, device)
    ).rowcount
    if not changed:
        raise UnknownAccount(phone)


def set_login_key(db: Db, *, phone: str, device: int, key: bytes) -> None:
    changed = db.execute(
        "UPDATE devices SET login_key = ? WHERE phone = ? AND device = ? AND removed = 0",
        (key, phone, device),
    ).rowcount
    if not changed:
        raise UnknownAccount(phone)


def ever_linked(db: Db, phone: str) -> bool:
    """Whether the account ever had a device besides device 1 (one given out, live or removed)."""
    row = db.execute("SELECT next_device FROM accounts WHERE phone = ?", (phone,)).fetchone()
    if row is None:
        return False
    removed = db.execute(
        "SELECT 1 FROM devices WHERE phone = ? AND removed != 0 LIMIT 1", (phone,)
    ).fetchone()
    return int(row[0]) > 2 or removed is not None


def remove(db: Db, *, phone: str, device: int, now: int) -> list[int]:
    """Unlink a live device; the live ids left. DeviceSetChanged if not live, LastDevice for the last."""
    lock_account(db, phone)  # two nodes unlinking the last two devices: the second sees the first's removal
    live = live_devices(db, phone)
    if device not in live:
        raise DeviceSetChanged(live)
    if len(live) == 1:
        raise LastDevice(f"device {device} is the account's last")
    db.execute(
        "UPDATE devices SET removed = ?, name = ? WHERE phone = ? AND device = ?",
        (max(now, 1), b"", phone, device),
    )
    for table, column in (
        ("device_keys", "phone"),
        ("one_time_prekeys", "phone"),
        ("kem_prekeys", "phone"),
        ("queues", "phone"),
        ("sender_queues", "recipient"),
        ("messages", "recipient"),
    ):
        db.execute(f"DELETE FROM {table} WHERE {column} = ? AND device = ?", (phone, device))  # noqa: S608
    count_devices(db, phone)
    return [d for d in live if d != device]


class DeviceStore:
    """The store's device methods; :class:`~storage.server.store.SqliteServerStore` adds the rest."""

    _writer: Writer
    _reader: Reader

    def device_ids(self, phone: str) -> list[int]:
        """The account's live device ids, ascending (empty without an account)."""
        with self._reader() as db:
            return live_devices(db, phone)

    def device_login(self, phone: str, device: int) -> DeviceLogin | None:
        """What a login of (phone, device) checks, or None when the account never had that device."""
        with self._reader() as db:
            return login_of(db, phone, device)

    def login_states(self, phones: list[str]) -> dict[str, dict[int, tuple[int, bool]]]:
        """Per existing account of ``phones``, its devices' (login epoch, removed): one read for many."""
        with self._reader() as db:
            return login_states(db, sorted(set(phones)))

    def count_login(self, phone: str, device: int, now: int) -> int:
        """Move (phone, device)'s login epoch on (in the turn's batch); the epoch of this login."""
        return self._writer.run(lambda db: count_login(db, phone, device, now))

    def add_device(
        self, phone: str, login_key: bytes, name: bytes, keys: DeviceKeys, now: int, *, max_devices: int
    ) -> tuple[int, list[int]]:
        """Create a device with the account's next id and its prekeys; (its id, the live ids after).

        :class:`TooManyDevices` when ``max_devices`` are live already, :class:`UnknownAccount` if gone.
        """
        return self._writer.run(
            lambda db: add_device(
                db, phone=phone, login_key=login_key, name=name, keys=keys, now=now, max_devices=max_devices
            )
        )

    def device_records(self, phone: str) -> list[DeviceRecord]:
        """The account's live devices, by id."""
        with self._reader() as db:
            return records(db, phone)

    def set_device_name(self, phone: str, device: int, name: bytes) -> None:
        """Replace a live device's sealed name; :class:`UnknownAccount` if it is gone."""
        self._writer.run(lambda db: set_name(db, phone=phone, device=device, name=name))

    def set_login_key(self, phone: str, device: int, key: bytes) -> None:
        """The live ``device`` logs in with ``key`` only from now on; :class:`UnknownAccount` if gone."""
        self._writer.run(lambda db: set_login_key(db, phone=phone, device=device, key=key))

    def ever_linked(self, phone: str) -> bool:
        """Whether the account ever had a linked device (an id past 1 was given, or a device was removed)."""
        with self._reader() as db:
            return ever_linked(db, phone)

    def remove_device(self, phone: str, device: int, now: int) -> list[int]:
        """Unlink ``device`` (its keys, prekeys and queue go); the live ids left.

        :class:`DeviceSetChanged` (with the live ids) when it is not live, :class:`LastDevice` for the last.
        """
        return self._writer.run(lambda db: remove(db, phone=phone, device=device, now=now))
