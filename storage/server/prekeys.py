"""The server store's prekeys: a bundle taken with its one-time prekeys, top-ups, the signed prekey.

Each function is a job for the store's writer (it gets the write connection and
runs inside one transaction), or a read on a connection it is given. Keys are kept
as the canonical JSON text the server checked; a one-time prekey leaves the store
in the commit that hands it out, so it is given to one fetcher only.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from storage.server.records import PrekeyLimit, UnknownAccount


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def take_bundle(db: sqlite3.Connection, *, phone: str, one_time: bool) -> dict[str, Any]:
    """The account's bundle; with ``one_time``, its one-time prekeys are taken out of the store."""
    row = db.execute(
        "SELECT identity, signed_prekey, kem_last_resort FROM accounts WHERE phone = ?", (phone,)
    ).fetchone()
    if row is None:
        raise UnknownAccount(phone)
    bundle: dict[str, Any] = {
        "identity": json.loads(row[0]),
        "signed_prekey": json.loads(row[1]),
        "kem_prekey": json.loads(row[2]),
    }
    if not one_time:
        return bundle
    otk = _take_one(db, "one_time_prekeys", phone)
    if otk is not None:
        bundle["one_time_prekey"] = otk
    kem = _take_one(db, "kem_prekeys", phone)
    if kem is not None:
        bundle["kem_prekey"] = kem
    return bundle


def add(
    db: sqlite3.Connection,
    *,
    phone: str,
    one_time: list[tuple[int, dict[str, Any]]],
    kem: list[tuple[int, dict[str, Any]]],
    cap: int,
    replace: bool = False,
) -> tuple[int, int]:
    """Add prekeys (ids held already are ignored); PrekeyLimit beyond ``cap`` of a kind.

    With ``replace``, the one-time prekeys of each kind that ``one_time`` and ``kem`` hold any of are
    deleted first (a restored profile lacks the private halves of keys another copy published); a
    kind sent empty is left as it is. One transaction: the old stock or the new one, never neither.
    """
    _require_account(db, phone)
    if replace and one_time:
        db.execute("DELETE FROM one_time_prekeys WHERE phone = ?", (phone,))
    if replace and kem:
        db.execute("DELETE FROM kem_prekeys WHERE phone = ?", (phone,))
    insert_prekeys(db, phone, one_time, kem)
    held = counts(db, phone)
    if max(held) > cap:
        raise PrekeyLimit(f"at most {cap} prekeys of a kind")
    return held


def counts(db: sqlite3.Connection, phone: str) -> tuple[int, int]:
    """How many one-time X25519 and one-time ML-KEM prekeys the account has left."""
    one_time = db.execute("SELECT COUNT(*) FROM one_time_prekeys WHERE phone = ?", (phone,)).fetchone()[0]
    kem = db.execute("SELECT COUNT(*) FROM kem_prekeys WHERE phone = ?", (phone,)).fetchone()[0]
    return int(one_time), int(kem)


def set_signed(
    db: sqlite3.Connection,
    *,
    phone: str,
    signed_prekey: dict[str, Any],
    kem_last_resort: dict[str, Any] | None,
) -> None:
    """Replace the signed prekey (and the last-resort ML-KEM key, when one is given)."""
    _require_account(db, phone)
    db.execute("UPDATE accounts SET signed_prekey = ? WHERE phone = ?", (_dumps(signed_prekey), phone))
    if kem_last_resort is not None:
        db.execute(
            "UPDATE accounts SET kem_last_resort = ? WHERE phone = ?",
            (_dumps(kem_last_resort), phone),
        )


def insert_prekeys(
    db: sqlite3.Connection,
    phone: str,
    one_time: list[tuple[int, dict[str, Any]]],
    kem: list[tuple[int, dict[str, Any]]],
) -> None:
    db.executemany(
        "INSERT OR IGNORE INTO one_time_prekeys VALUES (?, ?, ?)",
        [(phone, i, _dumps(k)) for i, k in one_time],
    )
    db.executemany(
        "INSERT OR IGNORE INTO kem_prekeys VALUES (?, ?, ?)", [(phone, i, _dumps(k)) for i, k in kem]
    )


def _require_account(db: sqlite3.Connection, phone: str) -> None:
    if db.execute("SELECT 1 FROM accounts WHERE phone = ?", (phone,)).fetchone() is None:
        raise UnknownAccount(phone)


def _take_one(db: sqlite3.Connection, table: str, phone: str) -> dict[str, Any] | None:
    row = db.execute(
        f"SELECT key_id, key FROM {table} WHERE phone = ? ORDER BY key_id LIMIT 1",  # noqa: S608 - fixed names
        (phone,),
    ).fetchone()
    if row is None:
        return None
    db.execute(f"DELETE FROM {table} WHERE phone = ? AND key_id = ?", (phone, row[0]))  # noqa: S608
    key: dict[str, Any] = json.loads(row[1])  # written by insert_prekeys from a dict
    return key
