"""Message keys of skipped messages, kept so that late and reordered messages still open.

Keys are stored under (sender's ratchet public key, N) with the time they were
skipped. The store is bounded: at most :data:`MAX_STORED` keys in total (the
oldest go first) and none older than the maximum age, so that a peer who never
sends the missing messages cannot make it grow without end, and an old key does
not wait forever for a message an attacker may hold. A key is removed as soon as
its message is opened.
"""

from __future__ import annotations

import math
from typing import Any

from crypto_core.encoding import b64decode, b64encode, require_int
from crypto_core.errors import InvalidKeyFormat

MAX_STORED = 2000
#: The most keys one message may make us skip in one chain (Signal's MAX_SKIP).
MAX_GAP = 1000
MAX_AGE_SECONDS = 30 * 24 * 3600.0
_KEY_LEN = 32

SkippedId = tuple[bytes, int]


class SkippedKeys:
    """An insertion-ordered, bounded, expiring map ``(ratchet key, N) -> message key``."""

    __slots__ = ("_entries", "_earliest", "max_age")

    def __init__(self, *, max_age: float = MAX_AGE_SECONDS) -> None:
        self._entries: dict[SkippedId, tuple[bytes, float]] = {}
        # A lower bound on every stored time, so that the common case (nothing has
        # expired) costs one comparison instead of a scan.
        self._earliest = math.inf
        self.max_age = max_age

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._entries

    def __repr__(self) -> str:
        return f"SkippedKeys(count={len(self._entries)})"

    def copy(self) -> SkippedKeys:
        other = SkippedKeys(max_age=self.max_age)
        other._entries = dict(self._entries)
        other._earliest = self._earliest
        return other

    def get(self, dh: bytes, n: int) -> bytes | None:
        entry = self._entries.get((dh, n))
        return None if entry is None else entry[0]

    def remove(self, dh: bytes, n: int) -> None:
        del self._entries[(dh, n)]

    def add(self, dh: bytes, n: int, message_key: bytes, now: float) -> None:
        """Store a key; past :data:`MAX_STORED` the oldest stored keys are dropped."""
        self._entries[(dh, n)] = (message_key, now)
        self._earliest = min(self._earliest, now)
        while len(self._entries) > MAX_STORED:
            del self._entries[next(iter(self._entries))]

    def has_expired(self, now: float) -> bool:
        """Whether any stored key may be older than the maximum age (cheap, conservative)."""
        return now - self._earliest > self.max_age

    def drop_expired(self, now: float) -> None:
        if not self.has_expired(now):
            return
        self._entries = {k: v for k, v in self._entries.items() if now - v[1] <= self.max_age}
        self._earliest = min((t for _, t in self._entries.values()), default=math.inf)

    def to_json(self) -> list[list[Any]]:
        """Oldest first, as ``[ratchet key, N, message key, time skipped]``."""
        return [[b64encode(dh), n, b64encode(mk), t] for (dh, n), (mk, t) in self._entries.items()]

    @classmethod
    def from_json(cls, data: object, *, max_age: float = MAX_AGE_SECONDS) -> SkippedKeys:
        if not isinstance(data, list) or len(data) > MAX_STORED:
            raise InvalidKeyFormat(f"skipped keys: expected a list of at most {MAX_STORED} entries")
        store = cls(max_age=max_age)
        for item in data:
            if not isinstance(item, list) or len(item) != 4:
                raise InvalidKeyFormat("skipped key: expected [ratchet key, n, message key, time]")
            dh = b64decode(item[0], length=_KEY_LEN, what="skipped key ratchet key")
            n = require_int(item[1], what="skipped key n")
            mk = b64decode(item[2], length=_KEY_LEN, what="skipped key message key")
            when = item[3]
            if isinstance(when, bool) or not isinstance(when, int | float) or not math.isfinite(when):
                raise InvalidKeyFormat("skipped key time: expected a finite number")
            if (dh, n) in store._entries:
                raise InvalidKeyFormat("skipped keys: duplicate entry")
            store.add(dh, n, mk, float(when))
        return store
