"""Client ids for ``send``: time first, then randomness.

A client id makes a send idempotent: the server stores a repeated one once
(``net/PROTOCOL.md``). The server keys those records by client id, so ids that
grow with time put each commit's new records on the same few pages at the end of
its index, while random ids would scatter them over a page each
(``storage/server_schema.py``). The time says nothing the server does not see
anyway (it stamps every send it stores); 64 random bits after it keep two ids of
the same millisecond apart.
"""

from __future__ import annotations

from crypto_core.encoding import RandomSource

#: Milliseconds as 12 hex digits: fixed width, so text order is time order (until the year 10889).
TIME_DIGITS = 12
RANDOM_BYTES = 8


def time_ordered_id(prefix: str, now_ms: int, random: RandomSource) -> str:
    """``prefix``, the time in milliseconds, then random hex: 30 characters with a 2-letter prefix."""
    if not 0 <= now_ms < 16**TIME_DIGITS:
        raise ValueError("the time does not fit the id")
    return f"{prefix}{now_ms:0{TIME_DIGITS}x}{random(RANDOM_BYTES).hex()}"
