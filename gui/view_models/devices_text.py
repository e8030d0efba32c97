"""Linked devices in words, without Tk: a link code as typed, a device's line, when it was last seen.

A link code is 16 characters of RFC 4648 base32 (A–Z and 2–7), shown as four groups of four.
What a person types or pastes is forgiven what a person gets wrong without meaning to:
lower case, spaces and dashes, the ``parley-link:`` text a QR reader hands over, and the
digits 0, 1 and 8, which base32 never uses and which are read for O, I and B.
Times are the engine's milliseconds; ``last_seen`` is kept to the hour by the server, so the
words never claim more precision than that.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime

from gui.view_models.forms import FormInvalid
from net.client.core.events import DeviceView

CODE_LENGTH = 16
QR_PREFIX = "parley-link:"
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})
_SEPARATORS = str.maketrans("", "", " -\t\n\r._")
#: Settings' "Link a new computer…" may bring the history of this many months (Signal brings none).
HISTORY_MONTHS = 6
#: At most this many computers per account (the server's limit).
MAX_DEVICES = 5
#: A device's name, as typed (the sealed name the server keeps has room for more; people need no more).
MAX_NAME = 60

NEW_COMPUTER_STEPS = (
    "On your other computer, open Settings → Linked devices → Link a new computer, "
    "and type this code. The square holds the same code, for a QR code reader."
)
EXISTING_COMPUTER_STEPS = (
    "On the new computer, open Parley, make a profile and choose “Link to my account”. "
    "Type or paste the code it shows here."
)
COMPARE_NEW = (
    "Your other computer shows a number too. If it is the same number, this computer "
    "is linking with your own account."
)
COMPARE_EXISTING = (
    "Check that the new computer shows this same number. If it does not, someone else's "
    "computer is asking for your account: choose “They don't match”."
)
ARRIVING = "Your account is arriving from your other computer…"
UNLINKED = (
    "This computer was unlinked from your account, so Parley no longer sends or receives here. "
    "Your messages stay on this computer: you can still read, back up and export them. "
    "To use your account here again, make a new profile and choose “Link to my account”."
)


def link_code(text: str) -> str:
    """The 16 characters of a typed or pasted link code, or :class:`FormInvalid` in words."""
    cleaned = text.strip()
    if cleaned.lower().startswith(QR_PREFIX):
        cleaned = cleaned[len(QR_PREFIX) :]
    cleaned = cleaned.translate(_SEPARATORS).upper().translate(_LOOKALIKES)
    if not cleaned:
        raise FormInvalid({"code": "Type the code the new computer shows."})
    wrong = sorted({c for c in cleaned if c not in _ALPHABET})
    if wrong:
        raise FormInvalid(
            {"code": f"A link code has only the letters A to Z and the digits 2 to 7, not {' '.join(wrong)}."}
        )
    if len(cleaned) != CODE_LENGTH:
        raise FormInvalid(
            {"code": f"A link code has {CODE_LENGTH} letters and digits; this one has {len(cleaned)}."}
        )
    return cleaned


def grouped(code: str) -> str:
    """``ABCDEFGHIJKLMNOP`` as ``ABCD-EFGH-IJKL-MNOP`` (a grouped code stays as it is)."""
    plain = code.replace("-", "")
    return "-".join(plain[i : i + 4] for i in range(0, len(plain), 4))


def code_lifetime(expires_in: int) -> str:
    minutes = max(1, round(expires_in / 60))
    return (
        f"The code works for {minutes} minute{'s' if minutes != 1 else ''}, while this screen stays open. "
        "Nobody else needs it: never read it out to anyone."
    )


def device_title(device: DeviceView) -> str:
    """Its name, or (a name this computer cannot open, or none given) a name from its number."""
    return device.name.strip() or f"Computer {device.device}"


def _day(stamp_ms: int, localtime: Callable[[float], datetime]) -> date:
    return localtime(stamp_ms / 1000).date()


def _local(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds)


def _date_words(day: date) -> str:
    return f"{day.day} {day.strftime('%b %Y')}"


def last_seen_words(device: DeviceView, now_ms: int, localtime: Callable[[float], datetime] = _local) -> str:
    """When the device was last online, in words, to the hour the server keeps."""
    if device.current:
        return "Active now"
    if device.last_seen_ms <= 0:
        return "Not seen yet"
    ago = max(0, now_ms - device.last_seen_ms) // 1000
    if ago < 3600:
        return "Active in the last hour"
    if ago < 24 * 3600:
        hours = ago // 3600
        return f"Last seen {hours} hour{'s' if hours != 1 else ''} ago"
    days = (_day(now_ms, localtime) - _day(device.last_seen_ms, localtime)).days
    if days <= 1:
        return "Last seen yesterday"
    if days < 7:
        return f"Last seen on {localtime(device.last_seen_ms / 1000).strftime('%A')}"
    return f"Last seen {_date_words(_day(device.last_seen_ms, localtime))}"


def created_words(device: DeviceView, localtime: Callable[[float], datetime] = _local) -> str:
    """Device 1 registered the account; every other one was linked to it."""
    verb = "Registered" if device.device == 1 else "Linked"
    return f"{verb} {_date_words(_day(device.created_ms, localtime))}"


def device_detail(device: DeviceView, now_ms: int, localtime: Callable[[float], datetime] = _local) -> str:
    """The line under a device's name: when it was last seen, and when it was added."""
    return f"{last_seen_words(device, now_ms, localtime)} · {created_words(device, localtime)}"


def devices_summary(count: int) -> str:
    if count <= 1:
        return (
            "Only this computer uses your account. Link another one to read and write on both; "
            f"an account can have up to {MAX_DEVICES} computers."
        )
    return (
        f"{count} computers use your account (at most {MAX_DEVICES}). Each has its own keys; "
        "unlinking one stops it at once and leaves the others as they are."
    )


def unlink_question(device: DeviceView) -> str:
    return (
        f"Unlink “{device_title(device)}”? It stops sending and receiving as you at once. "
        "Its messages stay on it; to use it again, it must be linked again."
    )


def device_name(text: str) -> str:
    """A name for this computer as typed, or :class:`FormInvalid`."""
    name = " ".join(text.split())
    if not name:
        raise FormInvalid({"name": "Give this computer a name, so that you know it in the list."})
    if len(name) > MAX_NAME:
        raise FormInvalid({"name": f"Use at most {MAX_NAME} characters for the name."})
    return name


def now_ms() -> int:
    return int(time.time() * 1000)
