"""The server store's tables, their version, and the steps that migrate an older file.

The version lives in ``meta`` under ``schema_version``. :data:`STEPS` holds one
step per version, keyed by the version it produces: step 1 creates the tables of
a new file, a later step ``n`` turns a version ``n - 1`` file into version ``n``.
Opening the store applies the missing steps in one transaction, so a failed step
leaves the file at the version it had. A file newer than this code is refused.

The layout is chosen for what a commit has to write. WAL mode writes every page a
transaction changed, whole; a page changed by one message costs as much as a
page changed by a hundred. So the rows every message touches sit in narrow,
ordered tables:

* ``queues``: per account, the count of waiting messages (checked against the
  cap on every send) and the last message id stored before the account was
  registered (``since_message``: message ids only grow), apart from the wide
  ``accounts`` rows, whose public keys take a page or more each. Version 1 kept
  the count in ``accounts``: a hundred recipients in one commit meant a hundred
  account pages rewritten.
* ``sent`` (the client ids that make a send idempotent) is keyed by client id
  first. Clients make ids that start with the time (see ``net/protocol/client_ids.py``),
  so a commit's new rows fall on the same few pages at the end of the index;
  version 1 keyed it by sender first, one page per sender in every commit.
  An id that does not start with the time is still correct, only dearer. Records
  are not looked up by sender, so deleting an account leaves its records to expire
  with everyone's; a record of a message stored before its sender registered is
  ignored, so a new owner of the number never meets the previous owner's ids.
  (Version 1 deleted them at once, so every version 1 record is its owner's.)

Version 3 makes a pending code belong to whoever asked for it and guards an
existing number:

* ``pending_codes`` is keyed by the hash of the token returned to the requester
  (one row per request, not one per phone), with an index by phone to count a
  number's live codes. Pending codes of a version 2 file are dropped by the
  upgrade: they live ten minutes, and their requesters never had a token.
* ``guards``: per account, the time of its last login (``last_active``) and its
  registration lock (salt, Argon2id hash, wrong attempts, refused-until time),
  narrow and apart from ``accounts``, whose wide rows a login then need not
  rewrite. An upgraded account counts as active since its registration.

Version 4 adds what the queue caps and the rate limits need, kept as narrow
as the rest: ``queues.bytes`` (the body bytes waiting for the account, beside
its count, so one statement checks every cap); ``sender_queues``, per
(recipient, sender) the messages waiting, keyed by recipient first so a send
and the acknowledgements of one recipient touch that recipient's page only;
and ``rate_events``, the events the rate limits count (per limiter, key and
millisecond, with a count for events in the same millisecond), written in the
same group commit as the request that caused them, so a restart forgets none.
No sender can have more waiting than the whole queue, so per-sender counts
matter only for a queue at least as long as the per-sender cap: they are kept
only for a queue whose ``queues.tracked`` is 1, set (after counting its
messages once) by the first send that finds the queue that long, and cleared,
with its rows, by the store's prune once the queue is empty. So a send to
the short queue of nearly everyone stays four statements (its ``UPDATE`` of
``queues`` checks every cap and counts it); a send to a tracked queue adds the
upsert of its sender's row; an acknowledgement adds one read (what it deletes,
per sender) to its delete and its update of ``queues``, and updates per-sender
rows only for a tracked queue. (A tracked row that falls to 0 stays until the
prune too.)

Version 5 keys ``sent`` by (client id, sender, recipient): ``send_many`` stores
one copy of a message per recipient under one client id, and a ``send`` and a
``send_many`` with the same client id to the same recipient are one message
(net/protocol/PROTOCOL.md). Still client id first, so a commit's records stay on
a few pages, and a ``send_many``'s copies sit side by side. The upgrade finds the
recipient of a record whose message still waits; a record whose message was
acknowledged already keeps the recipient ``''``, which matches every recipient
(the rule it was made under: one message per client id), until it expires with
everyone's after 7 days.

Version 6 adds ``blobs``: one row per blob (a file's sealed bytes, whose own
bytes are files beside the database, see ``storage/server/blobs.py``), keyed by
the SHA-256 of its id so that the file gives no id away. ``deadline`` is when the
blob dies (see there); indexes by owner (the quota sums an owner's live blobs) and
by deadline (the sweep takes the dead ones, oldest first). No older row changes.

Version 7 gives a queued message an expiry: ``messages.expires_at``, milliseconds since
1970 after which it is no longer delivered, 0 for none (every message of an older file).
A partial index holds only the messages that expire, ordered by when, so the sweep finds
the expired ones without reading the others, and a send without an expiry writes no
index entry more than before.

Version 8 gives an account devices (1 to 5, see net/protocol/PROTOCOL.md, "Devices"): what was
the account's becomes its device 1's.

* ``devices``: per (account, device id) its login key (NULL for the identity's own signing key,
  which device 1 logs in with), its sealed name (opaque bytes), ``created``, ``last_seen`` (to the
  hour, like ``guards.last_active``) and ``removed`` (ms when unlinked, 0 while it is live). A
  removed row stays, so that the device's later login is told ``device_unlinked``; its prekeys,
  queue and messages go at once. Narrow (no keys but the 32-byte login key), so a send's check of
  the recipient's device set reads a page or two.
* ``device_keys``: the signed prekey and last-resort ML-KEM key of each live device (the wide part
  of the old ``accounts`` rows).
* ``accounts`` keeps the account's own columns and gains ``next_device`` (the next id to give:
  ids are never reused) and ``since_message`` (moved here from ``queues``: it is the account's, not
  a device's, and the duplicate check of every send joins it by sender). Without its keys the row
  is small, so the table is ``WITHOUT ROWID``: that join is one b-tree lookup, as it was on ``queues``.
* ``queues.devices``: on each queue of an account, how many live devices the account has (kept
  by linking and unlinking). A send to another number of one device checks its device set in the
  statement that counts the copy (``devices = 1``), so that send reads and writes nothing more
  than before.
* ``queues``, ``sender_queues``, ``one_time_prekeys`` and ``kem_prekeys`` are keyed by (account,
  device); ``messages`` gains ``device`` (the recipient's device) and ``sender_device``, and its
  index becomes (recipient, device, id). ``sent`` stays per recipient: one record per client id,
  sender and recipient, whichever devices the copies went to.

The upgrade makes every existing row device 1's (an account's ``next_device`` is 2).

Version 9 gives a device a login epoch: ``devices.login_epoch``, which every login on a node of a
cluster moves on in the login's own turn (one more than before, and at least the time in ms, so a
device row made anew by a re-registration still counts above the logins before it). The node puts it
in the login's hint, and another node ends its session of that device only if its own login's epoch
is lower, so a hint that arrives late never ends the newer session.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from storage.server.records import SchemaMismatch

Step = Callable[[sqlite3.Connection], None]

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE accounts (
    phone TEXT PRIMARY KEY, email TEXT NOT NULL, identity TEXT NOT NULL,
    signed_prekey TEXT NOT NULL, kem_last_resort TEXT NOT NULL,
    queued INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE TABLE pending_codes (
    phone TEXT PRIMARY KEY, email TEXT NOT NULL, code_hash BLOB NOT NULL,
    expires_at INTEGER NOT NULL, attempts_left INTEGER NOT NULL);
CREATE TABLE one_time_prekeys (
    phone TEXT NOT NULL, key_id INTEGER NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (phone, key_id)) WITHOUT ROWID;
CREATE TABLE kem_prekeys (
    phone TEXT NOT NULL, key_id INTEGER NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (phone, key_id)) WITHOUT ROWID;
CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL, sender TEXT NOT NULL,
    body BLOB NOT NULL, ts INTEGER NOT NULL);
CREATE INDEX messages_by_recipient ON messages (recipient, id);
CREATE TABLE sent (
    sender TEXT NOT NULL, client_id TEXT NOT NULL, message_id INTEGER NOT NULL, ts INTEGER NOT NULL,
    PRIMARY KEY (sender, client_id)) WITHOUT ROWID;
CREATE INDEX sent_by_ts ON sent (ts);
"""

# Tables are rebuilt rather than altered column by column: SQLite before 3.35 cannot drop a column.
_V2 = """
CREATE TABLE queues (
    phone TEXT PRIMARY KEY, queued INTEGER NOT NULL, since_message INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO queues SELECT phone, queued, 0 FROM accounts;
CREATE TABLE accounts_v2 (
    phone TEXT PRIMARY KEY, email TEXT NOT NULL, identity TEXT NOT NULL,
    signed_prekey TEXT NOT NULL, kem_last_resort TEXT NOT NULL, created_at INTEGER NOT NULL);
INSERT INTO accounts_v2
    SELECT phone, email, identity, signed_prekey, kem_last_resort, created_at FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_v2 RENAME TO accounts;
CREATE TABLE sent_v2 (
    client_id TEXT NOT NULL, sender TEXT NOT NULL, message_id INTEGER NOT NULL, ts INTEGER NOT NULL,
    PRIMARY KEY (client_id, sender)) WITHOUT ROWID;
INSERT INTO sent_v2 SELECT client_id, sender, message_id, ts FROM sent;
DROP TABLE sent;
ALTER TABLE sent_v2 RENAME TO sent;
CREATE INDEX sent_by_ts ON sent (ts);
"""


_V3 = """
DROP TABLE pending_codes;
CREATE TABLE pending_codes (
    token_hash BLOB PRIMARY KEY, phone TEXT NOT NULL, email TEXT NOT NULL, code_hash BLOB NOT NULL,
    expires_at INTEGER NOT NULL, attempts_left INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX pending_codes_by_phone ON pending_codes (phone, expires_at);
CREATE TABLE guards (
    phone TEXT PRIMARY KEY, last_active INTEGER NOT NULL, lock_salt BLOB, lock_hash BLOB,
    lock_failures INTEGER NOT NULL DEFAULT 0, lock_refused_until INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
INSERT INTO guards (phone, last_active) SELECT phone, created_at FROM accounts;
"""

_V4 = """
ALTER TABLE queues ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN tracked INTEGER NOT NULL DEFAULT 0;
UPDATE queues SET bytes = (
    SELECT COALESCE(SUM(length(body)), 0) FROM messages WHERE recipient = queues.phone);
CREATE TABLE sender_queues (
    recipient TEXT NOT NULL, sender TEXT NOT NULL, queued INTEGER NOT NULL,
    PRIMARY KEY (recipient, sender)) WITHOUT ROWID;
CREATE TABLE rate_events (
    limiter TEXT NOT NULL, key TEXT NOT NULL, at INTEGER NOT NULL, count INTEGER NOT NULL,
    expires_at INTEGER NOT NULL, PRIMARY KEY (limiter, key, at)) WITHOUT ROWID;
"""

_V5 = """
CREATE TABLE sent_v5 (
    client_id TEXT NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL, message_id INTEGER NOT NULL,
    ts INTEGER NOT NULL, PRIMARY KEY (client_id, sender, recipient)) WITHOUT ROWID;
INSERT INTO sent_v5 SELECT s.client_id, s.sender, COALESCE(m.recipient, ''), s.message_id, s.ts
    FROM sent AS s LEFT JOIN messages AS m ON m.id = s.message_id AND m.sender = s.sender;
DROP TABLE sent;
ALTER TABLE sent_v5 RENAME TO sent;
CREATE INDEX sent_by_ts ON sent (ts);
"""

_V6 = """
CREATE TABLE blobs (
    number INTEGER PRIMARY KEY AUTOINCREMENT, key BLOB NOT NULL UNIQUE, owner TEXT NOT NULL,
    size INTEGER NOT NULL, received INTEGER NOT NULL, digest BLOB, created INTEGER NOT NULL,
    expires INTEGER NOT NULL, deadline INTEGER NOT NULL);
CREATE INDEX blobs_by_owner ON blobs (owner, deadline);
CREATE INDEX blobs_by_deadline ON blobs (deadline);
"""

_V7 = """
ALTER TABLE messages ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_by_expiry ON messages (expires_at) WHERE expires_at > 0;
"""

_V8 = """
CREATE TABLE devices (
    phone TEXT NOT NULL, device INTEGER NOT NULL, login_key BLOB, name BLOB NOT NULL,
    created INTEGER NOT NULL, last_seen INTEGER NOT NULL, removed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (phone, device)) WITHOUT ROWID;
INSERT INTO devices SELECT a.phone, 1, NULL, x'', a.created_at, COALESCE(g.last_active, a.created_at), 0
    FROM accounts AS a LEFT JOIN guards AS g ON g.phone = a.phone;
CREATE TABLE device_keys (
    phone TEXT NOT NULL, device INTEGER NOT NULL, signed_prekey TEXT NOT NULL, kem_last_resort TEXT NOT NULL,
    PRIMARY KEY (phone, device));
INSERT INTO device_keys SELECT phone, 1, signed_prekey, kem_last_resort FROM accounts;
CREATE TABLE accounts_v8 (
    phone TEXT PRIMARY KEY, email TEXT NOT NULL, identity TEXT NOT NULL, created_at INTEGER NOT NULL,
    next_device INTEGER NOT NULL, since_message INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO accounts_v8 SELECT a.phone, a.email, a.identity, a.created_at, 2, COALESCE(q.since_message, 0)
    FROM accounts AS a LEFT JOIN queues AS q ON q.phone = a.phone;
DROP TABLE accounts;
ALTER TABLE accounts_v8 RENAME TO accounts;
CREATE TABLE queues_v8 (
    phone TEXT NOT NULL, device INTEGER NOT NULL, queued INTEGER NOT NULL, bytes INTEGER NOT NULL DEFAULT 0,
    tracked INTEGER NOT NULL DEFAULT 0, devices INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (phone, device)) WITHOUT ROWID;
INSERT INTO queues_v8 SELECT phone, 1, queued, bytes, tracked, 1 FROM queues;
DROP TABLE queues;
ALTER TABLE queues_v8 RENAME TO queues;
CREATE TABLE sender_queues_v8 (
    recipient TEXT NOT NULL, device INTEGER NOT NULL, sender TEXT NOT NULL, queued INTEGER NOT NULL,
    PRIMARY KEY (recipient, device, sender)) WITHOUT ROWID;
INSERT INTO sender_queues_v8 SELECT recipient, 1, sender, queued FROM sender_queues;
DROP TABLE sender_queues;
ALTER TABLE sender_queues_v8 RENAME TO sender_queues;
CREATE TABLE one_time_prekeys_v8 (
    phone TEXT NOT NULL, device INTEGER NOT NULL, key_id INTEGER NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (phone, device, key_id)) WITHOUT ROWID;
INSERT INTO one_time_prekeys_v8 SELECT phone, 1, key_id, key FROM one_time_prekeys;
DROP TABLE one_time_prekeys;
ALTER TABLE one_time_prekeys_v8 RENAME TO one_time_prekeys;
CREATE TABLE kem_prekeys_v8 (
    phone TEXT NOT NULL, device INTEGER NOT NULL, key_id INTEGER NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (phone, device, key_id)) WITHOUT ROWID;
INSERT INTO kem_prekeys_v8 SELECT phone, 1, key_id, key FROM kem_prekeys;
DROP TABLE kem_prekeys;
ALTER TABLE kem_prekeys_v8 RENAME TO kem_prekeys;
ALTER TABLE messages ADD COLUMN device INTEGER NOT NULL DEFAULT 1;
ALTER TABLE messages ADD COLUMN sender_device INTEGER NOT NULL DEFAULT 1;
DROP INDEX messages_by_recipient;
CREATE INDEX messages_by_recipient ON messages (recipient, device, id);
"""

_V9 = """
ALTER TABLE devices ADD COLUMN login_epoch INTEGER NOT NULL DEFAULT 0
"""


def _script(sql: str) -> Step:
    def step(conn: sqlite3.Connection) -> None:
        # One statement at a time: ``executescript`` would commit the surrounding transaction.
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)

    return step


STEPS: dict[int, Step] = {
    1: _script(_V1),
    2: _script(_V2),
    3: _script(_V3),
    4: _script(_V4),
    5: _script(_V5),
    6: _script(_V6),
    7: _script(_V7),
    8: _script(_V8),
    9: _script(_V9),
}
VERSION = max(STEPS)


def file_version(conn: sqlite3.Connection) -> int | None:
    """The file's schema version: 0 for a file without Parley's tables, None if it cannot be read."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is None:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    text = row[0] if row is not None else None
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or text.startswith("0"):
        return None
    return int(text)


def upgrade(conn: sqlite3.Connection, name: str) -> int:
    """Bring the file to :data:`VERSION` in one transaction; returns the version it had (0: new).

    Raises :class:`SchemaMismatch` for a file newer than this code, or with a ``meta`` table whose
    version cannot be read. A failed step leaves the file as it was and raises the step's error.
    """
    # Read the version inside the write transaction: another process may be upgrading the same file.
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = file_version(conn)
        if found is None or found > VERSION:
            shown = "no readable schema version" if found is None else f"schema version {found}"
            raise SchemaMismatch(f"{name} has {shown}; this server reads versions up to {VERSION}")
        for version in range(found + 1, VERSION + 1):
            STEPS[version](conn)
        if found < VERSION:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(VERSION),))
        conn.execute("COMMIT")
    except BaseException:
        # After some errors (a full disk) SQLite has rolled the transaction back already.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return found
