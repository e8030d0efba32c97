"""The words a bubble shows for the message actions: a reply's quote, reactions, "edited", a deleted one."""

from __future__ import annotations

from collections.abc import Callable

from net.client.core.actions import ReplyView
from net.client.core.events import MessageView

#: What a message deleted for everyone says in place of its text.
DELETED_TEXT = "This message was deleted"
#: Beside the time of a message whose text its author changed.
EDITED = "edited"
#: How much of the quoted text a reply's quote shows, in characters.
QUOTE_SHOWN = 80
#: The bar above the composer while it edits one of our messages.
EDITING = "Editing your message — Enter saves, Escape cancels"


def quote_name(reply: ReplyView, name_of: Callable[[str], str]) -> str:
    """Who wrote the quoted message: "You" for ours, else as the conversation names them."""
    return "You" if not reply.sender else name_of(reply.sender)


def quote_start(reply: ReplyView) -> str:
    """The start of the quoted text on one line, cut with an ellipsis; the original was deleted: says so."""
    if not reply.text:
        return DELETED_TEXT
    return one_line(reply.text)


def one_line(text: str) -> str:
    """The start of a text on one line, cut with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= QUOTE_SHOWN else line[: QUOTE_SHOWN - 1].rstrip() + "…"


def replying_text(name: str, message: MessageView) -> str:
    """The bar above the composer while it answers ``message``, written by ``name``."""
    attachment = message.attachment
    start = one_line(message.text) if message.text else attachment.name if attachment is not None else ""
    return f"Replying to {name}: {start}" if start else f"Replying to {name}"


def reaction_chips(reactions: tuple[tuple[str, int, bool], ...]) -> list[tuple[str, bool]]:
    """Each reaction as its chip reads ("👍 2"), and whether one of them is ours (the chip is marked)."""
    return [(f"{emoji} {count}", mine) for emoji, count, mine in reactions if count > 0]
