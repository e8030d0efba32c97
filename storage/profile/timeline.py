"""Reading the history: pages newest first, a message and its neighbours, search hits, the list of
conversations and their counts.

A message is one row of real columns (conversation, client id, direction, time
in integer milliseconds, status, text, metadata as JSON) inside the encrypted
database. Pages walk the ``(conversation, ts, id)`` index backwards from a
:class:`Cursor`; searches go through the trigram index (:mod:`storage.profile.search`),
in one conversation or across all of them, newest first.

A row that cannot be read as a message (its metadata is not JSON, its text is
not text) is skipped by pages, searches and the conversation list, and noted
as damage for the engine to report, so one damaged row never hides the rest.
:class:`~storage.profile.history.History` adds the writes to these reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from storage.profile import search
from storage.profile.errors import DamagedValue
from storage.profile.messages import Around, ConversationSummary, Cursor, Message, Page
from storage.profile.search import SearchHit
from storage.profile.vault import Vault

END = 2**63 - 1
#: The columns a message is read from, in the order :func:`message_of` takes them.
COLUMNS = "m.id, c.contact, m.client, m.outgoing, m.ts, m.status, m.body, m.meta, m.kind"
FROM = "FROM messages m JOIN conversations c ON c.id = m.conversation"
Row = tuple[Any, ...]


class Timeline:
    """The reads of the history, on the profile's open database (the vault's connection)."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def _conversation(self, contact: str) -> int | None:
        row = self._vault.conn.execute(
            "SELECT id FROM conversations WHERE contact = ?", (contact,)
        ).fetchone()
        return None if row is None else int(row[0])

    def received_ids(self, contact: str) -> list[str]:
        """The client ids of every message received in the conversation, oldest first."""
        rows = self._vault.conn.execute(
            "SELECT m.client FROM messages m JOIN conversations c ON c.id = m.conversation "
            "WHERE c.contact = ? AND m.outgoing = 0 ORDER BY m.ts, m.id",
            (contact,),
        ).fetchall()
        return [str(row[0]) for row in rows]

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

    #: The page query; also what tests and the benchmark check with EXPLAIN QUERY PLAN.
    PAGE_QUERY = (
        f"SELECT {COLUMNS} FROM messages m JOIN conversations c ON c.id = m.conversation "  # noqa: S608 - names are constants, values are parameters
        "WHERE c.contact = ? AND (m.ts, m.id) < (?, ?) ORDER BY m.ts DESC, m.id DESC LIMIT ?"
    )

    def _rows(self, contact: str, before: Cursor | None, limit: int) -> list[Row]:
        bound = before or Cursor(END, END)
        return self._vault.conn.execute(
            self.PAGE_QUERY, (contact, bound.ts, bound.local_id, limit)
        ).fetchall()

    def _walk(self, contact: str, before: Cursor | None, batch: int) -> Iterator[Message]:
        while True:
            rows = self._rows(contact, before, batch)
            yield from self._opened(rows)
            if len(rows) < batch:
                return
            before = Cursor(rows[-1][4], rows[-1][0])

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

    def _find(self, contact: str, client_id: str, outgoing: bool, columns: str) -> Row | None:
        row: Row | None = self._vault.conn.execute(
            f"SELECT {columns} {FROM} WHERE c.contact = ? AND m.outgoing = ? AND m.client = ?",
            (contact, int(outgoing), client_id),
        ).fetchone()
        return row

    def _anchor(self, contact: str, anchor: Cursor | str, outgoing: bool | None) -> Message | None:
        if isinstance(anchor, Cursor):
            row = self._vault.conn.execute(
                f"SELECT {COLUMNS} {FROM} WHERE c.contact = ? AND m.id = ? AND m.ts = ?",
                (contact, anchor.local_id, anchor.ts),
            ).fetchone()
        else:
            directions = (0, 1) if outgoing is None else (int(outgoing),) * 2
            row = self._vault.conn.execute(
                f"SELECT {COLUMNS} {FROM} WHERE c.contact = ? AND m.client = ? AND m.outgoing IN (?, ?) "
                "ORDER BY m.ts DESC, m.id DESC LIMIT 1",
                (contact, anchor, *directions),
            ).fetchone()
        return None if row is None else message_of(row)

    def _any_newer(self, contact: str, cursor: Cursor) -> bool:
        row = self._vault.conn.execute(
            f"SELECT 1 {FROM} WHERE c.contact = ? AND (m.ts, m.id) > (?, ?) LIMIT 1",
            (contact, cursor.ts, cursor.local_id),
        ).fetchone()
        return row is not None

    def _opened(self, rows: list[Row]) -> list[Message]:
        """The rows as messages; one that cannot be read is skipped and noted as damage."""
        messages = []
        for row in rows:
            try:
                messages.append(message_of(row))
            except DamagedValue as exc:
                self._vault.note_damage(f"message:{row[0]}", exc.what)
        return messages


def message_of(row: Row) -> Message:
    local_id, contact, client, outgoing, ts, status, body, meta_text, kind = row
    meta = Vault.load_json(meta_text, what="message")
    if not (
        isinstance(client, str)
        and isinstance(body, str)
        and isinstance(meta, dict)
        and isinstance(ts, int)
        and isinstance(kind, str)
    ):
        raise DamagedValue("message")
    return Message(local_id, contact, client, bool(outgoing), body, ts / 1000, status, meta, kind)
