"""Message history: the writes (store, notice, status, edit, delete, mark read) on top of the reads.

What is read, and how (pages, neighbours, search, the conversation list), is
:class:`~storage.profile.timeline.Timeline`; :class:`History` adds what changes
the history, each in one transaction. Status changes follow
:data:`TRANSITIONS`: a late or repeated receipt never moves a message backwards.
The types it hands out are importable from here as from :mod:`storage.profile.messages`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.profile.canonical import nfc
from storage.profile.errors import INTEGRITY_ERRORS, DuplicateEntry
from storage.profile.messages import (
    INCOMING_STATUSES,
    NOTICE_KINDS,
    OUTGOING_STATUSES,
    TRANSITIONS,
    Around,
    ConversationSummary,
    Cursor,
    Message,
    Page,
)
from storage.profile.search import SearchHit
from storage.profile.timeline import COLUMNS, END, Timeline
from storage.profile.vault import Vault

__all__ = [
    "INCOMING_STATUSES",
    "NOTICE_KINDS",
    "OUTGOING_STATUSES",
    "TRANSITIONS",
    "Around",
    "ConversationSummary",
    "Cursor",
    "History",
    "Message",
    "Page",
    "SearchHit",
]


class History(Timeline):
    """The whole history: the reads of :class:`Timeline`, and the writes, each in one transaction."""

    def add(
        self,
        contact: str,
        *,
        client_id: str,
        outgoing: bool,
        text: str,
        timestamp: float,
        status: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Message:
        """Store a message; :class:`DuplicateEntry` if this client id is already in the conversation.

        The text is stored in NFC (:func:`~storage.profile.canonical.nfc`), and so is what the search
        index holds: a composed and a decomposed accent are one text (the returned message has it so).
        """
        status = str(status or ("queued" if outgoing else "received"))  # a StrEnum is stored as its text
        if status not in (OUTGOING_STATUSES if outgoing else INCOMING_STATUSES):
            raise ValueError(
                f"status {status!r} does not fit an {'outgoing' if outgoing else 'incoming'} message"
            )
        ts, kept_meta, text = round(timestamp * 1000), dict(meta or {}), nfc(text)
        with self._vault.transaction():
            conversation = self._ensure_conversation(contact)
            try:
                cursor = self._vault.conn.execute(
                    "INSERT INTO messages (conversation, client, outgoing, ts, status, body, meta) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (conversation, client_id, int(outgoing), ts, status, text, Vault.dump_json(kept_meta)),
                )
            except INTEGRITY_ERRORS:
                raise DuplicateEntry("a message with this client id is already stored") from None
        local_id = int(cursor.lastrowid or 0)
        return Message(local_id, contact, client_id, outgoing, text, ts / 1000, status, kept_meta)

    def add_notice(
        self,
        contact: str,
        *,
        client_id: str,
        kind: str,
        timestamp: float,
        meta: Mapping[str, Any] | None = None,
    ) -> Message:
        """Store a notice of ``kind`` (one of :data:`NOTICE_KINDS`) in the conversation's timeline.

        A notice is a row of its own kind with no text, stored as read: it is never unread,
        never receipted and never found by a search, but pages hand it out in its place.
        """
        if kind not in NOTICE_KINDS:
            raise ValueError(f"unknown notice kind {kind!r}")
        ts, kept_meta = round(timestamp * 1000), dict(meta or {})
        with self._vault.transaction():
            conversation = self._ensure_conversation(contact)
            try:
                cursor = self._vault.conn.execute(
                    "INSERT INTO messages (conversation, client, outgoing, ts, status, body, meta, kind) "
                    "VALUES (?, ?, 0, ?, 'read', '', ?, ?)",
                    (conversation, client_id, ts, Vault.dump_json(kept_meta), kind),
                )
            except INTEGRITY_ERRORS:
                raise DuplicateEntry("a message with this client id is already stored") from None
        local_id = int(cursor.lastrowid or 0)
        return Message(local_id, contact, client_id, False, "", ts / 1000, "read", kept_meta, kind)

    def set_status(self, contact: str, client_id: str, status: str, *, outgoing: bool = True) -> bool:
        """Move a message to ``status`` if :data:`TRANSITIONS` allows it; True if it changed."""
        if status not in TRANSITIONS:
            raise ValueError(f"unknown message status {status!r}")
        with self._vault.transaction():
            row = self._find(contact, client_id, outgoing, "m.id, m.status")
            if row is None or status not in TRANSITIONS.get(row[1], frozenset()):
                return False
            self._vault.conn.execute("UPDATE messages SET status = ? WHERE id = ?", (status, row[0]))
        return True

    def edit(self, contact: str, client_id: str, text: str, *, outgoing: bool) -> bool:
        """Replace a message's text, in NFC like :meth:`add` (the search index follows in the same
        transaction); True if found."""
        with self._vault.transaction():
            row = self._find(contact, client_id, outgoing, "m.id")
            if row is None:
                return False
            self._vault.conn.execute("UPDATE messages SET body = ? WHERE id = ?", (nfc(text), row[0]))
        return True

    def delete(self, contact: str, client_id: str, *, outgoing: bool) -> bool:
        """Delete a message for good (overwritten on disk, gone from the search index); True if found."""
        with self._vault.transaction():
            row = self._find(contact, client_id, outgoing, "m.id")
            if row is None:
                return False
            self._vault.conn.execute("DELETE FROM messages WHERE id = ?", (row[0],))
        return True

    def delete_conversation(self, contact: str) -> int:
        """Delete every message of the conversation, and the conversation; how many messages went."""
        with self._vault.transaction():
            conversation = self._conversation(contact)
            if conversation is None:
                return 0
            cursor = self._vault.conn.execute("DELETE FROM messages WHERE conversation = ?", (conversation,))
            self._vault.conn.execute("DELETE FROM conversations WHERE id = ?", (conversation,))
        return cursor.rowcount

    def mark_read(self, contact: str, up_to: Cursor | None = None) -> list[str]:
        """Mark incoming messages up to ``up_to`` (all if None) read; their client ids, for receipts."""
        bound = up_to or Cursor(END, END)
        with self._vault.transaction():
            rows = self._vault.conn.execute(
                f"SELECT {COLUMNS} FROM messages m INDEXED BY messages_unread "  # noqa: S608 - names are constants, values are parameters
                "JOIN conversations c ON c.id = m.conversation WHERE c.contact = ? AND m.outgoing = 0 "
                "AND m.status = 'received' AND (m.ts, m.id) <= (?, ?) "
                "ORDER BY m.ts, m.id",
                (contact, bound.ts, bound.local_id),
            ).fetchall()
            changed = [message.client_id for message in self._opened(rows)]
            self._vault.conn.executemany(
                "UPDATE messages SET status = 'read' WHERE id = ?", [(row[0],) for row in rows]
            )
        return changed

    def _ensure_conversation(self, contact: str) -> int:
        found = self._conversation(contact)
        if found is not None:
            return found
        cursor = self._vault.conn.execute("INSERT INTO conversations (contact) VALUES (?)", (contact,))
        return int(cursor.lastrowid or 0)
