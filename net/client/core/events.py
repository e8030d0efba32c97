"""What the client engine reports: typed, immutable events, and the views they carry.

The engine runs on one worker thread; the app (or a test, or the load tool)
receives these through a callback and must not call back into the engine from
it. Every field is plain data, safe to hand to another thread. Events never
carry private keys; message text appears only in :class:`MessageView`, which
the app shows anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class ConnectionState(StrEnum):
    OFFLINE = "offline"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


class MessageStatus(StrEnum):
    """The life of an outgoing message; incoming ones are RECEIVED, then READ once shown."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    RECEIVED = "received"


@dataclass(frozen=True)
class MessageView:
    message_id: str
    contact: str
    outgoing: bool
    text: str
    timestamp: float
    status: MessageStatus
    #: When the sender says they wrote it (their clock, from the envelope), in seconds; 0.0 when unknown.
    #: ``timestamp`` is when it was written (outgoing) or arrived here (incoming): it orders the history.
    sent_at: float = 0.0
    #: "" for a message; for a notice in the timeline its kind ("key_changed"), with no text.
    notice: str = ""

    def __repr__(self) -> str:  # the text stays out of logs and tracebacks
        return f"MessageView(id={self.message_id!r}, outgoing={self.outgoing}, status={self.status})"


@dataclass(frozen=True)
class ContactView:
    phone: str
    name: str
    verified: bool
    key_changed: bool
    safety_number: str
    #: The name the contact sent end to end ("" until they do); ``name`` is the person's nickname.
    profile_name: str = ""
    #: "accepted", "request" or "blocked" (net.client.core.standing).
    standing: str = "accepted"
    #: A short fingerprint of the contact's identity key ("" before one is pinned): stable across renames.
    key_id: str = ""


@dataclass(frozen=True)
class ConversationView:
    contact: str
    name: str
    last_text: str
    last_timestamp: float
    unread: int
    #: As in ContactView: the name the contact sent, and their identity key's short fingerprint.
    profile_name: str = ""
    key_id: str = ""

    def __repr__(self) -> str:
        return f"ConversationView(contact={self.contact!r}, unread={self.unread})"


@dataclass(frozen=True)
class SearchResultView:
    """One message found by a search across all conversations, with where the query matched.

    ``ranges`` are ``(start, end)`` character spans of ``message.text`` that
    equal the query case-insensitively; ``snippet`` is the text around the first
    of them on one line (see :mod:`net.client.core.snippets`), and
    ``snippet_ranges`` the spans that fall inside it, shifted into it, for
    highlighting. ``name`` is the contact as the conversation list shows it: the
    name given to the contact, or the phone number.
    """

    contact: str
    name: str
    message: MessageView
    ranges: tuple[tuple[int, int], ...]
    snippet: str
    snippet_ranges: tuple[tuple[int, int], ...]

    def __repr__(self) -> str:  # the text and the snippet stay out of logs
        return f"SearchResultView(contact={self.contact!r}, message={self.message!r})"


@dataclass(frozen=True)
class TimelinePlace:
    """Where a message sits in its conversation: ``older`` entries before it, ``total`` in all.

    Entries are messages and notices, as pages hand them out; the app's scrollbar stands for all
    ``total`` of them, not only the pages it has loaded.
    """

    older: int
    total: int


class _ProfileKey(NamedTuple):
    profile_id: str
    name: str


class ProfileEntry(_ProfileKey):
    """A profile file in the folder, before it is unlocked: ``(profile_id, name)``, and ``problem``.

    ``problem`` is "" for a profile that opens. A damaged profile file is listed
    too, with its name when that could still be read and ``problem`` saying, in
    words, that it is damaged. The entry is the pair ``(profile_id, name)`` as a
    tuple, so code that unpacks or compares pairs keeps working.
    """

    problem: str
    #: Open in another window right now (its lock is held): unlocking it here would be refused.
    in_use: bool

    def __new__(cls, profile_id: str, name: str, problem: str = "", in_use: bool = False) -> ProfileEntry:
        entry = super().__new__(cls, profile_id, name)
        entry.problem = problem
        entry.in_use = in_use
        return entry

    def __repr__(self) -> str:
        return (
            f"ProfileEntry(profile_id={self.profile_id!r}, name={self.name!r}, problem={self.problem!r}, "
            f"in_use={self.in_use!r})"
        )


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class ConnectionChanged:
    state: ConnectionState
    detail: str = ""


@dataclass(frozen=True)
class ServerKeyUnknown:
    """First contact with a server: the person should compare and accept its fingerprint."""

    address: str
    fingerprint: str


@dataclass(frozen=True)
class ServerKeyChanged:
    """The server presented another key than the pinned one; the engine refuses until accepted."""

    address: str
    pinned: str
    presented: str


@dataclass(frozen=True)
class CodeSent:
    phone: str
    expires_in: int
    #: Only when the server runs with development codes on loopback.
    dev_code: str | None = None
    #: Where the code went, masked (``a•••@example.org``): for a number with an account, its address on file.
    sent_to: str = ""
    #: The number has an account already: finishing replaces its keys on every device.
    existing: bool = False
    #: The account has a registration lock: its passphrase is needed with the code.
    lock: bool = False

    def __repr__(self) -> str:
        return f"CodeSent(phone={self.phone!r}, expires_in={self.expires_in}, existing={self.existing})"


@dataclass(frozen=True)
class ReregistrationRequested:
    """Someone asked the server for a code to register this account's number anew (maybe not the owner)."""

    sent_to: str
    ts: int


@dataclass(frozen=True)
class Registered:
    phone: str


@dataclass(frozen=True)
class LoggedIn:
    phone: str


@dataclass(frozen=True)
class MessageReceived:
    message: MessageView


@dataclass(frozen=True)
class MessageStatusChanged:
    contact: str
    message_id: str
    status: MessageStatus


@dataclass(frozen=True)
class TypingChanged:
    contact: str
    typing: bool


@dataclass(frozen=True)
class ContactUpdated:
    contact: ContactView


@dataclass(frozen=True)
class ContactKeyChanged:
    """A contact's identity key changed: they re-registered, or someone is intercepting."""

    contact: ContactView
    previous_safety_number: str
    #: The notice the change left in the conversation's timeline (stored there already).
    notice: MessageView | None = None


@dataclass(frozen=True)
class UndecryptableMessage:
    """A message from ``contact`` could not be decrypted; the engine has started a new session."""

    contact: str


@dataclass(frozen=True)
class ErrorReported:
    """Something failed; ``message`` is written for a person, ``code`` is stable for programs."""

    code: str
    message: str
    context: str = ""


@dataclass(frozen=True)
class DiskSpaceChanged:
    """The disk that holds the profile became full (``full``), or writes work again.

    While it is full, commands that store something fail with ``disk_full`` and what
    arrives is kept in memory, unacknowledged, until it can be stored.
    """

    full: bool
    message: str = ""


@dataclass(frozen=True)
class RequestView:
    """A message request: a stranger who wrote first, with what they sent (kept until accepted or deleted)."""

    phone: str
    #: The name they sent end to end, "" if none.
    name: str
    messages: int
    last_text: str
    last_timestamp: float
    key_id: str = ""

    def __repr__(self) -> str:  # the text stays out of logs
        return f"RequestView(phone={self.phone!r}, messages={self.messages})"


@dataclass(frozen=True)
class RequestReceived:
    """A stranger's message landed in the requests (new, or more of one), not in the conversations."""

    request: RequestView


@dataclass(frozen=True)
class RequestsChanged:
    """How many requests are open, and how many messages from blocked numbers were dropped, after a change."""

    count: int
    dropped: int


Event = (
    ConnectionChanged
    | ServerKeyUnknown
    | ServerKeyChanged
    | CodeSent
    | ReregistrationRequested
    | Registered
    | LoggedIn
    | MessageReceived
    | MessageStatusChanged
    | TypingChanged
    | ContactUpdated
    | ContactKeyChanged
    | UndecryptableMessage
    | ErrorReported
    | DiskSpaceChanged
    | RequestReceived
    | RequestsChanged
)
