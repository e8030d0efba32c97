"""The server store's registration: pending codes per requester, account guards, accounts coming and going.

Each function is a job for the store's writer (it gets the write connection and
runs inside one transaction), or a read. A pending code is keyed by the hash of
its requester's token, so a stranger's ``register_start`` or wrong guesses touch
only the stranger's own row. A number's live codes are capped: a start beyond
the cap is refused, never made room for by evicting someone else's code.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from storage.server.prekeys import insert_prekeys
from storage.server.records import AccountKeys, CodeCheck, Guard, Registration, TooManyCodes, UnknownAccount
from storage.server.sql import FOR_UPDATE, Db, Reader, Writer


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def put_code(
    db: Db,
    token_hash: bytes,
    phone: str,
    email: str,
    code_hash: bytes,
    now: int,
    expires_at: int,
    attempts: int,
    cap: int,
) -> None:
    if db.shared:
        db.lock(f"codes {phone}")  # two nodes counting a number's codes at once would both find room
    live = db.execute(
        "SELECT COUNT(*) FROM pending_codes WHERE phone = ? AND expires_at > ? AND attempts_left > 0",
        (phone, now),
    ).fetchone()[0]
    if live >= cap:
        raise TooManyCodes(f"{live} codes are waiting")
    db.execute(
        "INSERT INTO pending_codes VALUES (?, ?, ?, ?, ?, ?)",
        (token_hash, phone, email, code_hash, expires_at, attempts),
    )


def lock_account(db: Db, phone: str) -> None:
    """Hold the account's lock to the commit (several nodes): whatever reads the account and then changes
    it (who owns the number, its devices) takes it first, so a second node's reads wait for the first's
    commit. SQLite has one writer at a time: not even the key is formatted."""
    if db.shared:
        db.lock(f"account {phone}")


def check_code(db: Db, token_hash: bytes, phone: str, code_hash: bytes, now: int) -> Registration:
    """Check the requester's code, using one of its attempts when wrong; a right code stays usable."""
    row = db.execute(
        "SELECT phone, email, code_hash, expires_at, attempts_left FROM pending_codes"  # noqa: S608
        " WHERE token_hash = ?" + FOR_UPDATE,  # a fixed marker: two guesses at once use two attempts
        (token_hash,),
    ).fetchone()
    if row is None or row[0] != phone:
        return Registration(CodeCheck.NO_CODE)
    _, email, stored_hash, expires_at, attempts_left = row
    if attempts_left <= 0:
        return Registration(CodeCheck.LOCKED)
    if now >= expires_at:
        return Registration(CodeCheck.EXPIRED)
    if not hmac.compare_digest(stored_hash, code_hash):
        db.execute(
            "UPDATE pending_codes SET attempts_left = ? WHERE token_hash = ?", (attempts_left - 1, token_hash)
        )
        return Registration(CodeCheck.WRONG, attempts_left - 1)
    on_file = db.execute("SELECT email FROM accounts WHERE phone = ?", (phone,)).fetchone()
    if on_file is not None and not hmac.compare_digest(on_file[0].encode(), email.encode()):
        return Registration(CodeCheck.NOT_OWNER)  # it went to the requester's address, not the owner's
    return Registration(CodeCheck.ACCEPTED, replaced=on_file is not None)


def code_email(db: Db, token_hash: bytes) -> str:
    return str(
        db.execute("SELECT email FROM pending_codes WHERE token_hash = ?", (token_hash,)).fetchone()[0]
    )


def use_code(db: Db, token_hash: bytes) -> None:
    db.execute("DELETE FROM pending_codes WHERE token_hash = ?", (token_hash,))


def insert_account(db: Db, phone: str, email: str, keys: AccountKeys, now: int, lock: Guard | None) -> None:
    """A new account's rows and its device 1's but its prekeys (the number has none now); ``lock``: a lock
    kept over."""
    db.execute(
        "INSERT INTO accounts (phone, email, identity, created_at, next_device, since_message)"
        " VALUES (?, ?, ?, ?, 2, ?)",
        (phone, email, _dumps(keys.identity), now, db.last_message_id()),
    )
    # Device 1 logs in with its own key if it gave one, else with the identity's signing key (NULL).
    insert_device(db, phone, 1, keys.login_key, b"", keys.signed_prekey, keys.kem_last_resort, now)
    salt, digest = (lock.lock_salt, lock.lock_hash) if lock is not None else (None, None)
    db.execute(
        "INSERT INTO guards (phone, last_active, lock_salt, lock_hash) VALUES (?, ?, ?, ?)",
        (phone, now, salt, digest),
    )


def insert_device(
    db: Db,
    phone: str,
    device: int,
    login_key: bytes | None,
    name: bytes,
    signed_prekey: dict[str, Any],
    kem_last_resort: dict[str, Any],
    now: int,
) -> None:
    """A live device's rows (its row, keys and empty queue) but its one-time prekeys."""
    db.execute(
        "INSERT INTO devices (phone, device, login_key, name, created, last_seen, removed)"
        " VALUES (?, ?, ?, ?, ?, ?, 0)",
        (phone, device, login_key, name, now, now),
    )
    db.execute(
        "INSERT INTO device_keys VALUES (?, ?, ?, ?)",
        (phone, device, _dumps(signed_prekey), _dumps(kem_last_resort)),
    )
    db.execute("INSERT INTO queues (phone, device, queued) VALUES (?, ?, 0)", (phone, device))
    count_devices(db, phone)


def count_devices(db: Db, phone: str) -> None:
    """Every queue of the account notes how many live devices (queues) it has: what a send checks."""
    db.execute(
        "UPDATE queues SET devices = (SELECT COUNT(*) FROM queues AS q WHERE q.phone = ?) WHERE phone = ?",
        (phone, phone),
    )


def guard(db: Db, phone: str) -> Guard | None:
    row = db.execute(
        "SELECT last_active, lock_salt, lock_hash, lock_failures, lock_refused_until"
        " FROM guards WHERE phone = ?",
        (phone,),
    ).fetchone()
    return None if row is None else Guard(*row)


#: Logins are recorded to the hour: a commit of many logins then rewrites few ``guards`` pages.
ACTIVITY_STEP_MS = 3600 * 1000


def mark_active(db: Db, phone: str, now: int, device: int = 1) -> None:
    """The account's last login, and the device's ``last_seen``, each to the hour."""
    db.execute(
        "UPDATE guards SET last_active = ? WHERE phone = ? AND last_active <= ?",
        (now, phone, now - ACTIVITY_STEP_MS),
    )
    db.execute(
        "UPDATE devices SET last_seen = ? WHERE phone = ? AND device = ? AND last_seen <= ?",
        (now, phone, device, now - ACTIVITY_STEP_MS),
    )


def set_lock(db: Db, phone: str, salt: bytes | None, digest: bytes | None) -> bool:
    """Set (or, with None, clear) the lock; False when the account is gone."""
    return (
        db.execute(
            "UPDATE guards SET lock_salt = ?, lock_hash = ?, lock_failures = 0, lock_refused_until = 0"
            " WHERE phone = ?",
            (salt, digest, phone),
        ).rowcount
        > 0
    )


def take_lock_attempt(db: Db, phone: str, now: int, limit: int, refusal_ms: int) -> int | None:
    """Use one lock attempt before the slow check (so parallel guesses cannot outrun the count).

    Returns the attempts left after this one, or None while the lock refuses attempts. The last
    attempt starts the refusal at once; a right answer lifts it (see :func:`lock_passed`).
    """
    row = db.execute(
        "SELECT lock_failures, lock_refused_until FROM guards WHERE phone = ?" + FOR_UPDATE,  # noqa: S608
        (phone,),
    ).fetchone()
    if row is None or row[1] > now:
        return None
    failures = int(row[0]) + 1
    if failures >= limit:
        db.execute(
            "UPDATE guards SET lock_failures = 0, lock_refused_until = ? WHERE phone = ?",
            (now + refusal_ms, phone),
        )
        return 0
    db.execute("UPDATE guards SET lock_failures = ? WHERE phone = ?", (failures, phone))
    return limit - failures


def lock_passed(db: Db, phone: str) -> None:
    db.execute("UPDATE guards SET lock_failures = 0, lock_refused_until = 0 WHERE phone = ?", (phone,))


class RegistrationStore:
    """The store's registration methods; :class:`~storage.server.store.SqliteServerStore` adds the rest."""

    _writer: Writer
    _reader: Reader

    def put_code(
        self,
        token_hash: bytes,
        phone: str,
        email: str,
        code_hash: bytes,
        now: int,
        expires_at: int,
        attempts: int,
        cap: int,
    ) -> None:
        """Remember a fresh code for one requester; :class:`TooManyCodes` when ``cap`` live ones wait."""
        self._writer.run(
            lambda db: put_code(db, token_hash, phone, email, code_hash, now, expires_at, attempts, cap)
        )

    def check_code(self, token_hash: bytes, phone: str, code_hash: bytes, now: int) -> Registration:
        """Check a requester's code (a wrong one uses an attempt) without using it up."""
        return self._writer.run(lambda db: check_code(db, token_hash, phone, code_hash, now))

    def finish_registration(
        self, token_hash: bytes, phone: str, code_hash: bytes, now: int, keys: AccountKeys, *, keep_lock: bool
    ) -> Registration:
        """Check the code (using an attempt) and, if it is right, create or replace the account.

        A replaced account keeps its registration lock only with ``keep_lock``.
        """

        def job(db: Db) -> Registration:
            lock_account(db, phone)  # before check_code reads whose the number is
            result = check_code(db, token_hash, phone, code_hash, now)
            if result.outcome is CodeCheck.ACCEPTED:
                email = code_email(db, token_hash)
                use_code(db, token_hash)
                _replace_account(db, phone, email, keys, now, keep_lock=keep_lock)
            return result

        return self._writer.run(job)

    def move_account(self, phone: str, now: int, keys: AccountKeys) -> bool:
        """New keys for an existing account (its owner proved it), keeping address and lock; False if gone."""

        def job(db: Db) -> bool:
            lock_account(db, phone)
            row = db.execute("SELECT email FROM accounts WHERE phone = ?", (phone,)).fetchone()
            if row is None:
                return False
            _replace_account(db, phone, row[0], keys, now, keep_lock=True)
            return True

        return self._writer.run(job)

    def guard(self, phone: str) -> Guard | None:
        """The account's last login and registration lock, or None without an account."""
        with self._reader() as db:
            return guard(db, phone)

    def mark_active(self, phone: str, now: int, device: int = 1) -> None:
        """A login of (account, device) at ``now``: the account's activity and the device's last seen."""
        self._writer.run(lambda db: mark_active(db, phone, now, device))

    def set_lock(self, phone: str, salt: bytes | None, lock_hash: bytes | None) -> None:
        """Set the registration lock (or clear it, with None); :class:`UnknownAccount` if gone."""
        if not self._writer.run(lambda db: set_lock(db, phone, salt, lock_hash)):
            raise UnknownAccount(phone)

    def take_lock_attempt(self, phone: str, now: int, limit: int, refusal_ms: int) -> int | None:
        """Use one attempt at the lock: the attempts left after it, or None while attempts are refused."""
        return self._writer.run(lambda db: take_lock_attempt(db, phone, now, limit, refusal_ms))

    def lock_passed(self, phone: str) -> None:
        self._writer.run(lambda db: lock_passed(db, phone))


# ---------------------------------------------------------------------- helpers (run inside the writer)


def _replace_account(db: Db, phone: str, email: str, keys: AccountKeys, now: int, *, keep_lock: bool) -> bool:
    lock_account(db, phone)  # two nodes replacing one account: the second waits, then replaces the first's
    lock = guard(db, phone) if keep_lock else None
    replaced = delete_account_rows(db, phone)
    insert_account(db, phone, email, keys, now, lock)
    insert_prekeys(db, phone, keys.one_time_prekeys, keys.kem_prekeys)
    return replaced


def delete_account_rows(db: Db, phone: str) -> bool:
    existed = db.execute("DELETE FROM accounts WHERE phone = ?", (phone,)).rowcount > 0
    db.execute("DELETE FROM guards WHERE phone = ?", (phone,))
    db.execute("DELETE FROM queues WHERE phone = ?", (phone,))
    db.execute("DELETE FROM sender_queues WHERE recipient = ?", (phone,))
    # Every device goes, removed ones too: a new owner's ids start at 1 again.
    db.execute("DELETE FROM devices WHERE phone = ?", (phone,))
    db.execute("DELETE FROM device_keys WHERE phone = ?", (phone,))
    db.execute("DELETE FROM one_time_prekeys WHERE phone = ?", (phone,))
    db.execute("DELETE FROM kem_prekeys WHERE phone = ?", (phone,))
    db.execute("DELETE FROM messages WHERE recipient = ?", (phone,))
    # Its client ids stay until they expire like everyone's: they are keyed by client id, not by
    # sender (a send would otherwise rewrite a page per sender), and a later owner of the number
    # never sees them (see enqueue). They only tell that this phone sent something, and when.
    return existed
