"""What people did with messages (schema step 7): reply quotes, reactions, edits, deletions, and
actions that came before their message.

Rows hang off ``messages`` by its row id and go with it (``ON DELETE CASCADE``). An edit replaces
the text through ``messages.body``, so the full-text index follows in the same transaction (its
triggers), and keeps the earlier text in ``edits``; a delete for everyone empties the text, the
earlier versions, the reactions, the attachment (whose sealed file goes once the transaction
commits, :mod:`storage.profile.attachments`) and every quote of it, and keeps only the mark that
it was deleted. A delete for us removes the row itself and remembers its name in
``gone_messages``, so a copy sent again is not stored again. Either delete leaves the text in no
file: ``secure_delete`` zeroes what the rows and the index freed (the index forgets for good since
schema step 8), and the write-ahead log is checkpointed once the transaction commits (best effort).
The store decides nothing about who may do what: the engine does (net.client.actions).

A conversation is named here by a short key (:func:`chat_key`), a message's author by a phone or
"" for us, as the engine names them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from storage.profile.canonical import nfc
from storage.profile.messages import Chat, GroupChat
from storage.profile.vault import Vault

#: The most actions kept waiting for their messages; the oldest go first beyond it.
MAX_PENDING = 2000


@dataclass(frozen=True)
class Marks:
    """A message's marks: what it quotes (empty strings for none), when it was last edited (0: never),
    and whether it was deleted for everyone."""

    reply_author: str = ""
    reply_client: str = ""
    reply_text: str = ""
    edited_at_ms: int = 0
    deleted: bool = False

    def __repr__(self) -> str:  # the quote stays out of logs
        edited = bool(self.edited_at_ms)
        return f"Marks(reply={bool(self.reply_client)}, edited={edited}, deleted={self.deleted})"


@dataclass(frozen=True)
class Reaction:
    reactor: str
    emoji: str
    at_ms: int


@dataclass(frozen=True)
class Version:
    """An earlier text of an edited message, and when it was replaced (the editor's time, ms)."""

    text: str
    replaced_at_ms: int

    def __repr__(self) -> str:
        return f"Version(replaced_at_ms={self.replaced_at_ms})"


@dataclass(frozen=True)
class PendingAction:
    actor: str
    payload: dict[str, Any]
    arrived_at_ms: int


def chat_key(chat: Chat) -> str:
    """The key of a conversation in ``pending_actions`` and ``gone_messages``."""
    return f"g:{chat.group_id}" if isinstance(chat, GroupChat) else f"c:{chat}"


class ActionStore:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    # ------------------------------------------------------------------ reading

    def marks(self, messages: Iterable[int]) -> dict[int, Marks]:
        ids = list(dict.fromkeys(messages))
        if not ids:
            return {}
        rows = self._vault.conn.execute(
            "SELECT message, reply_author, reply_client, reply_text, edited_at, deleted "  # noqa: S608 - placeholders only
            f"FROM message_marks WHERE message IN ({','.join('?' * len(ids))})",
            ids,
        ).fetchall()
        return {int(r[0]): Marks(str(r[1]), str(r[2]), str(r[3]), int(r[4]), bool(r[5])) for r in rows}

    def reactions(self, messages: Iterable[int]) -> dict[int, list[Reaction]]:
        """The reactions standing (not taken back) on each message, oldest first."""
        ids = list(dict.fromkeys(messages))
        if not ids:
            return {}
        rows = self._vault.conn.execute(
            "SELECT message, reactor, emoji, at FROM reactions "  # noqa: S608 - placeholders only
            f"WHERE emoji != '' AND message IN ({','.join('?' * len(ids))}) ORDER BY at, reactor",
            ids,
        ).fetchall()
        found: dict[int, list[Reaction]] = {}
        for message, reactor, emoji, at in rows:
            found.setdefault(int(message), []).append(Reaction(str(reactor), str(emoji), int(at)))
        return found

    def reaction_time(self, message: int, reactor: str) -> int:
        """When ``reactor`` last reacted to the message (or took it back), in ms; 0 if never."""
        row = self._vault.conn.execute(
            "SELECT at FROM reactions WHERE message = ? AND reactor = ?", (message, reactor)
        ).fetchone()
        return 0 if row is None else int(row[0])

    def versions(self, message: int) -> list[Version]:
        """The earlier texts of an edited message, oldest first."""
        rows = self._vault.conn.execute(
            "SELECT body, replaced_at FROM edits WHERE message = ? ORDER BY version", (message,)
        ).fetchall()
        return [Version(str(body), int(at)) for body, at in rows]

    def is_gone(self, chat: Chat, author: str, client_id: str) -> bool:
        row = self._vault.conn.execute(
            "SELECT 1 FROM gone_messages WHERE chat = ? AND author = ? AND client = ?",
            (chat_key(chat), author, client_id),
        ).fetchone()
        return row is not None

    # ------------------------------------------------------------------ writing

    def set_reply(self, message: int, author: str, client_id: str, quote: str) -> None:
        with self._vault.transaction():
            self._ensure(message)
            self._vault.conn.execute(
                "UPDATE message_marks SET reply_author = ?, reply_client = ?, reply_text = ? "
                "WHERE message = ?",
                (author, client_id, nfc(quote), message),
            )

    def react(self, message: int, reactor: str, emoji: str, at_ms: int) -> bool:
        """Set ``reactor``'s reaction ("" takes it back) unless a newer one stands; True if it changed."""
        with self._vault.transaction():
            row = self._vault.conn.execute(
                "SELECT emoji, at FROM reactions WHERE message = ? AND reactor = ?", (message, reactor)
            ).fetchone()
            if row is not None and int(row[1]) >= at_ms:
                return False
            self._vault.conn.execute(
                "INSERT INTO reactions (message, reactor, emoji, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (message, reactor) DO UPDATE SET emoji = excluded.emoji, at = excluded.at",
                (message, reactor, emoji, at_ms),
            )
        return (row[0] if row is not None else "") != emoji

    def edit(self, message: int, text: str, at_ms: int) -> bool:
        """Replace the text, keeping the one it had, unless a newer edit stands or it was deleted;
        True if it changed. The search index follows (the ``messages`` triggers)."""
        with self._vault.transaction():
            marks = self.marks([message]).get(message, Marks())
            row = self._vault.conn.execute("SELECT body FROM messages WHERE id = ?", (message,)).fetchone()
            if row is None or marks.deleted or marks.edited_at_ms >= at_ms or str(row[0]) == nfc(text):
                return False
            self._ensure(message)
            self._vault.conn.execute(
                "INSERT INTO edits (message, version, body, replaced_at) VALUES "
                "(?, (SELECT COUNT(*) + 1 FROM edits WHERE message = ?), ?, ?)",
                (message, message, row[0], at_ms),
            )
            self._vault.conn.execute("UPDATE messages SET body = ? WHERE id = ?", (nfc(text), message))
            self._vault.conn.execute(
                "UPDATE message_marks SET edited_at = ? WHERE message = ?", (at_ms, message)
            )
        return True

    def delete_for_everyone(self, message: int, author: str) -> bool:
        """Empty the message everywhere it is kept here (text, index, earlier versions, reactions,
        attachment and its file, quotes of it) and mark it deleted; True if it was not already."""
        with self._vault.transaction():
            row = self._vault.conn.execute(
                "SELECT m.client, m.conversation, COALESCE(k.deleted, 0) FROM messages m "
                "LEFT JOIN message_marks k ON k.message = m.id WHERE m.id = ?",
                (message,),
            ).fetchone()
            if row is None or row[2]:
                return False
            self._ensure(message)
            conn = self._vault.conn
            conn.execute("UPDATE messages SET body = '' WHERE id = ?", (message,))
            conn.execute("DELETE FROM edits WHERE message = ?", (message,))
            conn.execute("DELETE FROM reactions WHERE message = ?", (message,))
            conn.execute("DELETE FROM attachments WHERE message = ?", (message,))
            conn.execute("UPDATE message_marks SET deleted = 1 WHERE message = ?", (message,))
            self._forget_quotes(int(row[1]), author, str(row[0]))
            self._vault.checkpoint_after_commit()  # the log keeps the text's old pages until then
        return True

    def delete_for_me(self, message: int, chat: Chat, author: str) -> bool:
        """Remove the message from this profile (row, index, marks, attachment, quotes of it), and
        remember it so that a copy sent again is not stored; True if it was here."""
        with self._vault.transaction():
            row = self._vault.conn.execute(
                "SELECT client, conversation FROM messages WHERE id = ?", (message,)
            ).fetchone()
            if row is None:
                return False
            self._forget_quotes(int(row[1]), author, str(row[0]))
            self._vault.conn.execute("DELETE FROM messages WHERE id = ?", (message,))
            self._vault.conn.execute(
                "INSERT OR IGNORE INTO gone_messages (chat, author, client) VALUES (?, ?, ?)",
                (chat_key(chat), author, str(row[0])),
            )
            self._vault.checkpoint_after_commit()  # the log keeps the text's old pages until then
        return True

    def keep_pending(
        self, chat: Chat, author: str, client_id: str, actor: str, payload: dict[str, Any], at_ms: int
    ) -> None:
        """Keep an action whose message has not come yet (the oldest go beyond :data:`MAX_PENDING`)."""
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT INTO pending_actions (chat, author, client, actor, payload, arrived_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (chat_key(chat), author, client_id, actor, Vault.dump_json(payload), at_ms),
            )
            self._vault.conn.execute(
                "DELETE FROM pending_actions WHERE id <= (SELECT MAX(id) FROM pending_actions) - ?",
                (MAX_PENDING,),
            )

    def take_pending(self, chat: Chat, author: str, client_id: str) -> list[PendingAction]:
        """The actions waiting for this message, in the order they came; they are no longer kept."""
        key = (chat_key(chat), author, client_id)
        with self._vault.transaction():
            rows = self._vault.conn.execute(
                "SELECT actor, payload, arrived_at FROM pending_actions "
                "WHERE chat = ? AND author = ? AND client = ? ORDER BY id",
                key,
            ).fetchall()
            self._vault.conn.execute(
                "DELETE FROM pending_actions WHERE chat = ? AND author = ? AND client = ?", key
            )
        found = []
        for actor, payload, at in rows:
            value = Vault.load_json(payload, what="pending action")
            if isinstance(value, dict):
                found.append(PendingAction(str(actor), value, int(at)))
        return found

    def pending_count(self) -> int:
        return int(self._vault.conn.execute("SELECT COUNT(*) FROM pending_actions").fetchone()[0])

    # ------------------------------------------------------------------ internals

    def _ensure(self, message: int) -> None:
        self._vault.conn.execute("INSERT OR IGNORE INTO message_marks (message) VALUES (?)", (message,))

    def _forget_quotes(self, conversation: int, author: str, client_id: str) -> None:
        """Empty the quote of every reply to this message in its conversation."""
        self._vault.conn.execute(
            "UPDATE message_marks SET reply_text = '' WHERE reply_client = ? AND reply_author = ? "
            "AND message IN (SELECT id FROM messages WHERE conversation = ?)",
            (client_id, author, conversation),
        )
