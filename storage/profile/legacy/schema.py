"""The profile's tables, their version, and the steps that migrate an older file.

The schema version is SQLite's ``user_version``. :data:`CURRENT` lists one step
per version, keyed by the version it produces: step 1 creates the tables of a
new file, a later step ``n`` turns a version ``n - 1`` file into version ``n``.
Opening a profile applies the missing steps in one transaction, so a failed
step leaves the file exactly at the version it had. Steps get the unlocked
:class:`~storage.profile.legacy.vault.Vault`, so a step can reseal values too.

The ``meta`` table (format, profile id, name, wrapped master key) is read
before the passphrase is known; its layout never changes across versions.

What is stored in clear, and why (everything else is sealed):

* ``meta.name``: the profile's display name, so the app can list profiles
  before asking for a passphrase. The team chose to keep the phone number sealed.
* Blind indexes (HMAC under a key derived from the master key) instead of phone
  numbers, server addresses and client message ids, one index kind per table so
  that rows of two tables cannot be linked from the file alone.
* Message time (integer milliseconds), direction and status, so that history
  pages in time order through an index and unread messages are counted without
  decrypting them. A stolen file thus shows how many messages each (blinded)
  conversation has and when; never what they say or with whom.
* Creation times of prekeys, and when a server message id was processed, so
  that old ones are pruned without opening them.
* Which signed prekey each accepted initial message used (the message itself
  only as a blind index of its session id), so the record goes with the prekey;
  and when healing started a session with a (blinded) contact, so the limit
  counts without opening anything.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from storage.profile.errors import MigrationFailed, ProfileError, ProfileTooNew
from storage.profile.legacy.vault import Vault

#: ``PRAGMA application_id``: marks the file as a Parley profile ("PRLY").
APPLICATION_ID = 0x50524C59

Step = Callable[[Vault], None]

_V1_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE records (name TEXT PRIMARY KEY, sealed BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE server_pins (server BLOB PRIMARY KEY, sealed BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE signed_prekeys (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, sealed BLOB NOT NULL);
CREATE TABLE one_time_prekeys (id INTEGER PRIMARY KEY, sealed BLOB NOT NULL);
CREATE TABLE kem_prekeys (
    id INTEGER PRIMARY KEY,
    last_resort INTEGER NOT NULL CHECK (last_resort IN (0, 1)),
    created_at INTEGER NOT NULL,
    sealed BLOB NOT NULL
);
CREATE TABLE contacts (contact BLOB PRIMARY KEY, sealed BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE sessions (contact BLOB PRIMARY KEY, sealed BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE conversations (conversation BLOB PRIMARY KEY, sealed BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation BLOB NOT NULL REFERENCES conversations (conversation),
    client BLOB NOT NULL,
    outgoing INTEGER NOT NULL CHECK (outgoing IN (0, 1)),
    ts INTEGER NOT NULL,
    status TEXT NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (conversation, outgoing, client)
);
CREATE INDEX messages_by_time ON messages (conversation, ts, id);
CREATE INDEX messages_unread ON messages (conversation) WHERE outgoing = 0 AND status = 'received';
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    client BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    sealed BLOB NOT NULL
);
CREATE TABLE processed (server_message BLOB PRIMARY KEY, seen_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX processed_by_time ON processed (seen_at);
"""


#: Version 2: the initial messages already accepted (so a replay cannot start their session again),
#: and when healing started a new session with a contact (so the daily limit survives a restart).
_V2_TABLES = """
CREATE TABLE accepted_initials (session BLOB PRIMARY KEY, signed_prekey INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX accepted_initials_by_prekey ON accepted_initials (signed_prekey);
CREATE TABLE heals (contact BLOB NOT NULL, at INTEGER NOT NULL);
CREATE INDEX heals_by_contact ON heals (contact, at);
"""


def _run(vault: Vault, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            vault.conn.execute(statement)


def _create_v1(vault: Vault) -> None:
    _run(vault, _V1_TABLES)


def _add_replay_and_heal_records(vault: Vault) -> None:
    _run(vault, _V2_TABLES)


@dataclass(frozen=True)
class Schema:
    """Migration steps keyed by the version each produces; the schema's version is the highest key."""

    steps: Mapping[int, Step]

    def __post_init__(self) -> None:
        if not self.steps or sorted(self.steps) != list(range(1, len(self.steps) + 1)):
            raise ValueError("schema steps must be numbered 1, 2, 3, ... without gaps")

    @property
    def version(self) -> int:
        return max(self.steps)


CURRENT = Schema({1: _create_v1, 2: _add_replay_and_heal_records})


def file_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def check_readable(conn: sqlite3.Connection, schema: Schema) -> int:
    """The file's version; :class:`ProfileTooNew` if this schema cannot read it."""
    found = file_version(conn)
    if found > schema.version:
        raise ProfileTooNew(found, schema.version)
    return found


def migrate(vault: Vault, schema: Schema = CURRENT) -> int:
    """Bring the file to ``schema.version`` in one transaction; return the version it had."""
    found = check_readable(vault.conn, schema)
    if found == schema.version:
        return found
    try:
        with vault.transaction():
            for version in range(found + 1, schema.version + 1):
                schema.steps[version](vault)
            # PRAGMA takes no parameters; the value is an int we computed.
            vault.conn.execute(f"PRAGMA user_version = {int(schema.version)}")
    except Exception as error:
        # SQLite's and our own messages name tables and kinds, never values; others only by type.
        detail = str(error) if isinstance(error, sqlite3.Error | ProfileError) else type(error).__name__
        raise MigrationFailed(
            f"could not upgrade the profile from schema version {found} to {schema.version} "
            f"({detail}); it was left at version {found}"
        ) from error
    return found
