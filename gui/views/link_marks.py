"""The links in a bubble's text, on the message canvas: drawn as links, the address on hover, a click opens.

:func:`gui.view_models.links.find_links` says where the addresses are in the stored text. A
canvas text item has one colour, so each link is drawn over it with items of its own (tag
:data:`LINK_TAG`): for each line it covers, a patch of the bubble's colour, the address's
characters in the link colour, and a line under them. Tk says where a canvas text wraps but not
where each character is, so the line starts come from the canvas (the character at each line's
left edge) or, where the text was wrapped and reordered for display, from its own line breaks;
the offsets within a line come from the font's measure
(:func:`gui.view_models.shown_text.shown_map` finds the drawn characters of a reordered text).

Over a link the pointer becomes a hand and the whole address shows in a tip under it; a click
(a press and release without a drag, which selects text instead) hands the address to
``opener``, which opens it in the system's browser off the Tk thread.
"""

from __future__ import annotations

import bisect
import tkinter as tk
from collections.abc import Callable

from gui.system_open import open_address
from gui.view_models.links import Link, find_links, hover_text
from gui.view_models.shown_text import shown_map
from gui.views.bubble_items import Drawn, python_index
from gui.views.theme import Fonts, Palette

#: The tag of every item that draws a link; each link's items also carry ``link:<id>:<n>``.
LINK_TAG = "link"
_TIP = "link-tip"
#: The patches that hide the plain text under a link, tagged ``link-patch:<id>`` by message too; a
#: selection in that message hides them so that its colours show through.
PATCH_TAG = "link-patch"


class LinkMarks:
    def __init__(self, canvas: tk.Canvas, palette: Palette, fonts: Fonts) -> None:
        self.canvas, self.palette, self.fonts = canvas, palette, fonts
        #: Opens an address (the system's browser; a test records it instead).
        self.opener: Callable[[str], None] = open_address
        #: Whether a drag just selected text (then a release on a link opens nothing).
        self.selecting: Callable[[], bool] = lambda: False
        #: The links drawn, by message id (for the keyboard's Enter and for tests).
        self.drawn: dict[str, list[Link]] = {}

    def links_of(self, message_id: str) -> list[Link]:
        return self.drawn.get(message_id, [])

    def draw(self, drawn: Drawn, fill: str) -> None:
        """The links of a bubble just laid out, over its text (``fill``: the bubble's colour)."""
        m = drawn.message
        if m.deleted or m.notice or not drawn.text_item:
            return
        links = find_links(m.text)
        self.drawn.pop(m.message_id, None)
        if not links:
            return
        c, item = self.canvas, drawn.text_item
        shown = str(c.itemcget(item, "text"))
        if shown == m.text:
            origin = list(range(len(shown)))
            starts = self._wrapped_starts(item, shown)
        else:
            mapped = shown_map(m.text, self.fonts.text, self.fonts.body.measure, drawn.wrap)
            if mapped is None or mapped[0] != shown:
                return  # the drawing cannot be followed: the text stays plain
            origin = mapped[1]
            starts = [0, *(i + 1 for i, char in enumerate(shown) if char == "\n")]
        self.drawn[m.message_id] = links
        lines = [shown[s:e].rstrip("\n") for s, e in zip(starts, [*starts[1:], len(shown)], strict=True)]
        colour = self.palette.on_mine if m.outgoing else self.palette.accent
        for number, link in enumerate(links):
            tags = (LINK_TAG, f"link:{m.message_id}:{number}", f"msg:{m.message_id}")
            chosen = [i for i, o in enumerate(origin) if link.start <= o < link.end and shown[i] != "\n"]
            for line, first, last in _runs(chosen, starts):
                at = starts[line]
                self._segment(drawn, lines, line, first - at, last - at, fill, colour, tags)
            self._bind(tags[1], link.address)

    def _bind(self, tag: str, address: str) -> None:
        c = self.canvas
        c.tag_bind(tag, "<Enter>", lambda e: self._hover(e, address))
        c.tag_bind(tag, "<Leave>", lambda _e: self._unhover())
        c.tag_bind(tag, "<ButtonRelease-1>", lambda _e: self._clicked(address))

    def _wrapped_starts(self, item: int, shown: str) -> list[int]:
        """Where each line Tk wrapped the text into starts: the character at its left edge."""
        c, line = self.canvas, int(self.fonts.body.metrics("linespace"))
        left, top = (float(v) for v in c.coords(item)[:2])
        _x0, y0, _x1, y1 = c.bbox(item)
        count = max(1, round((y1 - y0) / line))
        return [
            python_index(shown, int(c.index(item, f"@{left},{top + k * line + line / 2}")))
            for k in range(count)
        ]

    def _segment(
        self,
        drawn: Drawn,
        lines: list[str],
        line: int,
        first: int,
        last: int,
        fill: str,
        colour: str,
        tags: tuple[str, ...],
    ) -> None:
        """Characters ``first`` to ``last`` of drawn line ``line``, drawn as a link."""
        c, font, item = self.canvas, self.fonts.body, drawn.text_item
        linespace = int(font.metrics("linespace"))
        left, top = (float(v) for v in c.coords(item)[:2])
        if str(c.itemcget(item, "justify")) == "right":  # each line ends where the widest one does
            left += max(font.measure(text) for text in lines) - font.measure(lines[line])
        part = lines[line][first : last + 1]
        x, y = left + font.measure(lines[line][:first]), top + line * linespace
        width = font.measure(part)
        patch = (*tags, PATCH_TAG, f"{PATCH_TAG}:{drawn.message.message_id}")
        c.create_rectangle(x, y, x + width, y + linespace, fill=fill, outline="", tags=patch)
        c.create_text(x, y, text=part, anchor="nw", font=font, fill=colour, tags=(*tags, f"{LINK_TAG}-text"))
        under = y + int(font.metrics("ascent")) + 2
        c.create_line(x, under, x + width, under, fill=colour, tags=tags)

    def _hover(self, event: tk.Event, address: str) -> None:
        c = self.canvas
        c.configure(cursor="hand2")
        c.delete(_TIP)
        x, y = c.canvasx(event.x), c.canvasy(event.y) + 18
        p = self.palette
        words, font = hover_text(address), self.fonts.small
        text = c.create_text(
            x, y, text=words, anchor="nw", font=font, fill=p.text, tags=(_TIP, f"{_TIP}-text")
        )
        x0, y0, x1, y1 = c.bbox(text)
        shift = max(0.0, x1 + 8 - c.canvasx(c.winfo_width()))  # kept inside the list
        c.move(text, -shift, 0)
        box = c.create_rectangle(
            x0 - 6 - shift, y0 - 3, x1 + 6 - shift, y1 + 3, fill=p.surface, outline=p.border, tags=(_TIP,)
        )
        c.tag_lower(box, text)

    def _unhover(self) -> None:
        self.canvas.configure(cursor="")
        self.canvas.delete(_TIP)

    def tip(self) -> str:
        """The address shown under the pointer just now ("" with none)."""
        items = self.canvas.find_withtag(f"{_TIP}-text")
        return str(self.canvas.itemcget(items[0], "text")) if items else ""

    def _clicked(self, address: str) -> None:
        if not self.selecting():
            self.open(address)

    def open(self, address: str) -> None:
        self.opener(address)


def _runs(indices: list[int], starts: list[int]) -> list[tuple[int, int, int]]:
    """Consecutive drawn indices on one line, as (line, first, last)."""
    runs: list[tuple[int, int, int]] = []
    for index in indices:
        line = bisect.bisect_right(starts, index) - 1
        if runs and runs[-1][0] == line and runs[-1][2] == index - 1:
            runs[-1] = (line, runs[-1][1], index)
        else:
            runs.append((line, index, index))
    return runs
