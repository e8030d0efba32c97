"""What the client engine reports: typed, immutable events, and the views they carry.

The engine runs on one worker thread; the app (or a test, or the load tool)
receives these through a callback and must not call back into the engine from
it. Every field is plain data, safe to hand to another thread. Events never
carry private keys; message text appears only in :class:`MessageView`, which
the app shows anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from net.client.core.actions import ReplyView


class ConnectionState(StrEnum):
    OFFLINE = "offline"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


class TransferState(StrEnum):
    """An attachment's transfer: ours PREPARING, UPLOADING, DONE; theirs WAITING, DOWNLOADING, DONE."""

    PREPARING = "preparing"  # ours: sealing the local copy
    UPLOADING = "uploading"
    WAITING = "waiting"  # theirs: announced, not yet downloading (queued)
    DOWNLOADING = "downloading"
    PAUSED = "paused"
    DONE = "done"  # ours: uploaded and announced; theirs: downloaded and checked
    FAILED = "failed"  # ``error`` says why in words; resume tries again
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class AttachmentView:
    """A picture or a file carried by a message, and how far its transfer is."""

    name: str
    #: Plaintext bytes.
    size: int
    mime: str
    state: TransferState
    #: Plaintext bytes moved so far (for the progress bar).
    transferred: int = 0
    #: Pictures: their size in pixels; 0 otherwise.
    width: int = 0
    height: int = 0
    #: A JPEG of at most 24 KiB made by the sender (b"" if none); never shown by repr.
    thumbnail: bytes = b""
    #: Why it failed or paused, in words ("" otherwise).
    error: str = ""

    def __repr__(self) -> str:  # the name and the thumbnail stay out of logs
        return (
            f"AttachmentView(size={self.size}, mime={self.mime!r}, state={self.state}, "
            f"transferred={self.transferred})"
        )


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
    #: In a group: "group_created", "member_added", "member_removed", "member_left", "group_renamed",
    #: "admin_granted", "admin_taken", "change_ignored" (someone tried a change the rules refuse), and
    #: "key_changed" for a member's key (``notice_who``; that member's copies are held).
    notice: str = ""
    #: The group's id for a group's message or notice ("" in a 1:1 conversation; ``contact`` is "" then).
    group_id: str = ""
    #: The author of an incoming group message (a phone); "" for ours and in 1:1.
    sender: str = ""
    #: Our group message: how many members it went to, and how many of them said delivered / read.
    recipients: int = 0
    delivered_count: int = 0
    read_count: int = 0
    #: A group notice's people and words: who did it (``notice_by``), to whom (``notice_who``, a
    #: phone, "" if nobody), and the new name or the kind tried by an ignored change (``notice_detail``,
    #: e.g. "add"), with the reason it was ignored in ``notice_reason``.
    notice_by: str = ""
    notice_who: str = ""
    notice_detail: str = ""
    notice_reason: str = ""
    #: The picture or file this message carries (its text is then the caption, maybe empty).
    attachment: AttachmentView | None = None
    #: The message this one answers (net.client.actions_api.ActionsApi.send_reply); None if none.
    reply_to: ReplyView | None = None
    #: The reactions standing on it: (emoji, how many people, whether one of them is us), the
    #: emoji first chosen first.
    reactions: tuple[tuple[str, int, bool], ...] = ()
    #: Its author changed its text (``text`` is the newest; :class:`MessageDetails` has the earlier).
    edited: bool = False
    #: Its author deleted it for everyone: ``text`` is "" and ``attachment`` None (the bubble says
    #: "This message was deleted").
    deleted: bool = False
    #: The disappearing timer it was sent under (seconds; 0 none), and when it disappears here
    #: (seconds since 1970; 0.0 when it does not, or its countdown has not started: an incoming
    #: message not read yet). A "timer_changed" notice's ``notice_detail`` is the new timer.
    timer: int = 0
    expires_at: float = 0.0

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
    #: The profile picture the contact sent (a square JPEG), b"" for none.
    picture: bytes = field(default=b"", repr=False)


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
    #: A group's conversation: its id (``contact`` is "" and ``name`` the group's name) and member count.
    group_id: str = ""
    members: int = 0
    #: A contact's profile picture, as in ContactView (b"" for none, and for a group).
    picture: bytes = b""
    #: The conversation's disappearing timer (seconds; 0 off).
    disappearing: int = 0

    def __repr__(self) -> str:
        return f"ConversationView(contact={self.contact!r}, group={self.group_id!r}, unread={self.unread})"


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
    #: For a group message: the group (``contact`` is ""), and the receipt counts now.
    group_id: str = ""
    delivered_count: int = 0
    read_count: int = 0


@dataclass(frozen=True)
class TypingChanged:
    contact: str
    typing: bool
    #: A member typing in this group ("" in 1:1).
    group_id: str = ""


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


# --------------------------------------------------------------------------- groups


@dataclass(frozen=True)
class GroupMemberView:
    """One member of a group as the member list shows them."""

    phone: str
    #: The nickname we gave them as a contact, else the name they sent, else "" (the app shows the phone).
    name: str
    admin: bool
    verified: bool
    #: We hold their pinned identity, so :meth:`Messenger.safety_number` answers for them.
    safety_number_available: bool
    #: This member is us.
    me: bool = False
    #: As a contact: "accepted", "request", "blocked", or "" for a number that is no contact of ours.
    standing: str = ""
    #: Their key changed and is not accepted yet: their copies are held.
    key_changed: bool = False
    key_id: str = ""


@dataclass(frozen=True)
class GroupView:
    group_id: str
    name: str
    #: The members, the longest-standing first.
    members: tuple[GroupMemberView, ...]
    #: Ours: "member", "request" (an invitation not accepted yet), "left" or "removed".
    standing: str
    #: The group's version (the highest version of a valid change).
    version: int
    #: When this profile first stored the group (seconds).
    created: float
    #: Who made the group (a phone).
    created_by: str = ""
    #: We are an admin (may add, remove, rename, grant and take admin).
    admin: bool = False

    def __repr__(self) -> str:  # the name and the members stay out of logs
        return f"GroupView(members={len(self.members)}, standing={self.standing!r}, version={self.version})"


class MemberReceipt(NamedTuple):
    """One member's receipts of our group message: when it was delivered and read there (None: not yet)."""

    member: str
    delivered_at: float | None
    read_at: float | None
    #: The server's code when this member's copy failed for good ("" otherwise); ``retry`` sends it again.
    failed: str = ""


@dataclass(frozen=True)
class GroupRequest:
    """An invitation into a group from someone who is not our contact: a request, accepted or declined whole.

    Nothing goes back to the group (no receipts, no name, no typing) until it is accepted.
    """

    group_id: str
    name: str
    #: Who added us (a phone), and the name they sent ("" if none).
    inviter: str
    inviter_name: str
    members: int
    #: Messages already received in it, and the newest.
    messages: int
    last_text: str
    last_timestamp: float

    def __repr__(self) -> str:
        return f"GroupRequest(members={self.members}, messages={self.messages})"


@dataclass(frozen=True)
class MessageChanged:
    """A message shown changed: a reaction, an edit, a delete for everyone came or was made, or a
    quote of a deleted message was emptied. ``removed``: it is gone from this profile (deleted for us);
    ``message`` is then the view it had."""

    message: MessageView
    removed: bool = False


@dataclass(frozen=True)
class MessageDetails:
    """What the details of a message show: when it was sent, delivered and read (ours, 1:1: the
    contact's receipts; None: not yet), each member's receipts (ours, in a group), who reacted with
    what ((phone, emoji); "" for us), and its earlier texts with when each was replaced."""

    message: MessageView
    sent_at: float
    delivered_at: float | None = None
    read_at: float | None = None
    members: tuple[MemberReceipt, ...] = ()
    reactions: tuple[tuple[str, str], ...] = ()
    versions: tuple[tuple[str, float], ...] = ()

    def __repr__(self) -> str:  # the texts stay out of logs
        return f"MessageDetails(message={self.message!r}, versions={len(self.versions)})"


@dataclass(frozen=True)
class GroupChanged:
    """A group changed (made, joined, a change applied, renamed, left, accepted), or an invitation came.

    ``notices`` are the timeline notes the change left (stored already), oldest first.
    ``removed`` says the group is gone from this profile (declined, blocked).
    """

    group: GroupView
    notices: tuple[MessageView, ...] = ()
    removed: bool = False


@dataclass(frozen=True)
class TimerChanged:
    """A conversation's disappearing timer changed (by us or by them): ``contact`` in 1:1 ("" in a
    group) or ``group_id``; ``seconds`` the new timer (0 off); ``by`` who set it ("" for us)."""

    contact: str
    group_id: str
    seconds: int
    by: str


@dataclass(frozen=True)
class TransferProgress:
    """An attachment moved on: at most about ten a second per transfer, and one at every change of state."""

    message_id: str
    #: The conversation: a contact's phone in 1:1 ("" in a group), or the group's id ("" in 1:1).
    contact: str
    group_id: str
    attachment: AttachmentView


# Linked devices' events live apart (net/client/core/device_events.py); re-exported for the union.
from net.client.core.device_events import DevicesChanged as DevicesChanged  # noqa: E402
from net.client.core.device_events import DeviceView as DeviceView  # noqa: E402
from net.client.core.device_events import LinkCodeShown as LinkCodeShown  # noqa: E402
from net.client.core.device_events import LinkComparison as LinkComparison  # noqa: E402
from net.client.core.device_events import LinkFailed as LinkFailed  # noqa: E402
from net.client.core.device_events import LinkFinished as LinkFinished  # noqa: E402

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
    | MessageChanged
    | TypingChanged
    | ContactUpdated
    | ContactKeyChanged
    | UndecryptableMessage
    | ErrorReported
    | DiskSpaceChanged
    | RequestReceived
    | RequestsChanged
    | GroupChanged
    | TransferProgress
    | TimerChanged
    | LinkCodeShown
    | LinkComparison
    | LinkFinished
    | LinkFailed
    | DevicesChanged
)
