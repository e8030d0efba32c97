"""The words of a desktop notification, as the person's setting allows; no Tk, no bus.

One notification stands for every message of a conversation that arrived
unseen: its title is the sender's name and its body the newest text (with how
many more there are), or only how many there are, or there is none.

A message request (a stranger who wrote first) is told without who or what, as
Signal shows requests: only that there is one, and how many, whatever the
setting allows beyond that (or nothing, when it allows no notification).
"""

from __future__ import annotations

from net.client.core.privacy import NotificationContent

#: The longest text a notification's body quotes; the rest is in the window.
MOST_CHARACTERS = 160


def notification_text(
    name: str, newest: str, count: int, content: NotificationContent
) -> tuple[str, str] | None:
    """``(title, body)`` for ``count`` unseen messages from ``name``, the newest ``newest``; or None."""
    if content is NotificationContent.NOTHING or count < 1:
        return None
    if content is NotificationContent.NAME_ONLY:
        return name, "New message" if count == 1 else f"{count} new messages"
    text = " ".join(newest.split())
    if len(text) > MOST_CHARACTERS:
        text = text[: MOST_CHARACTERS - 1].rstrip() + "…"
    if count > 1:
        more = "1 more message" if count == 2 else f"{count - 1} more messages"
        text = f"{text}\n({more})"
    return name, text


def request_notification_text(count: int, content: NotificationContent) -> tuple[str, str] | None:
    """``(title, body)`` for ``count`` new message requests: no name, no number, no text; or None."""
    if content is NotificationContent.NOTHING or count < 1:
        return None
    title = "New message request" if count == 1 else f"{count} new message requests"
    return title, "From a number not in your contacts. Nothing goes back until you accept."


def unavailable_text(reason: str) -> str:
    """What Settings says beside the notification choice when notifications cannot be shown here."""
    return (
        f"Desktop notifications are not available on this computer: {reason}. New messages still show "
        "in the window's title and in the conversation list."
    )
