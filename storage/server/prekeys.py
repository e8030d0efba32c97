"""The server store's prekeys: a bundle taken with its one-time prekeys, top-ups, the signed prekey.

Each function is a job for the store's writer (it gets the write connection and
runs inside one transaction), or a read on a connection it is given. Keys are kept
as the canonical JSON text the server checked; a one-time prekey leaves the store
in the commit that hands it out, so it is given to one fetcher only. Prekeys are a
device's (schema version 8): the signed and last-resort keys in ``device_keys``, the
one-time ones keyed by (account, device, key id); every one is signed by the account's
identity, which all its devices share.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from storage.server.records import DeviceSetChanged, PrekeyLimit, TakenBundle, UnknownAccount
from storage.server.sql import SKIP_LOCKED, Db, Reader, Writer


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def take_bundle(db: Db, *, phone: str, one_time: bool, device: int | None = None) -> TakenBundle:
    """A device's bundle (``device`` None: the lowest live id); with ``one_time``, its one-time prekeys
    are taken out of the store. UnknownAccount, or DeviceSetChanged for a device the account lacks."""
    row = db.execute("SELECT identity FROM accounts WHERE phone = ?", (phone,)).fetchone()
    if row is None:
        raise UnknownAccount(phone)
    live = [
        int(d)
        for (d,) in db.execute(
            "SELECT device FROM devices WHERE phone = ? AND removed = 0 ORDER BY device", (phone,)
        )
    ]
    served = live[0] if device is None and live else device
    if served not in live:
        raise DeviceSetChanged(live)
    assert served is not None
    keys = db.execute(
        "SELECT signed_prekey, kem_last_resort FROM device_keys WHERE phone = ? AND device = ?",
        (phone, served),
    ).fetchone()
    bundle: dict[str, Any] = {
        "identity": json.loads(row[0]),
        "signed_prekey": json.loads(keys[0]),
        "kem_prekey": json.loads(keys[1]),
    }
    if one_time:
        otk = _take_one(db, "one_time_prekeys", phone, served)
        if otk is not None:
            bundle["one_time_prekey"] = otk
        kem = _take_one(db, "kem_prekeys", phone, served)
        if kem is not None:
            bundle["kem_prekey"] = kem
    return TakenBundle(bundle, served, live)


def add(
    db: Db,
    *,
    phone: str,
    one_time: list[tuple[int, dict[str, Any]]],
    kem: list[tuple[int, dict[str, Any]]],
    cap: int,
    replace: bool = False,
    device: int = 1,
) -> tuple[int, int]:
    """Add prekeys (ids held already are ignored); PrekeyLimit beyond ``cap`` of a kind.

    With ``replace``, the one-time prekeys of each kind that ``one_time`` and ``kem`` hold any of are
    deleted first (a restored profile lacks the private halves of keys another copy published); a
    kind sent empty is left as it is. One transaction: the old stock or the new one, never neither.
    """
    _require_device(db, phone, device)
    if replace and one_time:
        db.execute("DELETE FROM one_time_prekeys WHERE phone = ? AND device = ?", (phone, device))
    if replace and kem:
        db.execute("DELETE FROM kem_prekeys WHERE phone = ? AND device = ?", (phone, device))
    insert_prekeys(db, phone, one_time, kem, device)
    held = counts(db, phone, device)
    if max(held) > cap:
        raise PrekeyLimit(f"at most {cap} prekeys of a kind")
    return held


def counts(db: Db, phone: str, device: int = 1) -> tuple[int, int]:
    """How many one-time X25519 and one-time ML-KEM prekeys the device has left."""
    one_time = db.execute(
        "SELECT COUNT(*) FROM one_time_prekeys WHERE phone = ? AND device = ?", (phone, device)
    ).fetchone()[0]
    kem = db.execute(
        "SELECT COUNT(*) FROM kem_prekeys WHERE phone = ? AND device = ?", (phone, device)
    ).fetchone()[0]
    return int(one_time), int(kem)


def set_signed(
    db: Db,
    *,
    phone: str,
    signed_prekey: dict[str, Any],
    kem_last_resort: dict[str, Any] | None,
    device: int = 1,
) -> None:
    """Replace the device's signed prekey (and the last-resort ML-KEM key, when one is given)."""
    _require_device(db, phone, device)
    db.execute(
        "UPDATE device_keys SET signed_prekey = ? WHERE phone = ? AND device = ?",
        (_dumps(signed_prekey), phone, device),
    )
    if kem_last_resort is not None:
        db.execute(
            "UPDATE device_keys SET kem_last_resort = ? WHERE phone = ? AND device = ?",
            (_dumps(kem_last_resort), phone, device),
        )


def insert_prekeys(
    db: Db,
    phone: str,
    one_time: list[tuple[int, dict[str, Any]]],
    kem: list[tuple[int, dict[str, Any]]],
    device: int = 1,
) -> None:
    db.executemany(
        "INSERT INTO one_time_prekeys VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(phone, device, i, _dumps(k)) for i, k in one_time],
    )
    db.executemany(
        "INSERT INTO kem_prekeys VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(phone, device, i, _dumps(k)) for i, k in kem],
    )


def _require_device(db: Db, phone: str, device: int) -> None:
    found = db.execute(
        "SELECT 1 FROM devices WHERE phone = ? AND device = ? AND removed = 0", (phone, device)
    ).fetchone()
    if found is None:
        raise UnknownAccount(phone)


def _take_one(db: Db, table: str, phone: str, device: int) -> dict[str, Any] | None:
    # One statement takes the lowest key no other transaction holds: two nodes asking at once get two
    # keys (or one of them none), never the same one.
    row = db.execute(
        f"DELETE FROM {table} WHERE phone = ? AND device = ? AND key_id = ("  # noqa: S608 - fixed names
        f"SELECT key_id FROM {table} WHERE phone = ? AND device = ? ORDER BY key_id LIMIT 1{SKIP_LOCKED})"
        " RETURNING key",
        (phone, device, phone, device),
    ).fetchone()
    if row is None:
        return None
    key: dict[str, Any] = json.loads(row[0])  # written by insert_prekeys from a dict
    return key


class PrekeyStore:
    """The store's prekey methods, per device (:class:`~storage.server.store.SqliteServerStore` has them)."""

    _writer: Writer
    _reader: Reader

    def take_bundle(self, phone: str, *, one_time: bool = True) -> dict[str, Any]:
        """The bundle of the account's lowest live device (see :meth:`take_device_bundle`)."""
        return self.take_device_bundle(phone, None, one_time=one_time).bundle

    def take_device_bundle(self, phone: str, device: int | None, *, one_time: bool = True) -> TakenBundle:
        """A device's bundle as JSON (None: the lowest live id); its one-time prekeys leave in its commit.

        With ``one_time=False`` the bundle has no one-time X25519 prekey and the last-resort ML-KEM key,
        and nothing is consumed. :class:`UnknownAccount`; :class:`DeviceSetChanged` for a device not live.
        """
        return self._writer.run(partial(take_bundle, phone=phone, one_time=one_time, device=device))

    def add_prekeys(
        self,
        phone: str,
        one_time: list[tuple[int, dict[str, Any]]],
        kem: list[tuple[int, dict[str, Any]]],
        cap: int,
        *,
        replace: bool = False,
        device: int = 1,
    ) -> tuple[int, int]:
        """Add a device's prekeys (ids held already are ignored); :class:`PrekeyLimit` past ``cap`` of a kind.

        With ``replace``, the device's stored one-time prekeys of each kind sent are deleted first, in the
        same transaction.
        """
        job = partial(add, phone=phone, one_time=one_time, kem=kem, cap=cap, replace=replace, device=device)
        return self._writer.run(job)

    def prekey_counts(self, phone: str, device: int = 1) -> tuple[int, int]:
        with self._reader() as db:
            return counts(db, phone, device)

    def set_signed_prekey(
        self,
        phone: str,
        signed_prekey: dict[str, Any],
        kem_last_resort: dict[str, Any] | None,
        device: int = 1,
    ) -> None:
        job = partial(
            set_signed,
            phone=phone,
            signed_prekey=signed_prekey,
            kem_last_resort=kem_last_resort,
            device=device,
        )
        self._writer.run(job)
