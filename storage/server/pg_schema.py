"""The PostgreSQL store's tables, their version, and the steps that upgrade an older database.

The same tables as the SQLite store's current version (``storage/server/schema.py``
says why each is shaped as it is), in PostgreSQL's types: times in milliseconds and
counts are ``BIGINT``, bytes ``BYTEA``, and message ids and blob numbers come from
sequences (``message_ids``, ``blob_numbers``), which never give an id twice. The
blobs' bytes are in the database too (``blob_pieces``: one row per piece a put wrote,
keyed by blob and offset), since the nodes of a cluster share no disk.

The version lives in ``meta`` under ``schema_version``; PostgreSQL's steps are
numbered from 1 on their own (step 1 is the whole current shape). :func:`upgrade`
runs the missing steps in one transaction under an advisory lock, so that several
nodes starting at once upgrade once, one after the other; a database newer than
this code is refused in words (:class:`~storage.server.records.SchemaMismatch`).
"""

from __future__ import annotations

from typing import Any

import psycopg

from storage.server.records import SchemaMismatch

#: The advisory lock key every node takes to read and upgrade the schema ("parley" in ASCII).
UPGRADE_LOCK = 0x706172_6C6579

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE SEQUENCE message_ids;
CREATE SEQUENCE blob_numbers;
CREATE TABLE accounts (
    phone TEXT PRIMARY KEY, email TEXT NOT NULL, identity TEXT NOT NULL, created_at BIGINT NOT NULL,
    next_device BIGINT NOT NULL, since_message BIGINT NOT NULL);
CREATE TABLE pending_codes (
    token_hash BYTEA PRIMARY KEY, phone TEXT NOT NULL, email TEXT NOT NULL, code_hash BYTEA NOT NULL,
    expires_at BIGINT NOT NULL, attempts_left BIGINT NOT NULL);
CREATE INDEX pending_codes_by_phone ON pending_codes (phone, expires_at);
CREATE TABLE guards (
    phone TEXT PRIMARY KEY, last_active BIGINT NOT NULL, lock_salt BYTEA, lock_hash BYTEA,
    lock_failures BIGINT NOT NULL DEFAULT 0, lock_refused_until BIGINT NOT NULL DEFAULT 0);
CREATE TABLE devices (
    phone TEXT NOT NULL, device BIGINT NOT NULL, login_key BYTEA, name BYTEA NOT NULL,
    created BIGINT NOT NULL, last_seen BIGINT NOT NULL, removed BIGINT NOT NULL DEFAULT 0,
    login_epoch BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (phone, device));
CREATE TABLE device_keys (
    phone TEXT NOT NULL, device BIGINT NOT NULL, signed_prekey TEXT NOT NULL, kem_last_resort TEXT NOT NULL,
    PRIMARY KEY (phone, device));
CREATE TABLE one_time_prekeys (
    phone TEXT NOT NULL, device BIGINT NOT NULL, key_id BIGINT NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (phone, device, key_id));
CREATE TABLE kem_prekeys (
    phone TEXT NOT NULL, device BIGINT NOT NULL, key_id BIGINT NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (phone, device, key_id));
CREATE TABLE queues (
    phone TEXT NOT NULL, device BIGINT NOT NULL, queued BIGINT NOT NULL, bytes BIGINT NOT NULL DEFAULT 0,
    tracked BIGINT NOT NULL DEFAULT 0, devices BIGINT NOT NULL DEFAULT 1, PRIMARY KEY (phone, device));
CREATE TABLE sender_queues (
    recipient TEXT NOT NULL, device BIGINT NOT NULL, sender TEXT NOT NULL, queued BIGINT NOT NULL,
    PRIMARY KEY (recipient, device, sender));
CREATE TABLE messages (
    id BIGINT PRIMARY KEY DEFAULT nextval('message_ids'), recipient TEXT NOT NULL, sender TEXT NOT NULL,
    body BYTEA NOT NULL, ts BIGINT NOT NULL, expires_at BIGINT NOT NULL DEFAULT 0,
    device BIGINT NOT NULL DEFAULT 1, sender_device BIGINT NOT NULL DEFAULT 1);
ALTER SEQUENCE message_ids OWNED BY messages.id;
CREATE INDEX messages_by_recipient ON messages (recipient, device, id);
CREATE INDEX messages_by_expiry ON messages (expires_at) WHERE expires_at > 0;
CREATE TABLE sent (
    client_id TEXT NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL, message_id BIGINT NOT NULL,
    ts BIGINT NOT NULL, PRIMARY KEY (client_id, sender, recipient));
CREATE INDEX sent_by_ts ON sent (ts);
CREATE TABLE rate_events (
    limiter TEXT NOT NULL, key TEXT NOT NULL, at BIGINT NOT NULL, count BIGINT NOT NULL,
    expires_at BIGINT NOT NULL, PRIMARY KEY (limiter, key, at));
CREATE TABLE blobs (
    number BIGINT PRIMARY KEY DEFAULT nextval('blob_numbers'), key BYTEA NOT NULL UNIQUE,
    owner TEXT NOT NULL, size BIGINT NOT NULL, received BIGINT NOT NULL, digest BYTEA,
    created BIGINT NOT NULL, expires BIGINT NOT NULL, deadline BIGINT NOT NULL);
ALTER SEQUENCE blob_numbers OWNED BY blobs.number;
CREATE INDEX blobs_by_owner ON blobs (owner, deadline);
CREATE INDEX blobs_by_deadline ON blobs (deadline);
CREATE TABLE blob_pieces (
    number BIGINT NOT NULL REFERENCES blobs (number) ON DELETE CASCADE, start BIGINT NOT NULL,
    data BYTEA NOT NULL, PRIMARY KEY (number, start));
"""

STEPS: dict[int, str] = {1: _V1}
VERSION = max(STEPS)


def database_version(conn: psycopg.Connection[Any]) -> int | None:
    """The database's schema version: 0 without Parley's tables, None if it cannot be read."""
    if conn.execute("SELECT to_regclass('meta')").fetchone() in (None, (None,)):
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    text = row[0] if row is not None else None
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or text.startswith("0"):
        return None
    return int(text)


def upgrade(conn: psycopg.Connection[Any], name: str) -> int:
    """Bring the database to :data:`VERSION` in one transaction (autocommit connection); the version found.

    Raises :class:`SchemaMismatch` for a database newer than this code or without a readable version.
    """
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (UPGRADE_LOCK,))  # another node may be upgrading
        found = database_version(conn)
        if found is None or found > VERSION:
            shown = "no readable schema version" if found is None else f"schema version {found}"
            raise SchemaMismatch(
                f"the database {name} has {shown}; this server reads PostgreSQL versions up to {VERSION}"
            )
        for version in range(found + 1, VERSION + 1):
            for statement in STEPS[version].split(";"):
                if statement.strip():
                    conn.execute(statement)
        if found < VERSION:
            conn.execute(
                "INSERT INTO meta VALUES ('schema_version', %s) ON CONFLICT (key) DO UPDATE SET value = %s",
                (str(VERSION), str(VERSION)),
            )
        conn.execute("COMMIT")
    except BaseException:
        if not conn.closed and not conn.broken:
            conn.execute("ROLLBACK")
        raise
    return found
