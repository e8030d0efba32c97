"""What the app says: times, ticks, titles, safety numbers and warnings, as plain functions.

Kept apart from the widgets so that every sentence a person reads can be
tested without a display, and changed in one place.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from net.client.core.events import ConnectionState, MessageStatus

_DAY = 86400
_WEEK = 7 * _DAY

#: Tick marks for the sender's own messages, and their words for the status line and tooltips.
TICKS: dict[MessageStatus, str] = {
    MessageStatus.QUEUED: "◷",
    MessageStatus.SENT: "✓",
    MessageStatus.DELIVERED: "✓✓",
    MessageStatus.READ: "✓✓",
    MessageStatus.FAILED: "!",
    MessageStatus.RECEIVED: "",
}
#: What a failed message says under its text; a click on it sends it again.
FAILED_NOTE = "Not sent · click to retry"

#: Fallback wording for error codes whose message is missing or meant for programs.
_ERRORS: dict[str, str] = {
    "wrong_passphrase": "That passphrase does not open this profile. Check it and try again.",
    "server_key_changed": "The server's identity key has changed. Parley stopped before sending anything.",
    "unknown_account": "Nobody with that number uses Parley on this server.",
    "connection_failed": "Parley could not reach the server. Check the address and that the server runs.",
    "not_registered": "Register this profile with a server first.",
    "internal": "Something went wrong inside Parley. Your messages and keys are safe; please try again.",
}


def error_text(code: str, message: str) -> str:
    """The sentence to show for an engine error: its own message, or ours when it has none."""
    message = message.strip()
    if message:
        return message
    return _ERRORS.get(code, f"Something went wrong ({code}). Please try again.")


_TRIES_LEFT = re.compile(r"(\d+) tr(?:y|ies) left")
#: A server refusal's code -> the sentence shown instead of the server's own words (written for programs).
_REFUSALS: dict[str, str] = {
    "wrong_code": "That code is not right.",
    "wrong_lock": "That registration lock passphrase is not right.",
    "code_expired": "That code has expired.",
    "code_locked": "That code was tried too many times.",
    "no_code": "No code is waiting for this number.",
    "rate_limited": "The server has had too many requests for this number. Wait a while, then try again.",
    "lock_blocked": "Too many wrong registration lock passphrases: this number cannot register for a day.",
}


def refusal_text(code: str, message: str) -> str:
    """A server's refusal as a sentence for a person: "wrong code; 4 tries left" never reaches the window."""
    words = _REFUSALS.get(code)
    if words is None:
        text = message.strip().rstrip(".") or error_text(code, "").rstrip(".")
        return text[:1].upper() + text[1:] + "."
    if (left := _TRIES_LEFT.search(message)) is not None:
        count = int(left.group(1))
        words += " You can try once more." if count == 1 else f" You can try {count} more times."
    return words


def clock(timestamp: float, *, localtime: Callable[[float], time.struct_time] = time.localtime) -> str:
    return time.strftime("%H:%M", localtime(timestamp))


def when(
    timestamp: float, now: float, *, localtime: Callable[[float], time.struct_time] = time.localtime
) -> str:
    """A short time for the conversation list: 14:05 today, Yesterday, Mon within a week, else 3 Mar."""
    if timestamp <= 0:
        return ""
    then, today = localtime(timestamp), localtime(now)
    days = today.tm_yday - then.tm_yday + 365 * (today.tm_year - then.tm_year)
    if days <= 0:
        return time.strftime("%H:%M", then)
    if days == 1:
        return "Yesterday"
    if now - timestamp < _WEEK:
        return time.strftime("%a", then)
    return f"{then.tm_mday} {time.strftime('%b', then)}"


def day_heading(
    timestamp: float, now: float, *, localtime: Callable[[float], time.struct_time] = time.localtime
) -> str:
    then, today = localtime(timestamp), localtime(now)
    if (then.tm_year, then.tm_yday) == (today.tm_year, today.tm_yday):
        return "Today"
    label = when(timestamp, now, localtime=localtime)
    return label if label == "Yesterday" else time.strftime("%A, %d %B %Y", then)


def window_title(unread: int, profile: str | None) -> str:
    base = f"Parley — {profile}" if profile else "Parley"
    return f"({unread}) {base}" if unread else base


def safety_number_rows(digits: str, *, per_row: int = 4) -> list[str]:
    """Sixty digits as rows of five-digit groups, the way people read them aloud."""
    groups = [digits[i : i + 5] for i in range(0, len(digits), 5)]
    return ["   ".join(groups[i : i + per_row]) for i in range(0, len(groups), per_row)]


def fingerprint_text(fingerprint: str) -> str:
    """A server key fingerprint in groups of four, in two lines, so that it can be compared by eye."""
    clean = fingerprint.replace(":", "").replace(" ", "")
    groups = [clean[i : i + 4] for i in range(0, len(clean), 4)]
    half = (len(groups) + 1) // 2
    return " ".join(groups[:half]) + "\n" + " ".join(groups[half:])


def key_change_warning(name: str) -> str:
    return (
        f"{name}'s safety number changed. This can mean {name} reinstalled Parley, or someone is "
        f"intercepting. Compare the new number with {name}."
    )


def held_messages_note(name: str) -> str:
    return f"Messages you write to {name} wait here until you choose to continue."


def connection_text(state: ConnectionState, detail: str = "") -> str:
    words = {
        ConnectionState.CONNECTED: "Connected",
        ConnectionState.CONNECTING: "Connecting…",
        ConnectionState.RECONNECTING: "Reconnecting…",
        ConnectionState.OFFLINE: "Offline",
    }[state]
    return f"{words} — {detail}" if detail else words


def local_server_restarted(address: str, *, hung: bool = False) -> str:
    """The local server was gone (``hung``: it still took connections but answered nothing) and is back."""
    what = "had stopped answering, so Parley stopped it and" if hung else "had stopped, so Parley"
    return (
        f"The local server on this computer {what} started it again at {address}. "
        "Your profile reconnects by itself."
    )


def account_not_known(server: str) -> str:
    """A profile's login was refused at its (new) server: it has no account there yet, as far as it says."""
    return (
        f"The server at {server} does not know this profile's account: it refused the login. Register "
        "your number there to use it. Your keys, contacts and messages stay in this profile."
    )


def unreachable_offer(address: str) -> str:
    return (
        f"Parley could not reach a server at {address}. Check the address, or start a local server "
        "on this computer to try Parley out."
    )


def typing_text(name: str) -> str:
    return f"{name} is typing…"
