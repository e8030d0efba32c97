"""What the history hands out: messages, cursors, pages, conversation summaries, status rules.

A conversation (:data:`Chat`) is a contact's, named by the contact's phone, or a
group's, named by :class:`GroupChat` (schema step 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from storage.profile.attachments import Attachment

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
#: The notices a conversation's timeline holds between messages (schema step 3's ``kind``): a changed
#: safety number, a group's change applied (its meta says which) and one ignored (and why), and a
#: conversation's disappearing timer changed (schema step 8; its meta says to what, and by whom).
NOTICE_KINDS = frozenset({"key_changed", "group_change", "group_change_ignored", "timer_changed"})
OUTGOING_STATUSES = frozenset({"queued", "sent", "delivered", "read", "failed"})
INCOMING_STATUSES = frozenset({"received", "read"})


@dataclass(frozen=True)
class GroupChat:
    """A group's conversation, by the group's id."""

    group_id: str

    def __post_init__(self) -> None:
        if not self.group_id:
            raise ValueError("a group conversation needs the group's id")


#: A conversation: a contact's (their phone) or a group's.
Chat = str | GroupChat


@dataclass(frozen=True, order=True)
class Cursor:
    """A position in time order (milliseconds, then row id): pass it back to page on from there.

    Ordering is the same in one conversation and across all of them, so a cursor
    from :meth:`~storage.profile.history.History.search_all` works there too.
    """

    ts: int
    local_id: int


@dataclass(frozen=True)
class Message:
    local_id: int
    #: The contact of a 1:1 conversation; "" in a group's (see ``group`` and ``sender``).
    contact: str
    client_id: str
    outgoing: bool
    text: str
    #: Seconds since the epoch (stored as whole milliseconds).
    timestamp: float
    status: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: ``text`` for a message, or the kind of notice (:data:`NOTICE_KINDS`) the timeline shows here.
    kind: str = "text"
    #: The group of a group conversation's message; "" in a 1:1 conversation.
    group: str = ""
    #: Who wrote an incoming group message; "" for ours and in 1:1 conversations.
    sender: str = ""
    #: The picture or file it carries (schema step 6); None for a plain text and a notice.
    attachment: Attachment | None = None

    @property
    def chat(self) -> Chat:
        """The conversation the message is in."""
        return GroupChat(self.group) if self.group else self.contact

    @property
    def cursor(self) -> Cursor:
        return Cursor(round(self.timestamp * 1000), self.local_id)

    def __repr__(self) -> str:  # the text and the contact stay out of logs
        return f"Message(local_id={self.local_id}, outgoing={self.outgoing}, status={self.status!r})"


@dataclass(frozen=True)
class Page:
    """Messages newest first, and the cursor for the next page (None when there is no more)."""

    messages: list[Message]
    next: Cursor | None


@dataclass(frozen=True)
class Around:
    """A message with its neighbours, newest first, for jumping to a search hit.

    ``older`` goes to :meth:`History.page` (``before=``) for the messages before
    these, ``newer`` to :meth:`History.page_after` (``after=``) for the ones after;
    each is None when there are none.
    """

    messages: list[Message]
    anchor: Message
    older: Cursor | None
    newer: Cursor | None


@dataclass(frozen=True)
class Place:
    """Where an entry sits in its conversation's timeline (messages and notices, oldest first).

    ``older`` entries come before it (0 for the oldest) and the timeline holds ``total``: what a
    scrollbar standing for the whole conversation needs, beside the pages that are loaded.
    """

    older: int
    total: int


@dataclass(frozen=True)
class ConversationSummary:
    #: The contact of a 1:1 conversation; "" for a group's.
    contact: str
    last: Message
    unread: int
    #: The group of a group's conversation; "" for a 1:1 one.
    group: str = ""

    @property
    def chat(self) -> Chat:
        return GroupChat(self.group) if self.group else self.contact
