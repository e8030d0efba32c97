"""Disappearing messages (schema step 8): each conversation's timer, and when each message disappears.

A conversation's timer is one row of ``chat_timers`` (none: off), named by the short key of
:func:`storage.profile.actions.chat_key`; the newest setting wins, so :meth:`TimerStore.set_chat`
keeps the one with the later time (the greater phone on a tie) and says whether it changed.
A message sent under a timer has a row of ``message_timers`` (it goes with the message): the
timer, and when the message disappears here in milliseconds, 0 while the countdown has not
started (an incoming message not read yet). The store decides nothing about who may set what,
and removes nothing itself: the engine removes what is due as a delete for us removes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.profile.actions import chat_key
from storage.profile.messages import Chat, GroupChat
from storage.profile.vault import Vault


@dataclass(frozen=True)
class ChatTimer:
    """A conversation's timer (seconds, 0 off), when it was set (ms, the setter's clock; 0 never)
    and by whom (a phone; "" never set)."""

    seconds: int = 0
    set_at_ms: int = 0
    set_by: str = ""


@dataclass(frozen=True)
class MessageTimer:
    """The timer a message was sent under (seconds) and when it disappears here (ms; 0 not started)."""

    timer: int
    expires_at_ms: int


@dataclass(frozen=True)
class Due:
    """A message whose time is up, as the history names it."""

    local_id: int
    chat: Chat
    client_id: str
    outgoing: bool
    #: The author of an incoming group message; "" otherwise.
    sender: str


class TimerStore:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    # ------------------------------------------------------------------ conversations

    def chat(self, chat: Chat) -> ChatTimer:
        row = self._vault.conn.execute(
            "SELECT seconds, set_at, set_by FROM chat_timers WHERE chat = ?", (chat_key(chat),)
        ).fetchone()
        return ChatTimer() if row is None else ChatTimer(int(row[0]), int(row[1]), str(row[2]))

    def chats(self) -> dict[str, int]:
        """Every conversation's timer that is on, by the key :func:`chat_key` gives it."""
        rows = self._vault.conn.execute("SELECT chat, seconds FROM chat_timers WHERE seconds > 0")
        return {str(chat): int(seconds) for chat, seconds in rows}

    def set_chat(self, chat: Chat, seconds: int, at_ms: int, by: str) -> bool:
        """Set the conversation's timer unless a newer setting stands; True if this one now stands
        (a repeat of the standing one is not newer)."""
        if seconds < 0 or not by:
            raise ValueError("a timer is a number of seconds, set by someone")
        with self._vault.transaction():
            standing = self.chat(chat)
            if (at_ms, by) <= (standing.set_at_ms, standing.set_by):
                return False
            self._vault.conn.execute(
                "INSERT INTO chat_timers (chat, seconds, set_at, set_by) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (chat) DO UPDATE SET seconds = excluded.seconds, set_at = excluded.set_at, "
                "set_by = excluded.set_by",
                (chat_key(chat), seconds, at_ms, by),
            )
        return True

    # ------------------------------------------------------------------ messages

    def set_message(self, message: int, timer: int, expires_at_ms: int = 0) -> None:
        """The message was sent under ``timer`` seconds (0: none, nothing kept); it disappears at
        ``expires_at_ms`` (0: its countdown starts later, see :meth:`start`)."""
        if timer <= 0:
            return
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT INTO message_timers (message, timer, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (message) DO UPDATE SET timer = excluded.timer, "
                "expires_at = excluded.expires_at",
                (message, timer, expires_at_ms),
            )

    def start(self, messages: Iterable[int], now_ms: int) -> list[int]:
        """Start the countdown of those of ``messages`` that have a timer not started; their ids."""
        ids = list(dict.fromkeys(messages))
        started: list[int] = []
        with self._vault.transaction():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = self._vault.conn.execute(
                    "SELECT message FROM message_timers WHERE expires_at = 0 "  # noqa: S608 - placeholders only
                    f"AND message IN ({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
                found = [int(row[0]) for row in rows]
                self._vault.conn.executemany(
                    "UPDATE message_timers SET expires_at = ? + timer * 1000 WHERE message = ?",
                    [(now_ms, message) for message in found],
                )
                started += found
        return started

    def of(self, messages: Iterable[int]) -> dict[int, MessageTimer]:
        ids = list(dict.fromkeys(messages))
        found: dict[int, MessageTimer] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self._vault.conn.execute(
                "SELECT message, timer, expires_at FROM message_timers "  # noqa: S608 - placeholders only
                f"WHERE message IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            found.update({int(r[0]): MessageTimer(int(r[1]), int(r[2])) for r in rows})
        return found

    def next_due(self) -> int | None:
        """When the next message disappears (ms), None if none is counting down."""
        row = self._vault.conn.execute(
            "SELECT MIN(expires_at) FROM message_timers WHERE expires_at > 0"
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def due(self, now_ms: int, limit: int = 200) -> list[Due]:
        """Messages whose time is up at ``now_ms``, the earliest first."""
        rows = self._vault.conn.execute(
            "SELECT m.id, c.contact, c.grp, m.client, m.outgoing, m.sender FROM message_timers t "
            "JOIN messages m ON m.id = t.message JOIN conversations c ON c.id = m.conversation "
            "WHERE t.expires_at > 0 AND t.expires_at <= ? ORDER BY t.expires_at, m.id LIMIT ?",
            (now_ms, limit),
        ).fetchall()
        found = []
        for local_id, contact, group, client, outgoing, sender in rows:
            chat: Chat = GroupChat(str(group)) if group else str(contact)
            found.append(Due(int(local_id), chat, str(client), bool(outgoing), str(sender)))
        return found
