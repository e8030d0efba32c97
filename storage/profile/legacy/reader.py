"""Read every table of an old profile file, unsealed, without writing to it.

:func:`read` opens ``<id>.sqlite`` read-only, unwraps its master key with the
passphrase (:class:`~crypto_core.errors.WrongPassphrase` before anything else
happens) and returns its contents as plain rows (:class:`Contents`), in the
layout of the new database. Rows found only by a blind index are turned back
into their values by trying the values the file names elsewhere (contacts,
conversations, the outbox, the account's server); those that cannot be (the
ids of processed server messages and accepted initial messages) keep their old
blind index. A sealed value that does not open, or a blind index no known value
matches, is counted in :attr:`Contents.skipped` by kind, never guessed at.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crypto_core import sealing
from crypto_core.encoding import b64decode
from crypto_core.errors import CryptoError, DecryptionError
from storage.profile.legacy.contacts import Contact
from storage.profile.legacy.directory import _read_meta
from storage.profile.legacy.vault import Vault

Row = tuple[Any, ...]


@dataclass
class Contents:
    name: str
    master_key: bytes
    records: list[Row] = field(default_factory=list)  # (name, value text)
    counters: list[Row] = field(default_factory=list)
    server_pins: list[Row] = field(default_factory=list)  # (server, fingerprint)
    signed_prekeys: list[Row] = field(default_factory=list)  # (id, created_at, key json)
    one_time_prekeys: list[Row] = field(default_factory=list)  # (id, key json)
    kem_prekeys: list[Row] = field(default_factory=list)  # (id, last_resort, created_at, key json)
    accepted_initials: list[Row] = field(default_factory=list)  # (old blind index, signed prekey)
    contacts: list[Contact] = field(default_factory=list)
    sessions: list[Row] = field(default_factory=list)  # (phone, state)
    heals: list[Row] = field(default_factory=list)  # (phone, at)
    conversations: list[str] = field(default_factory=list)  # phones
    messages: list[Row] = field(default_factory=list)  # (id, phone, client, outgoing, ts, status, text, meta)
    outbox: list[Row] = field(default_factory=list)  # (seq, client, contact, payload, created_at)
    processed: list[Row] = field(default_factory=list)  # (old blind index, seen_at)
    #: Rows of the old file that could not be carried over, by kind.
    skipped: Counter[str] = field(default_factory=Counter)

    def __repr__(self) -> str:
        return f"Contents(messages={len(self.messages)}, skipped={dict(self.skipped)})"


def read(path: Path, passphrase: str) -> Contents:
    """Everything in the old file at ``path``; the file is opened read-only."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=10.0)
    try:
        meta = _read_meta(conn, path)
        master = sealing.unwrap(passphrase, meta.wrapped_key)
        vault = Vault(conn, sealing.Sealer(master))
        out = Contents(meta.name, master)
        _read_keys(conn, vault, out)
        _read_people(conn, vault, out)
        _read_messages(conn, vault, out)
        return out
    finally:
        conn.close()


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _open(vault: Vault, out: Contents, slot: str, sealed: bytes, kind: str) -> bytes | None:
    try:
        return vault.open(slot, sealed, what=kind)
    except DecryptionError:
        out.skipped[kind] += 1
        return None


def _read_keys(conn: sqlite3.Connection, vault: Vault, out: Contents) -> None:
    for name, sealed in conn.execute("SELECT name, sealed FROM records"):
        value = _open(vault, out, name, sealed, "record")
        if value is not None:
            out.records.append((name, value.decode("utf-8")))
    out.counters = conn.execute("SELECT name, value FROM counters").fetchall()
    for key_id, created_at, sealed in conn.execute("SELECT id, created_at, sealed FROM signed_prekeys"):
        value = _open(vault, out, f"signed-prekey:{key_id}:{created_at}", sealed, "signed prekey")
        if value is not None:
            out.signed_prekeys.append((key_id, created_at, value.decode("utf-8")))
    for key_id, sealed in conn.execute("SELECT id, sealed FROM one_time_prekeys"):
        value = _open(vault, out, f"one-time-prekey:{key_id}", sealed, "one-time prekey")
        if value is not None:
            out.one_time_prekeys.append((key_id, value.decode("utf-8")))
    for key_id, last_resort, created_at, sealed in conn.execute(
        "SELECT id, last_resort, created_at, sealed FROM kem_prekeys"
    ):
        kind = "last-resort" if last_resort else "one-time"
        value = _open(vault, out, f"kem-prekey:{key_id}:{kind}", sealed, "ML-KEM prekey")
        if value is not None:
            out.kem_prekeys.append((key_id, last_resort, created_at, value.decode("utf-8")))
    if "accepted_initials" in _tables(conn):  # added by the old schema's version 2
        out.accepted_initials = conn.execute(
            "SELECT session, signed_prekey FROM accepted_initials"
        ).fetchall()


def _read_people(conn: sqlite3.Connection, vault: Vault, out: Contents) -> None:
    for key, sealed in conn.execute("SELECT contact, sealed FROM contacts"):
        value = _open(vault, out, f"contact:{key.hex()}", sealed, "contact")
        if value is None:
            continue
        try:
            out.contacts.append(Contact.from_json(json.loads(value)))
        except (ValueError, DecryptionError):
            out.skipped["contact"] += 1
    for key, sealed in conn.execute("SELECT conversation, sealed FROM conversations"):
        value = _open(vault, out, f"conversation:{key.hex()}", sealed, "conversation")
        if value is not None:
            out.conversations.append(value.decode("utf-8"))
    for seq, client, created_at, sealed in conn.execute("SELECT seq, client, created_at, sealed FROM outbox"):
        value = _open(vault, out, f"outbox:{client.hex()}", sealed, "outbox entry")
        if value is None:
            continue
        try:
            record = json.loads(value)
            payload = b64decode(record["payload"], what="outbox payload")
            out.outbox.append((seq, str(record["id"]), str(record["to"]), payload, created_at))
        except (ValueError, KeyError, TypeError, CryptoError):
            out.skipped["outbox entry"] += 1
    phones = {c.phone for c in out.contacts} | set(out.conversations) | {row[2] for row in out.outbox}
    by_index = {vault.index("session", phone): phone for phone in phones}
    for key, sealed in conn.execute("SELECT contact, sealed FROM sessions"):
        phone = by_index.get(key)
        state = None if phone is None else _open(vault, out, f"session:{key.hex()}", sealed, "session")
        if phone is None:
            out.skipped["session"] += 1
        elif state is not None:
            out.sessions.append((phone, state))
    if "heals" in _tables(conn):
        heal_index = {vault.index("heal", phone): phone for phone in phones}
        for key, at in conn.execute("SELECT contact, at FROM heals"):
            if key in heal_index:
                out.heals.append((heal_index[key], at))
            else:
                out.skipped["heal"] += 1
    servers = {json.loads(v).get("server") for n, v in out.records if n == "account"} - {None}
    server_index = {vault.index("server", str(address)): str(address) for address in servers}
    for key, sealed in conn.execute("SELECT server, sealed FROM server_pins"):
        address = server_index.get(key)
        pin = (
            None
            if address is None
            else _open(vault, out, f"server-pin:{key.hex()}", sealed, "server key pin")
        )
        if address is None:
            out.skipped["server key pin"] += 1
        elif pin is not None:
            out.server_pins.append((address, pin.decode("utf-8")))
    out.processed = conn.execute("SELECT server_message, seen_at FROM processed").fetchall()


def _read_messages(conn: sqlite3.Connection, vault: Vault, out: Contents) -> None:
    by_index = {vault.index("conversation", phone): phone for phone in out.conversations}
    rows = conn.execute("SELECT id, conversation, outgoing, ts, status, body FROM messages ORDER BY id")
    for local_id, conversation, outgoing, ts, status, sealed in rows:
        phone = by_index.get(conversation)
        slot = f"message:{local_id}:{conversation.hex()}:{'out' if outgoing else 'in'}:{ts}"
        body = None if phone is None else _open(vault, out, slot, sealed, "message")
        if body is None:
            out.skipped["message"] += phone is None
            continue
        try:
            data = json.loads(body)
            client, text, meta = data["id"], data["text"], data["meta"]
        except (ValueError, KeyError, TypeError):
            out.skipped["message"] += 1
            continue
        meta_text = json.dumps(meta, separators=(",", ":"), ensure_ascii=False)
        out.messages.append((local_id, phone, client, outgoing, ts, status, text, meta_text))
