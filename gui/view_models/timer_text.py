"""The disappearing timer in words: its choices (the header button says one), the timeline's notice, a mark.

The values are the engine's (:data:`net.client.core.disappearing.CHOICES`, seconds; 0 is off);
a value outside them (a newer peer's) is still said in words, to the minute.
"""

from __future__ import annotations

from net.client.core.disappearing import CHOICES
from net.client.core.events import MessageView

__all__ = ["CHOICES", "choice_words", "mark_text", "notice_words"]

_UNITS = ((604800, "week"), (86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))
_SHORT = {"week": "w", "day": "d", "hour": "h", "minute": "m", "second": "s"}


def _largest(seconds: int) -> tuple[int, str]:
    for size, unit in _UNITS:
        if seconds >= size:
            return seconds // size, unit
    return seconds, "second"


def choice_words(seconds: int) -> str:
    """A choice as the menu says it: "Off", "5 minutes", "1 hour", "1 day", "1 week"."""
    if seconds <= 0:
        return "Off"
    count, unit = _largest(seconds)
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def mark_text(seconds: int) -> str:
    """The bubble's mark beside the small clock: "5m", "1h", "1d", "1w" ("" for no timer)."""
    if seconds <= 0:
        return ""
    count, unit = _largest(seconds)
    return f"{count}{_SHORT[unit]}"


def notice_words(message: MessageView, by_name: str) -> str:
    """A "timer_changed" notice: "You set disappearing messages to 1 hour", "Ana turned them off".

    ``by_name`` is who changed it ("" for us); its seconds are the notice's ``notice_detail``.
    """
    try:
        seconds = int(message.notice_detail or "0")
    except ValueError:
        seconds = 0
    who = by_name or "You"
    if seconds <= 0:
        return f"{who} turned off disappearing messages"
    return f"{who} set disappearing messages to {choice_words(seconds).lower()}"
