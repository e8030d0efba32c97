"""The message list's scrollbar standing for the whole conversation, as plain numbers.

Only some pages of a conversation are drawn. The thumb stands for all of it: the
entries above the drawn ones (``older``) and below them (``newer``) count as
tall as the drawn ones are on average, so the thumb's size is about what is
visible over the whole, and loading a page beside the drawn ones hardly moves
it (the page's entries leave the part taken on trust and join the drawn part).
A thumb dragged into the drawn part scrolls the canvas there; dragged past it,
into what is not loaded, it names the place to load (:class:`Load`), so a drag
to the top of 2,000 messages loads the oldest page at once, not every page
between. Kept free of Tk so that the arithmetic is tested without a display.
"""

from __future__ import annotations

from dataclasses import dataclass

#: How tall an entry is taken to be while none is drawn (pixels).
ENTRY_GUESS = 60.0
#: Entries loaded above the one a dragged thumb points at, so that the view does not start at a page's edge.
CONTEXT = 25


@dataclass(frozen=True)
class Span:
    """What the list holds: ``drawn`` entries, ``height`` pixels tall, between ``older`` and ``newer``
    entries that are not loaded."""

    older: int
    drawn: int
    newer: int
    height: float

    @property
    def per_entry(self) -> float:
        return self.height / self.drawn if self.drawn else ENTRY_GUESS

    @property
    def above(self) -> float:
        """The height taken on trust for the entries above the drawn ones."""
        return self.older * self.per_entry

    @property
    def whole(self) -> float:
        return max(self.above + self.height + self.newer * self.per_entry, 1.0)

    @property
    def total(self) -> int:
        return self.older + self.drawn + self.newer


@dataclass(frozen=True)
class Scroll:
    """Move the canvas so that this fraction of its region is at the top of the view."""

    fraction: float


@dataclass(frozen=True)
class Load:
    """Load the page that starts ``offset`` entries after the oldest; the drawn ones do not reach there."""

    offset: int


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return min(max(value, low), high)


def thumb(span: Span, top: float, view: float) -> tuple[float, float]:
    """The thumb's first and last fractions, for a view ``view`` pixels tall at ``top`` in the canvas."""
    first = (span.above + top) / span.whole
    return _clamp(first), _clamp(first + view / span.whole)


def pointed(span: Span, first: float, view: float) -> Scroll | Load:
    """Where a thumb moved to ``first`` points: into the drawn entries, or past them to a place to load.

    A point a little past the drawn ones (less than a view) scrolls to their end; the pages
    beside them load on their own as the view nears them, and the thumb follows.
    """
    y = _clamp(first) * span.whole - span.above  # the top of the view, in the canvas's pixels
    room = max(span.height - view, 0.0)
    past_top = span.older > 0 and y < -view
    past_bottom = span.newer > 0 and y > room + view
    if not (past_top or past_bottom):
        return Scroll(_clamp(y, 0.0, room) / max(span.height, 1.0))
    index = int((y + span.above) / span.per_entry)
    return Load(int(_clamp(index - CONTEXT, 0, max(span.total - 1, 0))))


def top_for(span: Span, first: float, view: float) -> float:
    """The canvas fraction to show so that the thumb stands at ``first`` (as near as the drawn ones allow)."""
    y = _clamp(first) * span.whole - span.above
    return _clamp(y, 0.0, max(span.height - view, 0.0)) / max(span.height, 1.0)
