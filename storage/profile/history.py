"""Message history: paged newest first, searched through the full-text index, edited, deleted.

A message is one row of real columns (conversation, client id, direction, time
in integer milliseconds, status, text, metadata as JSON, and in a group the
sender of an incoming message) inside the encrypted database. A conversation is
a contact's (named by the phone) or a group's (:class:`GroupChat`): every method
that takes a ``chat`` takes either, and a client id names one message per
direction and sender. Pages walk the ``(conversation, ts, id)`` index backwards from a
:class:`Cursor`; searches go through the trigram index (:mod:`storage.profile.search`),
in one conversation or across all of them, newest first. Status changes follow
:data:`TRANSITIONS`: a late or repeated receipt never moves a message backwards.

A row that cannot be read as a message (its metadata is not JSON, its text is
not text) is skipped by pages, searches and the conversation list, and noted
as damage for the engine to report, so one damaged row never hides the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.profile import search
from storage.profile.canonical import nfc
from storage.profile.errors import INTEGRITY_ERRORS, DuplicateEntry
from storage.profile.history_pages import Pages
from storage.profile.history_rows import COLUMNS as _COLUMNS
from storage.profile.history_rows import FROM as _FROM
from storage.profile.history_rows import where
from storage.profile.messages import (
    INCOMING_STATUSES,
    NOTICE_KINDS,
    OUTGOING_STATUSES,
    TRANSITIONS,
    Around,
    Chat,
    ConversationSummary,
    Cursor,
    GroupChat,
    Message,
    Page,
)
from storage.profile.search import SearchHit
from storage.profile.vault import Vault

__all__ = [
    "INCOMING_STATUSES",
    "NOTICE_KINDS",
    "OUTGOING_STATUSES",
    "TRANSITIONS",
    "Around",
    "Chat",
    "ConversationSummary",
    "Cursor",
    "GroupChat",
    "History",
    "Message",
    "Page",
    "SearchHit",
]

_END = 2**63 - 1


class History(Pages):
    """The history of every conversation: writing, searching, the list of conversations (reading one
    conversation is :class:`Pages`')."""

    def conversation_id(self, chat: Chat, *, create: bool = False) -> int | None:
        """The row id of the conversation (made now if ``create``); None if there is none.

        A group's conversation needs its group stored first (``groups``).
        """
        with self._vault.transaction():
            return self._ensure_conversation(chat) if create else self._conversation(chat)

    # ------------------------------------------------------------------ writing

    def add(
        self,
        chat: Chat,
        *,
        client_id: str,
        outgoing: bool,
        text: str,
        timestamp: float,
        status: str | None = None,
        meta: Mapping[str, Any] | None = None,
        sender: str = "",
    ) -> Message:
        """Store a message; :class:`DuplicateEntry` if this client id (from this sender) is already in it.

        ``sender`` is the author of an incoming message in a group's conversation, and only there.
        The text is stored in NFC (:func:`~storage.profile.canonical.nfc`), and so is what the search
        index holds: a composed and a decomposed accent are one text (the returned message has it so).
        """
        status = str(status or ("queued" if outgoing else "received"))  # a StrEnum is stored as its text
        if status not in (OUTGOING_STATUSES if outgoing else INCOMING_STATUSES):
            raise ValueError(
                f"status {status!r} does not fit an {'outgoing' if outgoing else 'incoming'} message"
            )
        if bool(sender) != (isinstance(chat, GroupChat) and not outgoing):
            raise ValueError("an incoming group message has a sender, and no other message has one")
        ts, kept_meta, text = round(timestamp * 1000), dict(meta or {}), nfc(text)
        with self._vault.transaction():
            conversation = self._ensure_conversation(chat)
            try:
                cursor = self._vault.conn.execute(
                    "INSERT INTO messages (conversation, client, outgoing, ts, status, body, meta, sender) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        conversation,
                        client_id,
                        int(outgoing),
                        ts,
                        status,
                        text,
                        Vault.dump_json(kept_meta),
                        sender,
                    ),
                )
            except INTEGRITY_ERRORS:
                raise DuplicateEntry("a message with this client id is already stored") from None
        local_id = int(cursor.lastrowid or 0)
        contact, group = _names(chat)
        return Message(
            local_id, contact, client_id, outgoing, text, ts / 1000, status, kept_meta, "text", group, sender
        )

    def add_notice(
        self,
        chat: Chat,
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
            conversation = self._ensure_conversation(chat)
            try:
                cursor = self._vault.conn.execute(
                    "INSERT INTO messages (conversation, client, outgoing, ts, status, body, meta, kind) "
                    "VALUES (?, ?, 0, ?, 'read', '', ?, ?)",
                    (conversation, client_id, ts, Vault.dump_json(kept_meta), kind),
                )
            except INTEGRITY_ERRORS:
                raise DuplicateEntry("a message with this client id is already stored") from None
        local_id = int(cursor.lastrowid or 0)
        contact, group = _names(chat)
        return Message(local_id, contact, client_id, False, "", ts / 1000, "read", kept_meta, kind, group)

    def set_status(
        self, chat: Chat, client_id: str, status: str, *, outgoing: bool = True, sender: str = ""
    ) -> bool:
        """Move a message to ``status`` if :data:`TRANSITIONS` allows it; True if it changed."""
        if status not in TRANSITIONS:
            raise ValueError(f"unknown message status {status!r}")
        with self._vault.transaction():
            row = self._find(chat, client_id, outgoing, "m.id, m.status", sender)
            if row is None or status not in TRANSITIONS.get(row[1], frozenset()):
                return False
            self._vault.conn.execute("UPDATE messages SET status = ? WHERE id = ?", (status, row[0]))
        return True

    def edit(self, chat: Chat, client_id: str, text: str, *, outgoing: bool, sender: str = "") -> bool:
        """Replace a message's text, in NFC like :meth:`add` (the search index follows in the same
        transaction); True if found."""
        with self._vault.transaction():
            row = self._find(chat, client_id, outgoing, "m.id", sender)
            if row is None:
                return False
            self._vault.conn.execute("UPDATE messages SET body = ? WHERE id = ?", (nfc(text), row[0]))
        return True

    def delete(self, chat: Chat, client_id: str, *, outgoing: bool, sender: str = "") -> bool:
        """Delete a message for good (overwritten on disk, gone from the search index); True if found."""
        with self._vault.transaction():
            row = self._find(chat, client_id, outgoing, "m.id", sender)
            if row is None:
                return False
            self._vault.conn.execute("DELETE FROM messages WHERE id = ?", (row[0],))
        return True

    def received_ids(self, chat: Chat) -> list[str]:
        """The client ids of every message received in the conversation, oldest first."""
        column, value = where(chat)
        rows = self._vault.conn.execute(
            f"SELECT m.client {_FROM} WHERE {column} = ? AND m.outgoing = 0 ORDER BY m.ts, m.id",
            (value,),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def delete_conversation(self, chat: Chat) -> int:
        """Delete every message of the conversation, and the conversation; how many messages went."""
        with self._vault.transaction():
            conversation = self._conversation(chat)
            if conversation is None:
                return 0
            cursor = self._vault.conn.execute("DELETE FROM messages WHERE conversation = ?", (conversation,))
            self._vault.conn.execute("DELETE FROM conversations WHERE id = ?", (conversation,))
        return cursor.rowcount

    def mark_read(self, chat: Chat, up_to: Cursor | None = None) -> list[str]:
        """Mark incoming messages up to ``up_to`` (all if None) read; their client ids, for receipts."""
        return [message.client_id for message in self.mark_read_messages(chat, up_to)]

    def mark_read_messages(self, chat: Chat, up_to: Cursor | None = None) -> list[Message]:
        """Mark incoming messages up to ``up_to`` (all if None) read; the messages, oldest first.

        In a group each read receipt goes to its message's sender, which the messages say.
        """
        bound = up_to or Cursor(_END, _END)
        column, value = where(chat)
        with self._vault.transaction():
            rows = self._vault.conn.execute(
                f"SELECT {_COLUMNS} FROM messages m INDEXED BY messages_unread "  # noqa: S608 - names are constants, values are parameters
                f"JOIN conversations c ON c.id = m.conversation WHERE {column} = ? AND m.outgoing = 0 "
                "AND m.status = 'received' AND (m.ts, m.id) <= (?, ?) "
                "ORDER BY m.ts, m.id",
                (value, bound.ts, bound.local_id),
            ).fetchall()
            changed = self._opened(rows)
            self._vault.conn.executemany(
                "UPDATE messages SET status = 'read' WHERE id = ?", [(row[0],) for row in rows]
            )
        return changed

    # ------------------------------------------------------------------ reading

    def search(
        self, chat: Chat, text: str, *, before: Cursor | None = None, limit: int = 50, batch: int = 256
    ) -> Page:
        """Messages of one conversation whose text contains ``text`` (any case), newest first.

        ``next`` is the cursor for the next (older) hits, None when there are no more.
        ``batch`` is how many candidate rows are read at a time.
        """
        hits = self._search(chat, text, before, limit, batch)
        messages = [hit.message for hit in hits]
        return Page(messages[:limit], messages[limit - 1].cursor if len(hits) > limit else None)

    def search_all(self, text: str, *, limit: int = 50, before: Cursor | None = None) -> list[SearchHit]:
        """Messages of every conversation whose text contains ``text`` (any case, any script), newest
        first, with the character ranges that matched; pass the last hit's ``cursor`` as ``before``
        for the next ones. A hit in a group's conversation has its ``message.group`` set."""
        return self._search(None, text, before, limit, limit + 1)[:limit]

    def conversations(self) -> list[ConversationSummary]:
        """Every conversation (a contact's or a group's) with its newest message and unread count,
        newest first."""
        rows = self._vault.conn.execute(
            "SELECT c.contact, c.grp, "
            "(SELECT COUNT(*) FROM messages m INDEXED BY messages_unread "
            "WHERE m.conversation = c.id AND m.outgoing = 0 AND m.status = 'received') "
            "FROM conversations c"
        ).fetchall()
        summaries = []
        for contact, group, unread in rows:
            chat: Chat = GroupChat(group) if group else contact
            # The newest message that can be read; a damaged newest one does not hide the conversation,
            # and a notice (a changed key) is no message to preview.
            last = next((m for m in self._walk(chat, None, 16) if m.kind == "text"), None)
            if last is not None:
                summaries.append(ConversationSummary(contact or "", last, int(unread), group or ""))
        return sorted(summaries, key=lambda s: s.last.cursor, reverse=True)

    # ------------------------------------------------------------------ internals

    def _search(
        self, chat: Chat | None, text: str, before: Cursor | None, limit: int, batch: int
    ) -> list[SearchHit]:
        """Up to ``limit + 1`` hits (one more says whether there are more), newest first."""
        # Row ids start at 1, so a chat with no conversation searches conversation 0 and finds nothing.
        conversation = None if chat is None else (self._conversation(chat) or 0)
        found = search.find(
            self._vault.conn, text, conversation=conversation, before=before, limit=limit, batch=batch
        )
        # Whole rows for the hits alone; a hit whose row does not read is skipped (noted as damage).
        rows = self._vault.conn.execute(
            f"SELECT {_COLUMNS} {_FROM} WHERE m.id IN ({','.join('?' * len(found))})",
            [cursor.local_id for cursor, _ in found],
        ).fetchall()
        by_id = {message.local_id: message for message in self._opened(rows)}
        return [
            SearchHit(by_id[cursor.local_id].contact, by_id[cursor.local_id], ranges)
            for cursor, ranges in found
            if cursor.local_id in by_id
        ]

    def _ensure_conversation(self, chat: Chat) -> int:
        found = self._conversation(chat)
        if found is not None:
            return found
        column = "grp" if isinstance(chat, GroupChat) else "contact"
        cursor = self._vault.conn.execute(
            f"INSERT INTO conversations ({column}) VALUES (?)",  # noqa: S608 - names are constants, values are parameters
            (where(chat)[1],),
        )
        return int(cursor.lastrowid or 0)


def _names(chat: Chat) -> tuple[str, str]:
    """(contact, group) of a message in ``chat``: one of them is ""."""
    return ("", chat.group_id) if isinstance(chat, GroupChat) else (chat, "")
