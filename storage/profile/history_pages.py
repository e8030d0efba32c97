"""Reading one conversation in time order: pages, a message and its neighbours, counts.

:class:`Pages` is the part of :class:`~storage.profile.history.History` that only
reads one conversation (a contact's or a group's): pages walk the
``(conversation, ts, id)`` index backwards from a :class:`Cursor` (or forwards,
after a jump), :meth:`Pages.around` finds a message with its neighbours, and the
unread count reads the partial index of unread rows alone. A row that cannot be
read as a message is skipped and noted as damage, so one damaged row never hides
the rest.
"""

from __future__ import annotations

from collections.abc import Iterator

from storage.profile.errors import DamagedValue
from storage.profile.history_rows import COLUMNS as _COLUMNS
from storage.profile.history_rows import FROM as _FROM
from storage.profile.history_rows import Row, page_query, where
from storage.profile.history_rows import message as _message
from storage.profile.messages import Around, Chat, Cursor, Message, Page, Place
from storage.profile.vault import Vault

_END = 2**63 - 1


class Pages:
    """One conversation read in time order; :class:`~storage.profile.history.History` writes."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def _conversation(self, chat: Chat) -> int | None:
        column, value = where(chat)
        row = self._vault.conn.execute(
            f"SELECT id FROM conversations c WHERE {column} = ?",  # noqa: S608 - names are constants
            (value,),
        ).fetchone()
        return None if row is None else int(row[0])

    def get(self, chat: Chat, client_id: str, *, outgoing: bool, sender: str = "") -> Message | None:
        row = self._find(chat, client_id, outgoing, _COLUMNS, sender)
        return None if row is None else _message(row)

    def find(self, chat: Chat, client_id: str, *, outgoing: bool | None = None) -> Message | None:
        """The newest message with this client id (of any sender; sent, received, or either if None).

        For a lookup by the id alone, as a view names a message: in a group the id of a received
        message is unique per sender, and the view carries the id, not always the sender.
        """
        return self._anchor(chat, client_id, outgoing)

    def first_unread(self, chat: Chat) -> Message | None:
        """The oldest unread message of the conversation, where its timeline opens; None if all are read."""
        column, value = where(chat)
        rows = self._vault.conn.execute(
            f"SELECT {_COLUMNS} FROM messages m INDEXED BY messages_unread "  # noqa: S608 - names are constants, values are parameters
            f"JOIN conversations c ON c.id = m.conversation WHERE {column} = ? AND m.outgoing = 0 "
            "AND m.status = 'received' ORDER BY m.ts, m.id LIMIT 16",
            (value,),
        ).fetchall()
        return next(iter(self._opened(rows)), None)

    def page(self, chat: Chat, *, before: Cursor | None = None, limit: int = 50) -> Page:
        """Up to ``limit`` messages older than ``before`` (the newest if None), newest first."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        rows = self._rows(chat, before, limit + 1)
        messages = self._opened(rows[:limit])
        last = rows[limit - 1] if len(rows) > limit else None
        return Page(messages, None if last is None else Cursor(last[4], last[0]))

    def page_after(self, chat: Chat, *, after: Cursor, limit: int = 50) -> Page:
        """Up to ``limit`` messages newer than ``after``, the oldest of them first found, shown newest first.

        ``next`` is the cursor to pass as ``after`` for the messages newer still (None at the newest).
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        column, value = where(chat)
        rows = self._vault.conn.execute(
            f"SELECT {_COLUMNS} {_FROM} WHERE {column} = ? AND (m.ts, m.id) > (?, ?) "
            "ORDER BY m.ts, m.id LIMIT ?",
            (value, after.ts, after.local_id, limit + 1),
        ).fetchall()
        newest = rows[limit - 1] if len(rows) > limit else None
        messages = self._opened(list(reversed(rows[:limit])))
        return Page(messages, None if newest is None else Cursor(newest[4], newest[0]))

    def around(
        self,
        chat: Chat,
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
        found = self._anchor(chat, anchor, outgoing)
        if found is None:
            return None
        newer = self.page_after(chat, after=found.cursor, limit=after) if after else Page([], None)
        older = self.page(chat, before=found.cursor, limit=before) if before else Page([], None)
        messages = [*newer.messages, found, *older.messages]
        oldest, newest = messages[-1].cursor, messages[0].cursor
        return Around(
            messages,
            found,
            oldest if self._rows(chat, oldest, 1) else None,
            newest if self._any_newer(chat, newest) else None,
        )

    def unread(self, chat: Chat) -> int:
        column, value = where(chat)
        row = self._vault.conn.execute(
            # The partial index holds only unread rows, so counting never touches the read ones.
            "SELECT COUNT(*) FROM messages m INDEXED BY messages_unread "  # noqa: S608 - names are constants, values are parameters
            f"WHERE m.conversation = (SELECT id FROM conversations c WHERE {column} = ?) "
            "AND m.outgoing = 0 AND m.status = 'received'",
            (value,),
        ).fetchone()
        return int(row[0])

    def page_from(self, chat: Chat, offset: int, *, limit: int = 50) -> Page:
        """Up to ``limit`` entries from the one ``offset`` places after the oldest, shown newest first.

        For a scrollbar dragged far from what is loaded: the page where it points, found by its place
        (the index walks ``offset`` entries), not by loading every page between. ``next`` is unused.
        """
        if limit < 1 or offset < 0:
            raise ValueError("limit must be at least 1 and offset at least 0")
        column, value = where(chat)
        rows = self._vault.conn.execute(
            f"SELECT {_COLUMNS} {_FROM} WHERE {column} = ? ORDER BY m.ts, m.id LIMIT ? OFFSET ?",
            (value, limit, offset),
        ).fetchall()
        return Page(self._opened(list(reversed(rows))), None)

    def place(self, chat: Chat, at: Cursor | None = None) -> Place:
        """How many entries (messages and notices) are older than ``at`` (0 if None), and how many in all."""
        bound = at or Cursor(-_END, -_END)
        column, value = where(chat)
        row = self._vault.conn.execute(
            f"SELECT COUNT(*), COALESCE(SUM((m.ts, m.id) < (?, ?)), 0) {_FROM} WHERE {column} = ?",
            (bound.ts, bound.local_id, value),
        ).fetchone()
        return Place(int(row[1]), int(row[0]))

    def count(self, chat: Chat) -> int:
        """How many messages the conversation holds (notices are not messages)."""
        column, value = where(chat)
        row = self._vault.conn.execute(
            f"SELECT COUNT(*) {_FROM} WHERE {column} = ? AND m.kind = 'text'",
            (value,),
        ).fetchone()
        return int(row[0])

    #: The page query of a contact's conversation; also what tests and the benchmark check with
    #: EXPLAIN QUERY PLAN. A group's is the same on ``c.grp``.
    PAGE_QUERY = page_query("c.contact")
    GROUP_PAGE_QUERY = page_query("c.grp")

    def _rows(self, chat: Chat, before: Cursor | None, limit: int) -> list[Row]:
        bound = before or Cursor(_END, _END)
        column, value = where(chat)
        query = self.GROUP_PAGE_QUERY if column == "c.grp" else self.PAGE_QUERY
        return self._vault.conn.execute(query, (value, bound.ts, bound.local_id, limit)).fetchall()

    def _walk(self, chat: Chat, before: Cursor | None, batch: int) -> Iterator[Message]:
        while True:
            rows = self._rows(chat, before, batch)
            yield from self._opened(rows)
            if len(rows) < batch:
                return
            before = Cursor(rows[-1][4], rows[-1][0])

    def _find(self, chat: Chat, client_id: str, outgoing: bool, columns: str, sender: str) -> Row | None:
        column, value = where(chat)
        row: Row | None = self._vault.conn.execute(
            f"SELECT {columns} {_FROM} WHERE {column} = ? AND m.outgoing = ? AND m.sender = ? "
            "AND m.client = ?",
            (value, int(outgoing), sender, client_id),
        ).fetchone()
        return row

    def _anchor(self, chat: Chat, anchor: Cursor | str, outgoing: bool | None) -> Message | None:
        column, value = where(chat)
        if isinstance(anchor, Cursor):
            row = self._vault.conn.execute(
                f"SELECT {_COLUMNS} {_FROM} WHERE {column} = ? AND m.id = ? AND m.ts = ?",
                (value, anchor.local_id, anchor.ts),
            ).fetchone()
        else:
            directions = (0, 1) if outgoing is None else (int(outgoing),) * 2
            row = self._vault.conn.execute(
                f"SELECT {_COLUMNS} {_FROM} WHERE {column} = ? AND m.client = ? AND m.outgoing IN (?, ?) "
                "ORDER BY m.ts DESC, m.id DESC LIMIT 1",
                (value, anchor, *directions),
            ).fetchone()
        return None if row is None else _message(row)

    def _any_newer(self, chat: Chat, cursor: Cursor) -> bool:
        column, value = where(chat)
        row = self._vault.conn.execute(
            f"SELECT 1 {_FROM} WHERE {column} = ? AND (m.ts, m.id) > (?, ?) LIMIT 1",
            (value, cursor.ts, cursor.local_id),
        ).fetchone()
        return row is not None

    def _opened(self, rows: list[Row]) -> list[Message]:
        """The rows as messages; one that cannot be read is skipped and noted as damage."""
        messages = []
        for row in rows:
            try:
                messages.append(_message(row))
            except DamagedValue as exc:
                self._vault.note_damage(f"message:{row[0]}", exc.what)
        return messages
