"""The messages table as the history reads it: the queries its methods share, and rows as messages.

:class:`HistoryRows` is the base of :class:`~storage.profile.history.History`:
a conversation's row id, the page query that walks the ``(conversation, ts, id)``
index backwards from a cursor, one message found by its client id or cursor,
and rows turned into messages, where a row that cannot be read (its metadata is
not JSON, its text is not text) is skipped and noted as damage for the engine to
report, so one damaged row never hides the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from storage.profile.errors import DamagedValue
from storage.profile.messages import Cursor, Message
from storage.profile.vault import Vault

END = 2**63 - 1
START = Cursor(-END, -END)
#: The columns every query hands to :func:`message_of`, and the join they come from.
COLUMNS = "m.id, c.contact, m.client, m.outgoing, m.ts, m.status, m.body, m.meta, m.kind"
FROM = "FROM messages m JOIN conversations c ON c.id = m.conversation"
Row = tuple[Any, ...]


class HistoryRows:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def _conversation(self, contact: str) -> int | None:
        row = self._vault.conn.execute(
            "SELECT id FROM conversations WHERE contact = ?", (contact,)
        ).fetchone()
        return None if row is None else int(row[0])

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

    def _ensure_conversation(self, contact: str) -> int:
        found = self._conversation(contact)
        if found is not None:
            return found
        cursor = self._vault.conn.execute("INSERT INTO conversations (contact) VALUES (?)", (contact,))
        return int(cursor.lastrowid or 0)

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
    """A row of :data:`COLUMNS` as a message; :class:`DamagedValue` if it does not read as one."""
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
