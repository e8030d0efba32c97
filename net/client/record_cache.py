"""Decoded session records kept between batches, valid only while the stored bytes are unchanged.

Decoding a contact's :class:`~net.client.sessions.SessionRecord` (the ratchet state's JSON
and base64) costs more than sealing with it, and a group message seals one copy for each
member: the outbox would decode every member's record on every flush. The cache keeps the
record a save stored, beside the exact bytes stored, and hands it out again only when the
profile still holds those bytes (compared with :func:`hmac.compare_digest`: they are secret).
So a record that anything else replaced (the inbox, a new session, a restore) or that a rolled
back transaction never stored is decoded afresh.

A record handed out leaves the cache: its holder may change it (a seal advances the ratchet)
and then not store it, and a changed record must never pass for the stored bytes. Only
:meth:`RecordCache.stored` puts one back. The cache is bounded (the most recently stored
first); it lives as long as the unlocked profile and holds nothing the profile does not.
"""

from __future__ import annotations

import hmac
from collections import OrderedDict
from typing import Generic, TypeVar

#: More than a group's members' devices (at most 99 others, a few devices each), so that a
#: group's fan-out stays cached.
MAX_RECORDS = 512
#: A session's address: a phone and one of its devices.
Address = tuple[str, int]

R = TypeVar("R")


class RecordCache(Generic[R]):
    def __init__(self, limit: int = MAX_RECORDS) -> None:
        self._limit = limit
        self._kept: OrderedDict[Address, tuple[bytes, R]] = OrderedDict()

    def take(self, phone: Address, stored: bytes | None) -> R | None:
        """The record decoded from ``stored`` if it is kept, else None; either way it leaves the cache."""
        kept = self._kept.pop(phone, None)
        if kept is None or stored is None or not hmac.compare_digest(kept[0], stored):
            return None
        return kept[1]

    def stored(self, phone: Address, data: bytes, record: R) -> None:
        """``record`` was just stored as ``data``: kept, the oldest dropped past the limit."""
        self._kept[phone] = (data, record)
        self._kept.move_to_end(phone)
        while len(self._kept) > self._limit:
            self._kept.popitem(last=False)

    def forget(self, phone: Address) -> None:
        self._kept.pop(phone, None)

    def __len__(self) -> int:
        return len(self._kept)

    def __repr__(self) -> str:
        return f"RecordCache(records={len(self._kept)})"
