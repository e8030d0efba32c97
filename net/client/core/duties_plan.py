"""The decisions of the engine's own duties as pure steps: fetching, acknowledging, healing, prekeys.

:class:`net.client.duties.Duties` is the driver: it makes the requests, stores,
and feeds what came back into these functions, which touch no socket, no
profile and no clock (the time is an argument), so they are tested in
milliseconds:

* fetching: :func:`first_page`, then after each reply :func:`next_page` (the
  page after the highest id seen, or None when nothing more waits);
  :func:`smaller_page` halves a page that did not fit in one frame;
  :func:`keep_unstored` keeps a page that could not be stored, to store it
  again before anything else is fetched;
* acknowledging: :func:`to_acknowledge` joins the ids kept from a refused
  acknowledgement with the new ones, :func:`ack_chunks` cuts them into
  requests, and :func:`unacknowledged` is what is kept when the server refused
  one of them as busy;
* healing: :class:`Healing` holds the per-contact gap (:data:`HEAL_EVERY`) and
  says per sender whether to do nothing, start a new session (at most
  :data:`HEAL_LIMIT` per :data:`HEAL_WINDOW`), or only send a reset notice
  (:func:`reset_notice`);
* prekeys: :func:`prekey_check_due`, :func:`next_prekey_check` (hourly, or
  :data:`PREKEYS_RETRY` after a "not now"), :func:`prekeys_wanted` (how many of
  each kind to make and upload) and :func:`rotation_due`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from net.client.core.connection_state import RETRY_LATER
from net.client.core.envelope import MAX_IDS, SessionReset
from net.protocol.schema import MAX_ACK, MAX_FETCH

#: Seconds between two heals (a new session or a reset notice) with one contact.
HEAL_EVERY = 60.0
#: New sessions an unreadable message may start with one contact within HEAL_WINDOW seconds.
HEAL_LIMIT = 3
HEAL_WINDOW = 24 * 3600.0
#: How soon a batch that could not be stored (or an outbox that could not be sealed) is tried again.
STORE_RETRY = 1.0
#: How soon prekeys are looked after again when the server said "not now" (instead of in an hour).
PREKEYS_RETRY = 60.0
#: One-time prekeys of each kind published at registration, and refilled to.
TARGET = 100
#: Fewer than this many of a kind left on the server: refill to TARGET.
LOW = 25
#: The signed prekey is replaced after this many seconds.
ROTATE_AFTER = 7 * 24 * 3600
#: How often the engine asks the server how many prekeys it has left.
CHECK_EVERY = 3600.0

M = TypeVar("M")


class StoreRetry:
    """A step that failed to store (a full disk, a damaged file): not tried again for STORE_RETRY
    seconds of the engine's monotonic time, so nothing spins; due again at once after a login."""

    def __init__(self) -> None:
        self._after = 0.0

    def due(self, now: float) -> bool:
        return now >= self._after

    def failed(self, now: float) -> None:
        self._after = now + STORE_RETRY

    def reset(self) -> None:
        self._after = 0.0


def retry_later(code: str) -> bool:
    """A refusal that means "not now": the same request is made again after a backoff."""
    return code in RETRY_LATER


# ---------------------------------------------------------------------- fetching


@dataclass(frozen=True)
class FetchPage:
    """One ``fetch``: messages with a server id above ``after``, at most ``limit`` of them."""

    after: int
    limit: int


def first_page() -> FetchPage:
    return FetchPage(after=0, limit=MAX_FETCH)


def smaller_page(page: FetchPage, code: str) -> FetchPage | None:
    """The same page at half the size, if it was refused as too large for a frame; else None (an error)."""
    if code == "frame_too_large" and page.limit > 1:
        return FetchPage(page.after, page.limit // 2)
    return None


def next_page(page: FetchPage, ids: Iterable[int | None], more: bool) -> FetchPage | None:
    """After a reply with these server ids: the page to fetch next, or None when nothing more waits."""
    seen = [server_id or 0 for server_id in ids]
    if not seen or not more:
        return None
    return FetchPage(max(page.after, *seen), page.limit)


def keep_unstored(page: Sequence[M], kept: Sequence[M]) -> list[M]:
    """A fetched page that could not be stored goes before what was kept already (it came first)."""
    return [*page, *kept]


# ---------------------------------------------------------------------- acknowledging


def to_acknowledge(kept: Iterable[int], server_ids: Iterable[int]) -> list[int]:
    """The ids kept from a refused acknowledgement, then the new ones, each once, in order."""
    return [*dict.fromkeys([*kept, *server_ids])]


def ack_chunks(pending: Sequence[int], size: int = MAX_ACK) -> list[list[int]]:
    """One ``ack`` request per chunk, as many ids as the schema allows in each."""
    return [list(pending[start : start + size]) for start in range(0, len(pending), size)]


def unacknowledged(chunks: Sequence[Sequence[int]], refused: int) -> list[int]:
    """What is kept when chunk number ``refused`` was refused as busy: it and every chunk after it."""
    return [server_id for chunk in chunks[refused:] for server_id in chunk]


# ---------------------------------------------------------------------- healing


class Heal(StrEnum):
    NOTHING = "nothing"  # an unknown sender, or healed with it less than HEAL_EVERY ago
    NEW_SESSION = "new_session"  # start a session (uses up one of its prekeys), then a reset notice
    NOTICE = "notice"  # beyond HEAL_LIMIT: only a reset notice, if the current session can send


def heal_held_off(now: float, after: float | None) -> bool:
    """Healing with a contact waits until ``after`` (HEAL_EVERY after the last time, by the engine's clock).

    A clock set back must not hold healing off for longer than HEAL_EVERY.
    """
    return after is not None and now < after <= now + HEAL_EVERY


def may_start_session(heals_in_window: int) -> bool:
    """A new session for an unreadable message, or (beyond the limit) only a reset notice."""
    return heals_in_window < HEAL_LIMIT


def heal_window_start(now: float) -> float:
    """Heals before this time no longer count against HEAL_LIMIT (and may be forgotten)."""
    return now - HEAL_WINDOW


class Healing:
    """When each contact was last healed with, and what to do about its next unreadable messages."""

    def __init__(self) -> None:
        #: Per contact: no heal before this time (the engine's clock).
        self.after: dict[str, float] = {}

    def decide(self, sender: str, now: float, *, known: bool, heals_since: Callable[[float], int]) -> Heal:
        """``heals_since(t)``: the new sessions started with ``sender`` since ``t`` (asked only if needed).

        Anything but :attr:`Heal.NOTHING` starts the sender's gap of HEAL_EVERY.
        """
        if not known or heal_held_off(now, self.after.get(sender)):
            return Heal.NOTHING
        self.after[sender] = now + HEAL_EVERY
        if may_start_session(heals_since(heal_window_start(now))):
            return Heal.NEW_SESSION
        return Heal.NOTICE


def reset_notice(failed: Sequence[str]) -> SessionReset:
    """The notice naming the client ids that failed (the latest, as many as one notice holds)."""
    return SessionReset(tuple(failed[-MAX_IDS:]))


# ---------------------------------------------------------------------- prekeys


def prekey_check_due(now: float, next_check: float) -> bool:
    """Ask the server how many prekeys are left (hourly, at once after a login or a prekeys_low push)."""
    return now >= next_check


def next_prekey_check(now: float, *, refused: bool = False) -> float:
    """When to check again: in an hour, or soon when the server said "not now"."""
    return now + (PREKEYS_RETRY if refused else CHECK_EVERY)


@dataclass(frozen=True)
class Wanted:
    """How many new one-time prekeys of each kind to make and upload."""

    one_time: int
    kem: int

    def __bool__(self) -> bool:
        return self.one_time > 0 or self.kem > 0


def prekeys_wanted(on_server_one_time: int, on_server_kem: int) -> Wanted:
    """Refill a kind to TARGET when fewer than LOW are left on the server; none otherwise."""
    return Wanted(
        one_time=max(0, TARGET - on_server_one_time) if on_server_one_time < LOW else 0,
        kem=max(0, TARGET - on_server_kem) if on_server_kem < LOW else 0,
    )


def rotation_due(created_at: float | None, now: float) -> bool:
    """The signed prekey is replaced when it is ROTATE_AFTER old, or missing (None)."""
    return created_at is None or now - created_at >= ROTATE_AFTER
