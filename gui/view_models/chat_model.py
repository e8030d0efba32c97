"""What the main window shows, as plain data: conversations, unread counts, who is typing.

The controller feeds engine events in and reads back what changed; the views
only draw. Keeping this free of Tk lets the rules (ordering, unread counts,
when to ring the bell) be tested without a display.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from gui.view_models.action_text import DELETED_TEXT
from gui.view_models.file_model import last_line as file_line
from gui.view_models.group_text import preview
from gui.view_models.names import number_beneath, shown_name
from net.client.core.events import ContactView, ConversationView, GroupView, MessageView, TimerChanged

#: How long a typing notice stays up without a refresh from the other side.
TYPING_TIMEOUT = 8.0


def conversation_key(item: ConversationView | MessageView | TimerChanged) -> str:
    """Where a conversation or a message belongs: a group's id, else the contact's phone."""
    return item.group_id or item.contact


@dataclass
class ChatModel:
    conversations: dict[str, ConversationView] = field(default_factory=dict)
    contacts: dict[str, ContactView] = field(default_factory=dict)
    open_contact: str | None = None
    #: contact -> when the typing notice expires (monotonic seconds)
    typing_until: dict[str, float] = field(default_factory=dict)
    #: contacts whose key changed and whose change the person has not yet accepted
    key_changed: set[str] = field(default_factory=set)
    #: The groups this profile is in (or was), by id; their conversations are keyed by that id.
    groups: dict[str, GroupView] = field(default_factory=dict)
    #: Groups we were invited into by strangers and have not accepted: requests, no conversations.
    invitations: set[str] = field(default_factory=set)
    #: Our own number ("you" in a group's notes and previews).
    me: str = ""

    def set_conversations(self, views: list[ConversationView]) -> None:
        self.conversations = {conversation_key(view): view for view in views}

    def set_group(self, group: GroupView) -> None:
        """A group's view: its conversation follows its name and member count (an invitation has none)."""
        if group.standing == "request":
            self.invitations.add(group.group_id)
            return
        self.invitations.discard(group.group_id)
        self.groups[group.group_id] = group
        count = len(group.members)
        view = self.conversations.get(group.group_id)
        if view is None:
            self.conversations[group.group_id] = ConversationView(
                "", group.name, "", group.created, 0, group_id=group.group_id, members=count
            )
        else:
            self.conversations[group.group_id] = replace(view, name=group.name, members=count)

    def others_in(self, group_id: str) -> int:
        """How many members besides us a group has now: our message to it goes to that many."""
        group = self.groups.get(group_id)
        return sum(1 for m in group.members if not m.me) if group else 0

    def drop_group(self, group_id: str) -> None:
        self.groups.pop(group_id, None)
        self.invitations.discard(group_id)
        self.conversations.pop(group_id, None)

    def is_group(self, key: str | None) -> bool:
        return key is not None and (key in self.groups or self._is_group_conversation(key))

    def _is_group_conversation(self, key: str) -> bool:
        view = self.conversations.get(key)
        return view is not None and bool(view.group_id)

    def person(self, phone: str) -> str:
        """A person as a group names them: "you" for us, else the window's one naming rule."""
        return "you" if phone and phone == self.me else self.name(phone)

    def set_contact(self, contact: ContactView) -> None:
        self.contacts[contact.phone] = contact
        if contact.key_changed:
            self.key_changed.add(contact.phone)
        else:
            self.key_changed.discard(contact.phone)
        if contact.phone in self.conversations:
            self.conversations[contact.phone] = replace(
                self.conversations[contact.phone],
                name=contact.name,
                profile_name=contact.profile_name,
                key_id=contact.key_id,
                picture=contact.picture,
            )

    def _names(self, phone: str) -> tuple[str, str]:
        contact = self.contacts.get(phone)
        if contact is not None:
            return contact.name, contact.profile_name
        conversation = self.conversations.get(phone)
        return (conversation.name, conversation.profile_name) if conversation else ("", "")

    def name(self, phone: str) -> str:
        """The name shown for a number (gui.view_models.names: nickname, their name, the number).

        For a group's id, the group's name.
        """
        group = self.groups.get(phone)
        if group is not None:
            return group.name
        conversation = self.conversations.get(phone)
        if conversation is not None and conversation.group_id:
            return conversation.name
        return shown_name(phone, *self._names(phone))

    def number_beneath(self, phone: str) -> str:
        return number_beneath(phone, *self._names(phone))

    def last_line(self, message: MessageView) -> str:
        """A message as the list's last line: in a group with its sender ("Bob: see you", "You: …")."""
        text = message.text if message.attachment is None else file_line(message.attachment, message.text)
        if message.deleted:
            text = DELETED_TEXT
        if not message.group_id or message.notice:
            return text
        sender = "You" if message.outgoing else self.person(message.sender)
        return preview(text, sender)

    def key_id(self, phone: str) -> str:
        contact = self.contacts.get(phone)
        if contact is not None and contact.key_id:
            return contact.key_id
        conversation = self.conversations.get(phone)
        return conversation.key_id if conversation else ""

    def picture(self, phone: str) -> bytes:
        """A contact's profile picture (b"" for none, and for a group)."""
        contact = self.contacts.get(phone)
        if contact is not None:
            return contact.picture
        conversation = self.conversations.get(phone)
        return conversation.picture if conversation else b""

    def ordered(self) -> list[ConversationView]:
        """Newest first; conversations without messages (just started) by name at the end."""
        return sorted(self.conversations.values(), key=lambda c: (-c.last_timestamp, c.name or c.contact))

    @property
    def total_unread(self) -> int:
        return sum(view.unread for view in self.conversations.values())

    def set_last_text(self, key: str, text: str) -> None:
        """The list's last line of a conversation, as :meth:`last_line` words it."""
        view = self.conversations.get(key)
        if view is not None:
            self.conversations[key] = replace(view, last_text=text)

    def ensure_conversation(self, phone: str, name: str = "") -> None:
        if phone not in self.conversations:
            contact = self.contacts.get(phone)
            self.conversations[phone] = ConversationView(
                phone,
                name,
                "",
                0.0,
                0,
                profile_name=contact.profile_name if contact else "",
                key_id=contact.key_id if contact else "",
                picture=contact.picture if contact else b"",
            )

    def message(self, message: MessageView, *, window_focused: bool = True) -> bool:
        """Take a new message into its conversation; True when it should ring the bell.

        An incoming message counts as unread unless its conversation is open in a
        focused window; it rings the bell when it lands in another conversation.
        """
        key = conversation_key(message)
        if message.group_id and key not in self.conversations:
            self.conversations[key] = ConversationView("", "", "", 0.0, 0, group_id=key)
        self.ensure_conversation(key, self.name(key))
        previous = self.conversations[key]
        # a group's note, or a timer's, moves it up, but is no message to read
        if message.notice and (message.group_id or message.notice == "timer_changed"):
            self.conversations[key] = replace(
                previous, last_timestamp=max(message.timestamp, previous.last_timestamp)
            )
            return False
        seen = key == self.open_contact and window_focused
        unread = previous.unread + (1 if not message.outgoing and not seen else 0)
        newer = message.timestamp >= previous.last_timestamp
        self.conversations[key] = replace(
            previous,
            last_text=self.last_line(message) if newer else previous.last_text,
            last_timestamp=max(message.timestamp, previous.last_timestamp),
            unread=unread,
        )
        if not message.outgoing:
            self.typing_until.pop(key, None)
        return not message.outgoing and key != self.open_contact

    def mark_read(self, phone: str) -> bool:
        """Clear a conversation's unread count; True when there was something to clear."""
        view = self.conversations.get(phone)
        if view is None or view.unread == 0:
            return False
        self.conversations[phone] = replace(view, unread=0)
        return True

    def set_unread(self, phone: str, unread: int) -> None:
        """Some of a conversation's messages were seen: ``unread`` of them are left."""
        view = self.conversations.get(phone)
        if view is not None and view.unread != unread:
            self.conversations[phone] = replace(view, unread=max(0, unread))

    def typing(self, phone: str, typing: bool, now: float) -> None:
        if typing:
            self.typing_until[phone] = now + TYPING_TIMEOUT
        else:
            self.typing_until.pop(phone, None)

    def is_typing(self, phone: str, now: float) -> bool:
        until = self.typing_until.get(phone)
        if until is not None and until <= now:
            del self.typing_until[phone]
            return False
        return until is not None

    def clear(self) -> None:
        self.conversations.clear()
        self.contacts.clear()
        self.open_contact = None
        self.typing_until.clear()
        self.key_changed.clear()
        self.groups.clear()
        self.invitations.clear()
