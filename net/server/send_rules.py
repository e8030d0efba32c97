"""What a stored message must meet beyond its fields, shared by ``send`` and ``send_many``.

A body must be deliverable: a fetch reply (or push) holding only it must fit in one
frame, or it could never be delivered, nor anything queued after it
(:func:`deliverable_size`). A recipient's queue has caps (net/protocol/PROTOCOL.md,
"send"); :func:`queue_full_words` is the message that names the one reached, with the
server's own settings in it. A copy sent with ``expires_in`` is kept until :func:`expiry`;
from then on it is :func:`expired`: never fetched, never pushed.
"""

from __future__ import annotations

from net.server.limits import Limits
from storage.server.records import QueueFull

# A fetch reply's fields around its messages, and the JSON around each message, at their longest.
FETCH_REPLY_OVERHEAD = 128
MESSAGE_OVERHEAD = 64


def deliverable_size(body: bytes) -> int:
    """An upper bound of a fetch reply holding only a message with ``body`` (the longest id, sender, ts)."""
    return FETCH_REPLY_OVERHEAD + MESSAGE_OVERHEAD + 16 + 13 + 6 * 16 + 4 * ((len(body) + 2) // 3)


def queue_full_words(exc: QueueFull, limits: Limits) -> str:
    """The message of a ``queue_full`` refusal: which cap, with the server's number for it."""
    if exc.cap == QueueFull.SENDER:
        words = f"you have {limits.queue_cap_per_sender} messages waiting for this recipient"
    elif exc.cap == QueueFull.BYTES:
        words = f"the recipient has as many bytes waiting as the server keeps ({limits.queue_bytes})"
    else:
        words = f"the recipient has {limits.queue_cap} messages waiting"
    return f"{words}; nothing was stored, try later"


def expiry(ts: int, expires_in: int) -> int:
    """When a copy stored at ``ts`` (ms) with ``expires_in`` seconds expires, in ms; 0 (never) for 0."""
    return ts + expires_in * 1000 if expires_in else 0


def expired(expires_at: int, now: int) -> bool:
    """Whether a copy that expires at ``expires_at`` (0: never) is expired by ``now`` (both ms)."""
    return 0 < expires_at <= now
