"""What the context menu of a message offers, and in which words: the rule, without Tk.

The engine refuses what it does not allow (an edit or a delete for everyone of someone else's
message, or more than 24 hours after it was sent) in words of its own; the menu leaves out what
would only be refused, so that the person is not offered it at all.
"""

from __future__ import annotations

from enum import Enum

from net.client.core.actions import ACTION_WINDOW_MS
from net.client.core.events import MessageStatus, MessageView

#: The emoji the menu offers to react with, in this order.
REACTIONS = ("👍", "❤️", "😂", "😮", "😢", "🙏")


class MenuAction(Enum):
    """An entry of a message's menu; its value is the entry's words."""

    REPLY = "Reply"
    #: A reply's: the message it answers, as a click on its quote (the keyboard's way there).
    ORIGINAL = "Go to the original"
    REACT = "React"
    COPY = "Copy text"
    EDIT = "Edit"
    DELETE_FOR_ME = "Delete for me"
    DELETE_FOR_EVERYONE = "Delete for everyone"
    DETAILS = "Details"


def offered(message: MessageView, now: float) -> tuple[MenuAction, ...]:
    """The entries for ``message`` at ``now`` (seconds): none for a notice; less once it was deleted."""
    if message.notice:
        return ()
    if message.deleted:
        return (MenuAction.DELETE_FOR_ME, MenuAction.DETAILS)
    recent = ours_and_recent(message, now)
    entries = [MenuAction.REPLY, MenuAction.REACT]
    if message.reply_to is not None:
        entries.insert(1, MenuAction.ORIGINAL)
    if message.text:
        entries.append(MenuAction.COPY)
    if recent and message.text and message.attachment is None:
        entries.append(MenuAction.EDIT)
    entries.append(MenuAction.DELETE_FOR_ME)
    if recent:
        entries.append(MenuAction.DELETE_FOR_EVERYONE)
    entries.append(MenuAction.DETAILS)
    return tuple(entries)


def ours_and_recent(message: MessageView, now: float) -> bool:
    """Our own message, sent (not failed) less than 24 hours ago: it may still be taken back or edited."""
    sent = message.sent_at or message.timestamp
    return (
        message.outgoing and message.status != MessageStatus.FAILED and (now - sent) * 1000 < ACTION_WINDOW_MS
    )
