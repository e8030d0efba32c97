"""Message history: paged newest first, searched through the full-text index, edited, deleted.

A message is one row of real columns (conversation, client id, direction, time
in integer milliseconds, status, text, metadata as JSON) inside the encrypted
database. Pages walk the ``(conversation, ts, id)`` index backwards from a
:class:`Cursor`; searches go through the trigram index (:mod:`storage.profile.search`),
in one conversation or across all of them, newest first. Status changes follow
:data:`TRANSITIONS`: a late or repeated receipt never moves a message backwards.

A row that cannot be read as a message (its metadata is not JSON, its text is
not text) is skipped by pages, searches and the conversation list, and noted
as damage for the engine to report, so one damaged row never hides the rest
(:mod:`storage.profile.history_rows` holds the queries the methods share).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.profile import search
from storage.profile.errors import INTEGRITY_ERRORS, DuplicateEntry
from storage.profile.history_rows import COLUMNS, END, FROM, START, HistoryRows, message_of
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
    Place,
)
from storage.profile.search import SearchHit
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
    "Place",
    "SearchHit",
]


class History(HistoryRows):
    # ------------------------------------------------------------------ writing

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
        """Store a message; :class:`DuplicateEntry` if this client id is already in the conversation."""
        status = str(status or ("queued" if outgoing else "received"))  # a StrEnum is stored as its text
        if status not in (OUTGOING_STATUSES if outgoing else INCOMING_STATUSES):
            raise ValueError(
                f"status {status!r} does not fit an {'outgoing' if outgoing else 'incoming'} message"
            )
        ts, kept_meta = round(timestamp * 1000), dict(meta or {})
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
        """Replace a message's text (the search index follows in the same transaction); True if found."""
        with self._vault.transaction():
            row = self._find(contact, client_id, outgoing, "m.id")
            if row is None:
                return False
            self._vault.conn.execute("UPDATE messages SET body = ? WHERE id = ?", (text, row[0]))
        return True

    def delete(self, contact: str, client_id: str, *, outgoing: bool) -> bool:
        """Delete a message for good (overwritten on disk, gone from the search index); True if found."""
        with self._vault.transaction():
            row = self._find(contact, client_id, outgoing, "m.id")
            if row is None:
                return False
            self._vault.conn.execute("DELETE FROM messages WHERE id = ?", (row[0],))
        return True

    def received_ids(self, contact: str) -> list[str]:
        """The client ids of every message received in the conversation, oldest first."""
        rows = self._vault.conn.execute(
            "SELECT m.client FROM messages m JOIN conversations c ON c.id = m.conversation "
            "WHERE c.contact = ? AND m.outgoing = 0 ORDER BY m.ts, m.id",
            (contact,),
        ).fetchall()
        return [str(row[0]) for row in rows]

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

    # ------------------------------------------------------------------ reading

    def get(self, contact: str, client_id: str, *, outgoing: bool) -> Message | None:
        row = self._find(contact, client_id, outgoing, COLUMNS)
        return None if row is None else message_of(row)

    def first_unread(self, contact: str) -> Message | None:
        """The oldest unread message of the conversation, where its timeline opens; None if all are read."""
        rows = self._vault.conn.execute(
            f"SELECT {COLUMNS} FROM messages m INDEXED BY messages_unread "  # noqa: S608 - names are constants, values are parameters
            "JOIN conversations c ON c.id = m.conversation WHERE c.contact = ? AND m.outgoing = 0 "
            "AND m.status = 'received' ORDER BY m.ts, m.id LIMIT 16",
            (contact,),
        ).fetchall()
        return next(iter(self._opened(rows)), None)

    def page(self, contact: str, *, before: Cursor | None = None, limit: int = 50) -> Page:
        """Up to ``limit`` messages older than ``before`` (the newest if None), newest first."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        rows = self._rows(contact, before, limit + 1)
        messages = self._opened(rows[:limit])
        last = rows[limit - 1] if len(rows) > limit else None
        return Page(messages, None if last is None else Cursor(last[4], last[0]))

    def page_after(self, contact: str, *, after: Cursor, limit: int = 50) -> Page:
        """Up to ``limit`` messages newer than ``after``, the oldest of them first found, shown newest first.

        ``next`` is the cursor to pass as ``after`` for the messages newer still (None at the newest).
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        rows = self._vault.conn.execute(
            f"SELECT {COLUMNS} {FROM} WHERE c.contact = ? AND (m.ts, m.id) > (?, ?) "
            "ORDER BY m.ts, m.id LIMIT ?",
            (contact, after.ts, after.local_id, limit + 1),
        ).fetchall()
        newest = rows[limit - 1] if len(rows) > limit else None
        messages = self._opened(list(reversed(rows[:limit])))
        return Page(messages, None if newest is None else Cursor(newest[4], newest[0]))

    def page_from(self, contact: str, offset: int, *, limit: int = 50) -> Page:
        """Up to ``limit`` entries from the one ``offset`` places after the oldest, shown newest first.

        For a scrollbar dragged far from what is loaded: the page where it points, found by its place
        (the index walks ``offset`` entries), not by loading every page between. ``next`` is unused.
        """
        if limit < 1 or offset < 0:
            raise ValueError("limit must be at least 1 and offset at least 0")
        rows = self._vault.conn.execute(
            f"SELECT {COLUMNS} {FROM} WHERE c.contact = ? ORDER BY m.ts, m.id LIMIT ? OFFSET ?",
            (contact, limit, offset),
        ).fetchall()
        return Page(self._opened(list(reversed(rows))), None)

    def place(self, contact: str, at: Cursor | None = None) -> Place:
        """How many entries (messages and notices) are older than ``at`` (0 if None), and how many in all."""
        bound = at or START
        row = self._vault.conn.execute(
            f"SELECT COUNT(*), COALESCE(SUM((m.ts, m.id) < (?, ?)), 0) {FROM} WHERE c.contact = ?",
            (bound.ts, bound.local_id, contact),
        ).fetchone()
        return Place(int(row[1]), int(row[0]))

    def around(
        self,
        contact: str,
        anchor: Cursor | str,
        *,
        before: int = 25,
        after: int = 25,
        outgoing: bool | None = None,
    ) -> Around | None:
        """The message at ``anchor`` (its cursor, or its client id) with up to ``before`` older and
        ``after`` newer neighbours, newest first; None if there is no such message.

        A client id names one message per direction; ``outgoing`` picks one when both exist
        (by default the newer of the two).
        """
        if before < 0 or after < 0:
            raise ValueError("before and after are counts of at least 0")
        found = self._anchor(contact, anchor, outgoing)
        if found is None:
            return None
        newer = self.page_after(contact, after=found.cursor, limit=after) if after else Page([], None)
        older = self.page(contact, before=found.cursor, limit=before) if before else Page([], None)
        messages = [*newer.messages, found, *older.messages]
        oldest, newest = messages[-1].cursor, messages[0].cursor
        return Around(
            messages,
            found,
            oldest if self._rows(contact, oldest, 1) else None,
            newest if self._any_newer(contact, newest) else None,
        )

    def search(
        self, contact: str, text: str, *, before: Cursor | None = None, limit: int = 50, batch: int = 256
    ) -> Page:
        """Messages of one conversation whose text contains ``text`` (any case), newest first.

        ``next`` is the cursor for the next (older) hits, None when there are no more.
        ``batch`` is how many candidate rows are read at a time.
        """
        hits = self._search(contact, text, before, limit, batch)
        messages = [hit.message for hit in hits]
        return Page(messages[:limit], messages[limit - 1].cursor if len(hits) > limit else None)

    def search_all(self, text: str, *, limit: int = 50, before: Cursor | None = None) -> list[SearchHit]:
        """Messages of every conversation whose text contains ``text`` (any case, any script), newest
        first, with the character ranges that matched; pass the last hit's ``cursor`` as ``before``
        for the next ones."""
        return self._search(None, text, before, limit, limit + 1)[:limit]

    def conversations(self) -> list[ConversationSummary]:
        """Every conversation with its newest message and unread count, newest first."""
        rows = self._vault.conn.execute(
            "SELECT c.contact, "
            "(SELECT COUNT(*) FROM messages m INDEXED BY messages_unread "
            "WHERE m.conversation = c.id AND m.outgoing = 0 AND m.status = 'received') "
            "FROM conversations c"
        ).fetchall()
        summaries = []
        for contact, unread in rows:
            # The newest message that can be read; a damaged newest one does not hide the conversation,
            # and a notice (a changed key) is no message to preview.
            last = next((m for m in self._walk(contact, None, 16) if m.kind == "text"), None)
            if last is not None:
                summaries.append(ConversationSummary(contact, last, int(unread)))
        return sorted(summaries, key=lambda s: s.last.cursor, reverse=True)

    def unread(self, contact: str) -> int:
        row = self._vault.conn.execute(
            # The partial index holds only unread rows, so counting never touches the read ones.
            "SELECT COUNT(*) FROM messages m INDEXED BY messages_unread "
            "WHERE m.conversation = (SELECT id FROM conversations WHERE contact = ?) "
            "AND m.outgoing = 0 AND m.status = 'received'",
            (contact,),
        ).fetchone()
        return int(row[0])

    def count(self, contact: str) -> int:
        """How many messages the conversation holds (notices are not messages)."""
        row = self._vault.conn.execute(
            f"SELECT COUNT(*) {FROM} WHERE c.contact = ? AND m.kind = 'text'", (contact,)
        ).fetchone()
        return int(row[0])

    # ------------------------------------------------------------------ internals

    def _search(
        self, contact: str | None, text: str, before: Cursor | None, limit: int, batch: int
    ) -> list[SearchHit]:
        """Up to ``limit + 1`` hits (one more says whether there are more), newest first."""
        # Row ids start at 1, so a contact with no conversation searches conversation 0 and finds nothing.
        conversation = None if contact is None else (self._conversation(contact) or 0)
        found = search.find(
            self._vault.conn, text, conversation=conversation, before=before, limit=limit, batch=batch
        )
        # Whole rows for the hits alone; a hit whose row does not read is skipped (noted as damage).
        rows = self._vault.conn.execute(
            f"SELECT {COLUMNS} {FROM} WHERE m.id IN ({','.join('?' * len(found))})",
            [cursor.local_id for cursor, _ in found],
        ).fetchall()
        by_id = {message.local_id: message for message in self._opened(rows)}
        return [
            SearchHit(by_id[cursor.local_id].contact, by_id[cursor.local_id], ranges)
            for cursor, ranges in found
            if cursor.local_id in by_id
        ]
