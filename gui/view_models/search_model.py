"""What the search results in the sidebar show, as plain data: rows, highlighted parts, counts, moving.

The engine answers a search newest first across all conversations. The sidebar
groups the results by conversation: a header row per conversation (in the order
of its newest hit), then its hits, newest first. Each hit is its snippet split
into plain and matched parts, so the view only has to draw them, and its date in
the words of the conversation list ("edited · " before it when its text was changed: the
engine finds an edited message by its newest text only, and a deleted or expired one never).
Up and Down move from hit to hit, over the headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gui.view_models.action_text import EDITED
from gui.view_models.names import shown_name
from gui.view_models.wording import when
from net.client.core.events import SearchResultView

NO_MATCHES = "No messages match."
#: How long the field waits after the last key before it searches.
DEBOUNCE_MS = 200
#: Results asked for per search; when this many come back, the count says "at least".
RESULT_LIMIT = 50


@dataclass(frozen=True)
class Part:
    """A piece of a snippet, highlighted when it is a match."""

    text: str
    match: bool


@dataclass(frozen=True)
class Header:
    contact: str
    name: str
    hits: int


@dataclass(frozen=True)
class Hit:
    result: SearchResultView
    parts: tuple[Part, ...]
    date: str


Row = Header | Hit


def parts(snippet: str, ranges: Sequence[tuple[int, int]]) -> tuple[Part, ...]:
    """The snippet cut into plain and matched pieces, in order; together they are the snippet."""
    pieces: list[Part] = []
    at = 0
    for start, end in sorted(ranges):
        if start < at or end <= start:  # overlapping or empty: the engine never sends them, never draw them
            continue
        if start > at:
            pieces.append(Part(snippet[at:start], False))
        pieces.append(Part(snippet[start:end], True))
        at = end
    if at < len(snippet):
        pieces.append(Part(snippet[at:], False))
    return tuple(pieces)


def hit_date(result: SearchResultView, now: float) -> str:
    """When the hit was written, as the list says it; "edited · " first when its text was changed."""
    date = when(result.message.timestamp, now)
    return f"{EDITED} · {date}" if result.message.edited else date


def rows(results: Sequence[SearchResultView], now: float) -> list[Row]:
    """Header and hit rows, grouped by conversation, conversations in the order of their newest hit."""
    groups: dict[str, list[SearchResultView]] = {}
    for result in sorted(results, key=lambda r: r.message.timestamp, reverse=True):
        groups.setdefault(result.contact, []).append(result)
    shown: list[Row] = []
    for contact, hits in groups.items():
        shown.append(Header(contact, shown_name(contact, hits[0].name), len(hits)))  # as the list names it
        shown.extend(Hit(r, parts(r.snippet, r.snippet_ranges), hit_date(r, now)) for r in hits)
    return shown


def count_text(results: int, conversations: int, *, limit: int = RESULT_LIMIT) -> str:
    """What the line above the results says: how many messages matched, and in how many conversations."""
    if results == 0:
        return NO_MATCHES
    many = "at least " if results >= limit else ""
    noun = "message" if results == 1 else "messages"
    where = "1 conversation" if conversations == 1 else f"{conversations} conversations"
    return f"{many}{results} {noun} in {where}"


def step(shown: Sequence[Row], selected: int | None, by: int) -> int | None:
    """The hit ``by`` hits away from ``selected`` (the first or last when none is), staying at the ends."""
    hits = [i for i, row in enumerate(shown) if isinstance(row, Hit)]
    if not hits:
        return None
    if selected not in hits:
        return hits[0] if by >= 0 else hits[-1]
    position = hits.index(selected) + by
    return hits[min(max(position, 0), len(hits) - 1)]
