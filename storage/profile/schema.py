"""The profile's tables, their version, and the steps that migrate an older database.

The schema version is SQLite's ``user_version``. :data:`CURRENT` lists one step
per version, keyed by the version it produces: step 1 creates the tables of a
new database, a later step ``n`` turns a version ``n - 1`` database into
version ``n``. Opening a profile applies the missing steps in one transaction,
so a failed step leaves the database exactly at the version it had. (Files of
the format before the encrypted database are not migrated here: they are
upgraded into a new folder by :mod:`storage.profile.upgrade`.)

The whole database, its write-ahead log included, is encrypted by SQLCipher,
so rows hold real columns: phone numbers, client ids, message text, times and
statuses. There are no blind indexes and no per-row seals any more; the one
exception is for rows an upgrade brought from the old format that cannot be
turned back into their values (the ids of processed server messages and of
accepted initial messages were kept only as blind indexes): they keep their
old index, and a lookup asks for both (see :class:`~storage.profile.vault.Vault`).

Private keys are **not** sealed a second time inside the database. A second
seal would be under a key derived from the same master key, which sits in the
same process memory as the database key whenever the profile is open; it would
protect only against someone who has the database key but not the master key,
and no path gives that (both come from the header with the passphrase). It
would cost a second key hierarchy, per-row failure modes and code that must be
right twice. SQLCipher's per-page HMAC already makes a moved or altered page fail
as damage. (Backups are sealed under a passphrase of their own, elsewhere.)

Since version 3 a row of ``messages`` has a ``kind``: ``text`` for a message,
or a notice's kind (``key_changed``) for a line the timeline shows between
messages; a notice has an empty body, so the search index never finds it.
Since version 4 a conversation is a contact's or a group's, a group's incoming
messages name their sender, groups keep their changes, our group messages their
receipts per member, and the outbox one copy per recipient (step 4 below).

Messages are indexed for full-text search by ``messages_fts``, an FTS5 table
with the ``trigram`` tokenizer (so part of a word, in any script, matches),
whose content is the ``messages`` table itself; triggers keep it in step on
insert, on an edit of the body and on delete, in the same transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from storage.profile.errors import DATABASE_ERRORS, MigrationFailed, ProfileError, ProfileTooNew
from storage.profile.vault import Vault

#: ``PRAGMA application_id``: marks the database as a Parley profile ("PRLY").
APPLICATION_ID = 0x50524C59

Step = Callable[[Vault], None]

_V1_TABLES = """
CREATE TABLE records (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE server_pins (server TEXT PRIMARY KEY, fingerprint TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE signed_prekeys (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, key TEXT NOT NULL);
CREATE TABLE one_time_prekeys (id INTEGER PRIMARY KEY, key TEXT NOT NULL);
CREATE TABLE kem_prekeys (
    id INTEGER PRIMARY KEY,
    last_resort INTEGER NOT NULL CHECK (last_resort IN (0, 1)),
    created_at INTEGER NOT NULL,
    key TEXT NOT NULL
);
CREATE TABLE accepted_initials (session BLOB PRIMARY KEY, signed_prekey INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX accepted_initials_by_prekey ON accepted_initials (signed_prekey);
CREATE TABLE contacts (
    phone TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    identity TEXT,
    verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
    key_changed INTEGER NOT NULL CHECK (key_changed IN (0, 1)),
    previous_identity TEXT
) WITHOUT ROWID;
CREATE TABLE sessions (phone TEXT PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE heals (phone TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX heals_by_phone ON heals (phone, at);
CREATE TABLE conversations (id INTEGER PRIMARY KEY, contact TEXT NOT NULL UNIQUE);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation INTEGER NOT NULL REFERENCES conversations (id),
    client TEXT NOT NULL,
    outgoing INTEGER NOT NULL CHECK (outgoing IN (0, 1)),
    ts INTEGER NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    meta TEXT NOT NULL,
    UNIQUE (conversation, outgoing, client)
);
CREATE INDEX messages_by_time ON messages (conversation, ts, id);
CREATE INDEX messages_by_global_time ON messages (ts, id);
CREATE INDEX messages_unread ON messages (conversation) WHERE outgoing = 0 AND status = 'received';
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body, content = 'messages', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    client TEXT NOT NULL UNIQUE,
    contact TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE processed (server_message BLOB PRIMARY KEY, seen_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX processed_by_time ON processed (seen_at);
"""


def _run(vault: Vault, script: str) -> None:
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        # A trigger's body holds ";" of its own: run a statement only once SQLite says it is complete.
        if sqlite3.complete_statement(statement):
            vault.conn.execute(statement)
            statement = ""


def _create_v1(vault: Vault) -> None:
    _run(vault, _V1_TABLES)
    vault.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


#: Version 2: names sent end to end, and message requests. Each contact gains the name they sent
#: (``profile_name``, with its version), the version of our own name last queued to them
#: (``profile_sent``) and its standing: ``accepted`` (every contact before this version),
#: ``request`` (a stranger who wrote first) or ``blocked``. A nickname equal to the number
#: was the old way of saying "no nickname"; it becomes "".
_V2_CONTACTS = """
ALTER TABLE contacts ADD COLUMN profile_name TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN profile_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN profile_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN standing TEXT NOT NULL DEFAULT 'accepted'
    CHECK (standing IN ('accepted', 'request', 'blocked'));
UPDATE contacts SET name = '' WHERE name = phone;
"""


def _names_and_requests_v2(vault: Vault) -> None:
    _run(vault, _V2_CONTACTS)


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


#: Step 3: a message row says what it is. ``text`` is a message; ``key_changed`` is a notice in
#: the timeline that the contact's safety number changed (no body, never unread, never receipted,
#: kept like a message so that it stays in its place after a restart).
_V3_KIND = "ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'text'"


def _add_kind_v3(vault: Vault) -> None:
    vault.conn.execute(_V3_KIND)


#: Step 4: groups. A group is a row of ``groups`` (our standing in it, the state the engine folded
#: from its changes, cached as JSON); its changes are rows of ``group_changes``, each kept as the
#: signed JSON it came as, beside the columns the fold's order and the engine's lookups need (the
#: storage never reads a change: it keeps them). A conversation is a contact's or a group's
#: (``conversations`` gains ``grp``, one of the two set); a group's incoming message names its
#: ``sender``, so one message id from two members is two messages (the unique key of ``messages``
#: gains it). Our group messages keep a receipt per member (``group_receipts``). The outbox holds one
#: copy per recipient of a group message under the same client id: its key becomes
#: (client id, recipient). SQLite cannot change a table's constraints in place, so
#: ``conversations``, ``messages`` and ``outbox`` are rebuilt: row ids, texts, times and order kept,
#: so the full-text index (whose content is ``messages`` by row id) stays as it is.
_V4_GROUPS = """
CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    standing TEXT NOT NULL CHECK (standing IN ('member', 'request', 'left', 'removed')),
    state TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE group_changes (
    grp TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    change TEXT NOT NULL,
    v INTEGER NOT NULL,
    author TEXT NOT NULL,
    signed TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('valid', 'ignored', 'unfolded', 'waiting')),
    noted INTEGER NOT NULL DEFAULT 0 CHECK (noted IN (0, 1)),
    received_at INTEGER NOT NULL,
    PRIMARY KEY (grp, change)
) WITHOUT ROWID;
CREATE INDEX group_changes_in_order ON group_changes (grp, v, author, change);
CREATE TABLE conversations_v4 (
    id INTEGER PRIMARY KEY,
    contact TEXT UNIQUE,
    grp TEXT UNIQUE REFERENCES groups (id),
    CHECK ((contact IS NULL) <> (grp IS NULL))
);
INSERT INTO conversations_v4 (id, contact) SELECT id, contact FROM conversations;
CREATE TABLE messages_v4 (
    id INTEGER PRIMARY KEY,
    conversation INTEGER NOT NULL REFERENCES conversations_v4 (id),
    client TEXT NOT NULL,
    outgoing INTEGER NOT NULL CHECK (outgoing IN (0, 1)),
    ts INTEGER NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    meta TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'text',
    sender TEXT NOT NULL DEFAULT '',
    UNIQUE (conversation, outgoing, sender, client)
);
INSERT INTO messages_v4 (id, conversation, client, outgoing, ts, status, body, meta, kind)
    SELECT id, conversation, client, outgoing, ts, status, body, meta, kind FROM messages;
DROP TABLE messages;
DROP TABLE conversations;
ALTER TABLE conversations_v4 RENAME TO conversations;
ALTER TABLE messages_v4 RENAME TO messages;
CREATE INDEX messages_by_time ON messages (conversation, ts, id);
CREATE INDEX messages_by_global_time ON messages (ts, id);
CREATE INDEX messages_unread ON messages (conversation) WHERE outgoing = 0 AND status = 'received';
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TABLE group_receipts (
    message INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    member TEXT NOT NULL,
    delivered_at INTEGER,
    read_at INTEGER,
    PRIMARY KEY (message, member)
);
CREATE TABLE outbox_v4 (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    client TEXT NOT NULL,
    contact TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (client, contact)
);
INSERT INTO outbox_v4 (seq, client, contact, payload, created_at)
    SELECT seq, client, contact, payload, created_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v4 RENAME TO outbox;
"""


def _groups_v4(vault: Vault) -> None:
    # The outbox's counter goes on from where it was, so a new entry never takes an old one's number.
    counter = vault.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    # The new tables are built beside the old ones and take their names; with foreign keys on, a
    # table that other rows point to can only be dropped once nothing points to it, hence the order.
    _run(vault, _V4_GROUPS)
    if counter is not None:
        vault.conn.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'outbox'", counter)


#: Step 5: profile pictures. A contact's is the small square JPEG their profile payload carried
#: (NULL: none); our own lives in ``records`` under ``profile_picture`` and needs no column.
_V5_PICTURES = "ALTER TABLE contacts ADD COLUMN picture BLOB"


def _pictures_v5(vault: Vault) -> None:
    vault.conn.execute(_V5_PICTURES)


#: Step 6: pictures and files. A message that carries one has a row of ``attachments`` (removed with
#: it): the announcing payload's ``file`` object as JSON (``spec``: the blob's id, its key and digest,
#: the name, type, size, dimensions and thumbnail; no blob id or digest yet while ours is sealed), the
#: transfer's state and how many sealed bytes it moved (``done``), the random name of its sealed copy
#: in the profile's ``files`` folder (``file``), the path it is read from while ours is sealed
#: (``source``, "" once sealed or for a pasted picture), and why it failed, in words (``error``).
_V6_ATTACHMENTS = """
CREATE TABLE attachments (
    message INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    spec TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN (
        'preparing', 'uploading', 'waiting', 'downloading', 'paused', 'done', 'failed', 'cancelled'
    )),
    done INTEGER NOT NULL DEFAULT 0,
    file TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX attachments_by_state ON attachments (state);
"""


def _attachments_v6(vault: Vault) -> None:
    _run(vault, _V6_ATTACHMENTS)


#: Step 7: what people do with a message. ``message_marks``: a reply's quote (the original's author, ""
#: for ours, its client id and the start of its text), when it was last edited (the editor's time, ms)
#: and whether it was deleted for everyone (its text then gone). ``reactions``: one per (message,
#: reactor; "" for us), "" once taken back (kept, with its time, so an older one arriving late loses).
#: ``edits``: the earlier versions of an edited text. ``pending_actions``: an action that came before
#: its message, by the conversation (``chat``: "c:" and a phone, or "g:" and a group id), the
#: message's author and client id. ``gone_messages``: a message deleted for us, so a copy sent again
#: is not stored again.
_V7_ACTIONS = """
CREATE TABLE message_marks (
    message INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    reply_author TEXT NOT NULL DEFAULT '',
    reply_client TEXT NOT NULL DEFAULT '',
    reply_text TEXT NOT NULL DEFAULT '',
    edited_at INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX marks_by_reply ON message_marks (reply_client) WHERE reply_client != '';
CREATE TABLE reactions (
    message INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    reactor TEXT NOT NULL,
    emoji TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (message, reactor)
);
CREATE TABLE edits (
    message INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    replaced_at INTEGER NOT NULL,
    PRIMARY KEY (message, version)
);
CREATE TABLE pending_actions (
    id INTEGER PRIMARY KEY,
    chat TEXT NOT NULL,
    author TEXT NOT NULL,
    client TEXT NOT NULL,
    actor TEXT NOT NULL,
    payload TEXT NOT NULL,
    arrived_at INTEGER NOT NULL
);
CREATE INDEX pending_by_target ON pending_actions (chat, author, client);
CREATE TABLE gone_messages (
    chat TEXT NOT NULL,
    author TEXT NOT NULL,
    client TEXT NOT NULL,
    PRIMARY KEY (chat, author, client)
);
"""


def _actions_v7(vault: Vault) -> None:
    _run(vault, _V7_ACTIONS)


#: Step 8: disappearing messages. ``chat_timers``: a conversation's timer (``chat`` as in step 7, seconds,
#: 0 off), when it was set (the setter's clock, ms) and by whom (a phone, ours too: the newest setting
#: wins on every side, the greater phone on a tie). ``message_timers``: the timer a message was sent
#: under and when it disappears here (ms; 0 while an incoming one is not read yet), indexed by that
#: time for the expiry. And the search index forgets for good: FTS5's ``secure-delete`` removes a
#: deleted text's entries from the index's pages instead of adding tombstones beside them (which
#: keep its trigrams until a merge), and one ``optimize`` merges the index now, so the entries
#: older deletions left behind go too (``secure_delete`` zeroes the freed pages).
_V8_TIMERS = """
CREATE TABLE chat_timers (
    chat TEXT PRIMARY KEY,
    seconds INTEGER NOT NULL CHECK (seconds >= 0),
    set_at INTEGER NOT NULL,
    set_by TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE message_timers (
    message INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    timer INTEGER NOT NULL CHECK (timer > 0),
    expires_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX message_timers_due ON message_timers (expires_at) WHERE expires_at > 0;
INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO messages_fts (messages_fts) VALUES ('optimize');
"""


def _timers_v8(vault: Vault) -> None:
    _run(vault, _V8_TIMERS)


# Version 9: linked devices. A contact (and we) may use up to five computers, each with its own
# ratchet session: ``sessions`` is keyed by (phone, device), every older row is device 1 (the only
# device an account had). ``known_devices`` holds the device ids we know of each phone, ours
# included; a phone with no row is taken to have device 1 only. Our own device id is the record
# ``own_device`` (absent: 1).
_V9_DEVICES = """
CREATE TABLE sessions_by_device (
    phone TEXT NOT NULL,
    device INTEGER NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (phone, device)
) WITHOUT ROWID;
INSERT INTO sessions_by_device (phone, device, state) SELECT phone, 1, state FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_by_device RENAME TO sessions;
CREATE TABLE known_devices (phone TEXT NOT NULL, device INTEGER NOT NULL, PRIMARY KEY (phone, device))
    WITHOUT ROWID;
"""


def _devices_v9(vault: Vault) -> None:
    _run(vault, _V9_DEVICES)


CURRENT = Schema(
    {
        1: _create_v1,
        2: _names_and_requests_v2,
        3: _add_kind_v3,
        4: _groups_v4,
        5: _pictures_v5,
        6: _attachments_v6,
        7: _actions_v7,
        8: _timers_v8,
        9: _devices_v9,
    }
)


def file_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def check_readable(conn: sqlite3.Connection, schema: Schema) -> int:
    """The database's version; :class:`ProfileTooNew` if this schema cannot read it."""
    found = file_version(conn)
    if found > schema.version:
        raise ProfileTooNew(found, schema.version)
    return found


def migrate(vault: Vault, schema: Schema = CURRENT) -> int:
    """Bring the database to ``schema.version`` in one transaction; return the version it had."""
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
        detail = str(error) if isinstance(error, (*DATABASE_ERRORS, ProfileError)) else type(error).__name__
        raise MigrationFailed(
            f"could not upgrade the profile from schema version {found} to {schema.version} "
            f"({detail}); it was left at version {found}"
        ) from error
    return found
