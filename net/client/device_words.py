"""What the engine says, in words, when a link fails or a device is refused: one table, one place."""

from __future__ import annotations

_WORDS = {
    "say_different": (
        "different",
        "The numbers were not the same, so nothing was linked. Someone may be in the way: "
        "try again, and compare the numbers carefully.",
    ),
    "cancel": ("cancelled", "Linking was cancelled; nothing was linked."),
    "peer_cancelled": ("cancelled", "Linking was cancelled on the other computer; nothing was linked."),
    "expired": ("expired", "The link code expired before both computers confirmed; nothing was linked."),
    "dropped": ("offline", "The connection to the server was lost while linking; nothing was linked."),
    "link_not_found": (
        "link_not_found",
        "No computer is waiting with that code: check it, or show a new code on the new computer.",
    ),
    "too_many_devices": (
        "too_many_devices",
        "This account has five computers already, the most it can have: unlink one first.",
    ),
    "device_unlinked": (
        "device_unlinked",
        "This computer was unlinked from the account, so it can no longer send or receive. "
        "Link it again from a computer of the account to use it.",
    ),
}


def failure_words(cause: str) -> tuple[str, str]:
    """The stable code and the words for a link that ended by ``cause`` (an input or a wire code)."""
    return _WORDS.get(cause, ("bad_link", "The link did not go through; nothing was linked."))


def refusal_words(code: str, message: str) -> tuple[str, str]:
    """A server's refusal of a link step: our words for the codes we know, the server's otherwise."""
    return _WORDS.get(code, (code, f"The server refused the link: {message}."))
