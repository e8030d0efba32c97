"""Client ids for ``send``: time first, then randomness.

A client id makes a send idempotent: the server stores a repeated one once
(``net/protocol/PROTOCOL.md``). The server keys those records by client id, so ids that
grow with time put each commit's new records on the same few pages at the end of
its index, while random ids would scatter them over a page each
(``storage/server/schema.py``). 64 random bits after the time keep two ids of the
same millisecond apart.

What the time tells the server, beyond what it sees anyway (who sends to whom,
when and how much): the sender's clock when the message was written, so when a
message typed offline was written, and how far the device's clock is off from
the server's (a hint, weak, that two accounts share a device). README says so
under "What is not protected"; the saving — a few pages per commit instead of
one per sender — was judged worth it.
"""

from __future__ import annotations

from crypto_core.encoding import RandomSource

#: Milliseconds as 12 hex digits: fixed width, so text order is time order (until the year 10889).
TIME_DIGITS = 12
RANDOM_BYTES = 8
_LAST_TIME = 16**TIME_DIGITS - 1


def time_ordered_id(prefix: str, now_ms: int, random: RandomSource) -> str:
    """``prefix``, the time in milliseconds, then random hex: 30 characters with a 2-letter prefix.

    A clock set before 1970 (or past the year 10889) gives the first (or last) time there is:
    the id stays unique, only its order is lost, and sending still works.
    """
    clamped = min(max(now_ms, 0), _LAST_TIME)
    return f"{prefix}{clamped:0{TIME_DIGITS}x}{random(RANDOM_BYTES).hex()}"
