"""What the timeline says and where: the time on a bubble, the unread divider, notices, the badge.

Plain functions without Tk, so that the rules (which clock to trust, where the
divider goes, how much of a preview fits beside a badge) are tested without a
display; the views only draw what these return.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from net.client.core.events import MessageStatus, MessageView

#: A sender's clock this far ahead of the arrival is not believed: the bubble shows the arrival instead.
#: A message may well arrive days after it was written (the sender was offline), so only the future is
#: suspect; a day covers every time zone mistake and a clock a few hours fast, not a clock set wrong.
FUTURE_LIMIT = 86400.0
#: The mark of a text held after a key change (not the ◷ of "waiting for the network").
HELD_MARK = "⏸"
#: The most a badge says; a longer count would push the preview away.
BADGE_MOST = 999


def shown_time(message: MessageView) -> float:
    """The time a bubble shows: when it was sent, as the sender's clock says, unless that is absurd."""
    if message.outgoing or message.sent_at <= 0 or message.sent_at > message.timestamp + FUTURE_LIMIT:
        return message.timestamp
    return message.sent_at


def _stamp(timestamp: float, localtime: Callable[[float], time.struct_time]) -> str:
    return time.strftime("%d %b %Y, %H:%M:%S", localtime(timestamp))


def time_details(
    message: MessageView, *, localtime: Callable[[float], time.struct_time] = time.localtime
) -> str:
    """The message's times in full, for its details: sent, and (for one received) arrived."""
    if message.outgoing:
        return f"Written {_stamp(message.timestamp, localtime)}"
    arrived = f"Arrived {_stamp(message.timestamp, localtime)}"
    if message.sent_at <= 0:
        return f"{arrived} · the sender's time is not known"
    if shown_time(message) != message.sent_at:
        return (
            f"{arrived} · the sender's clock said {_stamp(message.sent_at, localtime)}, "
            "more than a day later, so the arrival is shown"
        )
    return f"Sent {_stamp(message.sent_at, localtime)} · arrived {_stamp(message.timestamp, localtime)}"


def unread_divider_text(count: int) -> str:
    return "1 unread message" if count == 1 else f"{count:,} unread messages"


def divider_before(oldest_first: Sequence[MessageView], first_unread: str | None) -> int | None:
    """The index of the message the unread divider goes above, or None when it is not on this page."""
    if first_unread is None:
        return None
    for index, message in enumerate(oldest_first):
        if message.message_id == first_unread and not message.outgoing:
            return index
    return None


def jump_label(unread_below: int) -> str:
    """The jump-to-bottom button: an arrow, and how many unread wait below."""
    return f"↓  {unread_below:,} unread" if unread_below > 0 else "↓"


def is_held(message: MessageView, key_changed: bool) -> bool:
    """A text of mine waits for the person to confirm the contact's new safety number."""
    return message.outgoing and message.status == MessageStatus.QUEUED and key_changed


def held_line(name: str) -> str:
    return f"Held until you confirm {name}'s new safety number"


def notice_text(kind: str, name: str) -> str:
    if kind == "key_changed":
        return f"{name}'s safety number changed."
    return "Something changed in this conversation."


#: The link beside a notice, and what it does.
NOTICE_ACTION = {"key_changed": "Verify"}


def badge_label(count: int) -> str:
    return str(count) if count <= BADGE_MOST else f"{BADGE_MOST}+"


def fit(text: str, width: float, measure: Callable[[str], float]) -> str:
    """``text`` on one line, cut with an ellipsis so that ``measure`` of it is at most ``width`` pixels."""
    line = " ".join(text.split())
    if measure(line) <= width:
        return line
    low, high = 0, len(line)  # the longest prefix that fits with "…" after it, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if measure(line[:middle].rstrip() + "…") <= width:
            low = middle
        else:
            high = middle - 1
    return line[:low].rstrip() + "…" if low else ("…" if measure("…") <= width else "")
