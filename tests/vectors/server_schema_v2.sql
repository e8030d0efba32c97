-- The server store's tables at schema version 2, frozen: a test builds a version 2 file from them
-- to check the upgrade to version 3. Never edit.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
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
CREATE TABLE queues (
    phone TEXT PRIMARY KEY, queued INTEGER NOT NULL, since_message INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE "accounts" (
    phone TEXT PRIMARY KEY, email TEXT NOT NULL, identity TEXT NOT NULL,
    signed_prekey TEXT NOT NULL, kem_last_resort TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE "sent" (
    client_id TEXT NOT NULL, sender TEXT NOT NULL, message_id INTEGER NOT NULL, ts INTEGER NOT NULL,
    PRIMARY KEY (client_id, sender)) WITHOUT ROWID;
CREATE INDEX sent_by_ts ON sent (ts);
