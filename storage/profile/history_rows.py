"""The SQL the history shares: which conversation a :data:`Chat` names, the columns of a message, a row read.

A contact's conversation is the row of ``conversations`` whose ``contact`` is the
phone, a group's the one whose ``grp`` is the group id (schema step 4: exactly one
of the two is set). Every query of one conversation says which by :func:`where`,
so one set of queries serves both.
"""

from __future__ import annotations

from typing import Any

from storage.profile.attachments import attachment_of
from storage.profile.errors import DamagedValue
from storage.profile.messages import Chat, GroupChat, Message
from storage.profile.vault import Vault

#: The last column is the message's attachment (schema step 6) as one JSON array, or NULL: a lookup
#: by the attachments' primary key, so it works in every query that reads messages, whatever its FROM.
COLUMNS = (
    "m.id, COALESCE(c.contact, ''), m.client, m.outgoing, m.ts, m.status, m.body, m.meta, m.kind, "
    "COALESCE(c.grp, ''), m.sender, "
    "(SELECT json_array(a.message, a.spec, a.state, a.done, a.file, a.source, a.error) "
    "FROM attachments a WHERE a.message = m.id)"
)
FROM = "FROM messages m JOIN conversations c ON c.id = m.conversation"
Row = tuple[Any, ...]


def where(chat: Chat) -> tuple[str, str]:
    """The column that names the conversation (a constant, safe to put in SQL) and its value."""
    if isinstance(chat, GroupChat):
        return "c.grp", chat.group_id
    return "c.contact", chat


def page_query(column: str) -> str:
    """Older messages of one conversation, newest first: the query pages walk (and EXPLAIN checks)."""
    return (
        f"SELECT {COLUMNS} {FROM} "
        f"WHERE {column} = ? AND (m.ts, m.id) < (?, ?) ORDER BY m.ts DESC, m.id DESC LIMIT ?"
    )


def message(row: Row) -> Message:
    """The message of a row of :data:`COLUMNS`; :class:`DamagedValue` when a column is not what it must be."""
    local_id, contact, client, outgoing, ts, status, body, meta_text, kind, group, sender, file = row
    meta = Vault.load_json(meta_text, what="message")
    attachment = None
    if file is not None:
        parts = Vault.load_json(file, what="attachment")
        if not isinstance(parts, list) or len(parts) != 7:
            raise DamagedValue("attachment")
        attachment = attachment_of(tuple(parts))
    if not (
        isinstance(client, str)
        and isinstance(body, str)
        and isinstance(meta, dict)
        and isinstance(ts, int)
        and isinstance(kind, str)
        and isinstance(sender, str)
    ):
        raise DamagedValue("message")
    return Message(
        local_id,
        contact,
        client,
        bool(outgoing),
        body,
        ts / 1000,
        status,
        meta,
        kind,
        group,
        sender,
        attachment,
    )
