"""Message history: sealed bodies, paged newest first, searched without loading everything.

Each message row keeps in clear only what ordering and counting need: its
conversation (a blind index of the contact's phone), direction, time (integer
milliseconds) and status (see :mod:`storage.profile.legacy.schema` for why). Text,
client id and metadata are sealed in slot
``"message:<row id>:<conversation>:<direction>:<time>"``, so a body moved to
another row, conversation, direction or time does not open.

Pages and searches walk the ``(conversation, ts, id)`` index backwards from a
:class:`Cursor`; a search opens one batch of rows at a time and stops as soon as
it has enough matches. Status changes follow :data:`TRANSITIONS`: a late or
repeated receipt never moves a message backwards. A body that does not open is
skipped by pages, searches and the conversation list (and noted as damage for
the engine to report), so one damaged row never hides the rest.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from storage.profile.errors import DamagedValue, DuplicateEntry
from storage.profile.legacy.vault import Vault

#: Which status may follow which. Outgoing: queued -> sent -> delivered -> read (or failed,
#: then retried). Incoming: received -> read.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "queued": frozenset({"sent", "delivered", "read", "failed"}),
    "sent": frozenset({"delivered", "read", "failed"}),
    "delivered": frozenset({"read"}),
    "read": frozenset(),
    "failed": frozenset({"queued", "sent"}),
    "received": frozenset({"read"}),
}
OUTGOING_STATUSES = frozenset({"queued", "sent", "delivered", "read", "failed"})
INCOMING_STATUSES = frozenset({"received", "read"})
_END = 2**63 - 1


@dataclass(frozen=True, order=True)
class Cursor:
    """A position in a conversation: pass it back to get the messages before it."""

    ts: int
    local_id: int


@dataclass(frozen=True)
class Message:
    local_id: int
    contact: str
    client_id: str
    outgoing: bool
    text: str
    #: Seconds since the epoch (stored as whole milliseconds).
    timestamp: float
    status: str
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def cursor(self) -> Cursor:
        return Cursor(round(self.timestamp * 1000), self.local_id)

    def __repr__(self) -> str:  # the text and the contact stay out of logs
        return f"Message(local_id={self.local_id}, outgoing={self.outgoing}, status={self.status!r})"


@dataclass(frozen=True)
class Page:
    """Messages newest first, and the cursor for the next (older) page, or None at the start."""

    messages: list[Message]
    next: Cursor | None


@dataclass(frozen=True)
class ConversationSummary:
    contact: str
    last: Message
    unread: int


def _slot(local_id: int, conversation: bytes, outgoing: bool, ts: int) -> str:
    return f"message:{local_id}:{conversation.hex()}:{'out' if outgoing else 'in'}:{ts}"


class History:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def _conversation(self, contact: str) -> bytes:
        return self._vault.index("conversation", contact)

    def _client(self, client_id: str) -> bytes:
        return self._vault.index("message", client_id)

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
        conversation, ts = self._conversation(contact), round(timestamp * 1000)
        kept_meta = dict(meta or {})
        body = {"id": client_id, "text": text, "meta": kept_meta}
        with self._vault.transaction():
            self._ensure_conversation(conversation, contact)
            try:
                cursor = self._vault.conn.execute(
                    "INSERT INTO messages (conversation, client, outgoing, ts, status, body) "
                    "VALUES (?, ?, ?, ?, ?, x'')",
                    (conversation, self._client(client_id), int(outgoing), ts, status),
                )
            except sqlite3.IntegrityError:
                raise DuplicateEntry("a message with this client id is already stored") from None
            local_id = int(cursor.lastrowid or 0)
            sealed = self._vault.seal_json(_slot(local_id, conversation, outgoing, ts), body)
            self._vault.conn.execute("UPDATE messages SET body = ? WHERE id = ?", (sealed, local_id))
        return Message(local_id, contact, client_id, outgoing, text, ts / 1000, status, kept_meta)

    def set_status(self, contact: str, client_id: str, status: str, *, outgoing: bool = True) -> bool:
        """Move a message to ``status`` if :data:`TRANSITIONS` allows it; True if it changed."""
        if status not in TRANSITIONS:
            raise ValueError(f"unknown message status {status!r}")
        with self._vault.transaction():
            row = self._vault.conn.execute(
                "SELECT id, status FROM messages WHERE conversation = ? AND outgoing = ? AND client = ?",
                (self._conversation(contact), int(outgoing), self._client(client_id)),
            ).fetchone()
            if row is None or status not in TRANSITIONS.get(row[1], frozenset()):
                return False
            self._vault.conn.execute("UPDATE messages SET status = ? WHERE id = ?", (status, row[0]))
        return True

    def mark_read(self, contact: str, up_to: Cursor | None = None) -> list[str]:
        """Mark incoming messages up to ``up_to`` (all if None) read; their client ids, for receipts."""
        conversation = self._conversation(contact)
        bound = up_to or Cursor(_END, _END)
        with self._vault.transaction():
            rows = self._vault.conn.execute(
                "SELECT id, outgoing, ts, status, body FROM messages INDEXED BY messages_unread "
                "WHERE conversation = ? AND outgoing = 0 AND status = 'received' AND (ts, id) <= (?, ?) "
                "ORDER BY ts, id",
                (conversation, bound.ts, bound.local_id),
            ).fetchall()
            opened = (self._opened(contact, conversation, row) for row in rows)
            changed = [message.client_id for message in opened if message is not None]
            self._vault.conn.executemany(
                "UPDATE messages SET status = 'read' WHERE id = ?", [(row[0],) for row in rows]
            )
        return changed

    # ------------------------------------------------------------------ reading

    def get(self, contact: str, client_id: str, *, outgoing: bool) -> Message | None:
        conversation = self._conversation(contact)
        row = self._vault.conn.execute(
            "SELECT id, outgoing, ts, status, body FROM messages "
            "WHERE conversation = ? AND outgoing = ? AND client = ?",
            (conversation, int(outgoing), self._client(client_id)),
        ).fetchone()
        return None if row is None else self._message(contact, conversation, row)

    def page(self, contact: str, *, before: Cursor | None = None, limit: int = 50) -> Page:
        """Up to ``limit`` messages older than ``before`` (the newest if None), newest first."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        conversation = self._conversation(contact)
        rows = self._rows(conversation, before, limit + 1)
        opened = (self._opened(contact, conversation, row) for row in rows[:limit])
        messages = [message for message in opened if message is not None]
        last = rows[limit - 1] if len(rows) > limit else None
        return Page(messages, None if last is None else Cursor(last[2], last[0]))

    def search(
        self, contact: str, text: str, *, before: Cursor | None = None, limit: int = 50, batch: int = 256
    ) -> Page:
        """Messages whose text contains ``text`` (any case), newest first, opened ``batch`` at a time."""
        needle = text.casefold()
        if not needle or limit < 1 or batch < 1:
            raise ValueError("search needs some text, a limit and a batch size of at least 1")
        found: list[Message] = []
        for message in self._walk(contact, before, batch):
            if needle in message.text.casefold():
                found.append(message)
                if len(found) == limit:
                    return Page(found, message.cursor)
        return Page(found, None)

    def conversations(self) -> list[ConversationSummary]:
        """Every conversation with its newest message and unread count, newest first."""
        rows = self._vault.conn.execute(
            "SELECT c.conversation, c.sealed, "
            "(SELECT id FROM messages m WHERE m.conversation = c.conversation "
            "ORDER BY ts DESC, id DESC LIMIT 1), "
            "(SELECT COUNT(*) FROM messages m INDEXED BY messages_unread "
            "WHERE m.conversation = c.conversation AND m.outgoing = 0 AND m.status = 'received') "
            "FROM conversations c"
        ).fetchall()
        summaries = []
        for conversation, sealed, last_id, unread in rows:
            if last_id is None:
                continue
            try:
                contact = self._open_contact(conversation, sealed)
            except DamagedValue as exc:
                self._vault.note_damage(f"conversation:{conversation.hex()}", exc.what)
                continue
            # The newest message that opens; a damaged newest one does not hide the conversation.
            last = next(self._walk(contact, None, 16), None)
            if last is not None:
                summaries.append(ConversationSummary(contact, last, int(unread)))
        return sorted(summaries, key=lambda s: s.last.cursor, reverse=True)

    def unread(self, contact: str) -> int:
        row = self._vault.conn.execute(
            # The partial index holds only unread rows, so counting never touches the read ones.
            "SELECT COUNT(*) FROM messages INDEXED BY messages_unread "
            "WHERE conversation = ? AND outgoing = 0 AND status = 'received'",
            (self._conversation(contact),),
        ).fetchone()
        return int(row[0])

    def count(self, contact: str) -> int:
        row = self._vault.conn.execute(
            "SELECT COUNT(*) FROM messages WHERE conversation = ?", (self._conversation(contact),)
        ).fetchone()
        return int(row[0])

    # ------------------------------------------------------------------ internals

    #: The page query; also what tests and the benchmark check with EXPLAIN QUERY PLAN.
    PAGE_QUERY = (
        "SELECT id, outgoing, ts, status, body FROM messages WHERE conversation = ? AND (ts, id) < (?, ?) "
        "ORDER BY ts DESC, id DESC LIMIT ?"
    )

    def _rows(self, conversation: bytes, before: Cursor | None, limit: int) -> list[tuple[Any, ...]]:
        bound = before or Cursor(_END, _END)
        return self._vault.conn.execute(
            self.PAGE_QUERY, (conversation, bound.ts, bound.local_id, limit)
        ).fetchall()

    def _walk(self, contact: str, before: Cursor | None, batch: int) -> Iterator[Message]:
        conversation = self._conversation(contact)
        while True:
            rows = self._rows(conversation, before, batch)
            for row in rows:
                message = self._opened(contact, conversation, row)
                if message is not None:
                    yield message
            if len(rows) < batch:
                return
            before = Cursor(rows[-1][2], rows[-1][0])

    def _ensure_conversation(self, conversation: bytes, contact: str) -> None:
        exists = self._vault.conn.execute(
            "SELECT 1 FROM conversations WHERE conversation = ?", (conversation,)
        ).fetchone()
        if exists is None:
            sealed = self._vault.seal(f"conversation:{conversation.hex()}", contact.encode("utf-8"))
            self._vault.conn.execute(
                "INSERT INTO conversations (conversation, sealed) VALUES (?, ?)", (conversation, sealed)
            )

    def _open_contact(self, conversation: bytes, sealed: bytes) -> str:
        phone = self._vault.open(f"conversation:{conversation.hex()}", sealed, what="conversation")
        return phone.decode("utf-8")

    def _opened(self, contact: str, conversation: bytes, row: tuple[Any, ...]) -> Message | None:
        """The message, or None (noted as damage) when its body does not open."""
        try:
            return self._message(contact, conversation, row)
        except DamagedValue as exc:
            local_id, outgoing, ts = row[0], row[1], row[2]
            self._vault.note_damage(_slot(local_id, conversation, bool(outgoing), ts), exc.what)
            return None

    def _message(self, contact: str, conversation: bytes, row: tuple[Any, ...]) -> Message:
        local_id, outgoing, ts, status, sealed = row
        body = self._vault.open_json(
            _slot(local_id, conversation, bool(outgoing), ts), sealed, what="message"
        )
        if not (
            isinstance(body, dict)
            and isinstance(body.get("id"), str)
            and isinstance(body.get("text"), str)
            and isinstance(body.get("meta"), dict)
        ):
            raise DamagedValue("message")
        return Message(
            local_id, contact, body["id"], bool(outgoing), body["text"], ts / 1000, status, body["meta"]
        )
