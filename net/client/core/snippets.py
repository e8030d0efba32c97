"""The short snippet around a search result's first match, on one line, sans-IO.

Where a query matches is decided by the profile's search (its ranges come with
each hit; the rule is in ENGINE.md, "Search"); this module only cuts. A snippet
is the part of a text around its first match, at most about
:data:`SNIPPET_WIDTH` characters, cut at spaces where there are any within reach
(scripts without spaces are cut between characters), with "…" where something
was cut off. Line breaks and tabs become spaces, one for one, so the snippet
fits on one line and a query without them reads the same in it. Ranges are
shifted into the snippet; those that fall outside it are dropped, and the first
match is always inside.
"""

from __future__ import annotations

from collections.abc import Sequence

#: About how many characters of a text a snippet shows (the match itself may make it longer).
SNIPPET_WIDTH = 72
ELLIPSIS = "…"

Range = tuple[int, int]
#: What breaks a line (as ``str.splitlines`` sees it) or jumps: shown as one space each.
_LINE_BREAKS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029")


def snippet(text: str, ranges: Sequence[Range], width: int = SNIPPET_WIDTH) -> tuple[str, list[Range]]:
    """The text around the first range, on one line, and the ranges that fall inside it, shifted."""
    flat = "".join(" " if char in _LINE_BREAKS else char for char in text)
    first_start, first_end = ranges[0] if ranges else (0, 0)
    start, end = _window(len(flat), first_start, first_end, width)
    if start > 0:  # begin after the first space before the match, so no word is cut at the front
        space = next((i for i in range(start, first_start) if flat[i].isspace()), None)
        start = start if space is None else space + 1
    if end < len(flat):  # and end at the last space after it
        space = next((i for i in range(end, first_end - 1, -1) if flat[i].isspace()), None)
        end = end if space is None else space
    while start < first_start and flat[start].isspace():
        start += 1
    while end > first_end and flat[end - 1].isspace():
        end -= 1
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(flat) else ""
    shift = len(prefix) - start
    inside = [(a + shift, b + shift) for a, b in ranges if start <= a and b <= end]
    return prefix + flat[start:end] + suffix, inside


def _window(length: int, first_start: int, first_end: int, width: int) -> Range:
    """A window of about ``width`` characters with the match in it, a third of the room before it."""
    room = max(0, width - (first_end - first_start))
    start = max(0, first_start - room // 3)
    end = min(length, max(first_end, start + width))
    if end - start < width:  # near the end of the text: give the unused room to what comes before
        start = max(0, min(start, end - width))
    return start, end
