"""The message a search found, on the message canvas: scrolled to, its match marked, its bubble outlined.

The mark is drawn with items of its own (tag :data:`MARK_TAG`): for each line
the match covers, a box in the theme's warning colour with the matched
characters written over it in the colour that reads on it. The canvas's
selection is not used: a canvas has only one, and any other selection (text
chosen in another bubble, in a field or a later dialog) would take it away.
The mark stays while the list shows the block it was found in, across
redraws and pages, and goes when the list is replaced (the person went to the
newest messages, to another conversation or another search).

Tk says where a canvas text wraps but not where each character is, so the
line starts come from the canvas (the character at each line's left edge) and
the offsets within a line from the font's measure. A text reordered for
display (right to left) has its characters elsewhere than the span says; its
bubble is only outlined.
"""

from __future__ import annotations

import tkinter as tk

from gui.views.bubble_items import Drawn, python_index
from gui.views.theme import Fonts, Palette

#: How long a revealed message's bubble stays outlined.
FLASH_MS = 1500
#: The tag of every item of the mark.
MARK_TAG = "found-mark"


class FoundMark:
    """The found message of one list: which it is, the span to mark, and whether to scroll to it."""

    def __init__(self, canvas: tk.Canvas, palette: Palette, fonts: Fonts) -> None:
        self.canvas, self.palette, self.fonts = canvas, palette, fonts
        #: The found message's id and the span of its text to mark.
        self.found: tuple[str, int, int] | None = None
        #: Scroll to it and outline it at the next drawing (once, after :meth:`set`).
        self.pending = False
        #: The message whose bubble is outlined just now.
        self.flashing: str | None = None

    def set(self, message_id: str, span: tuple[int, int] | None) -> None:
        start, end = span if span is not None else (0, 0)
        self.found, self.pending = (message_id, start, end), True

    def clear(self) -> None:
        self.canvas.delete(MARK_TAG)
        self.found, self.pending = None, False

    def text(self) -> tuple[str, str] | None:
        """The found message and the characters the mark covers, as the person sees them."""
        items = self.canvas.find_withtag(f"{MARK_TAG}-text")
        if self.found is None or not items:
            return None
        return self.found[0], "".join(str(self.canvas.itemcget(item, "text")) for item in items)

    def draw(self, drawn: Drawn | None, region_height: float) -> None:
        """Mark the span on ``drawn`` (the found message, if drawn); the first time, scroll and flash."""
        self.canvas.delete(MARK_TAG)
        if self.found is None or drawn is None or not drawn.text_item:
            return
        _message_id, start, end = self.found
        c, text = self.canvas, drawn.message.text
        if end > start and str(c.itemcget(drawn.text_item, "text")) == text:
            self._mark(drawn, start, end)
        if self.pending:
            self.pending = False
            self._scroll_to(drawn, region_height)
            self._flash(drawn)

    def _mark(self, drawn: Drawn, start: int, end: int) -> None:
        c, font, text, item = self.canvas, self.fonts.body, drawn.message.text, drawn.text_item
        line = int(font.metrics("linespace"))
        left, top = (float(v) for v in c.coords(item)[:2])  # drawn anchored at its top left corner
        _x0, y0, _x1, y1 = c.bbox(item)
        count = max(1, round((y1 - y0) / line))
        starts = [
            python_index(text, int(c.index(item, f"@{left},{top + k * line + line / 2}")))
            for k in range(count)
        ]
        starts.append(len(text))
        tags = (MARK_TAG, f"msg:{drawn.message.message_id}")
        for k in range(count):
            first, last = max(start, starts[k]), min(end, starts[k + 1])
            part = text[first:last].rstrip("\n")
            if not part:
                continue
            x, y = left + font.measure(text[starts[k] : first]), top + k * line
            c.create_rectangle(
                x - 1,
                y,
                x + font.measure(part) + 1,
                y + line,
                fill=self.palette.warning,
                outline="",
                tags=tags,
            )
            c.create_text(
                x,
                y,
                text=part,
                anchor="nw",
                font=font,
                fill=self.palette.on_warning,
                tags=(*tags, f"{MARK_TAG}-text"),
            )

    def _scroll_to(self, drawn: Drawn, region_height: float) -> None:
        c = self.canvas
        _x0, y0, _x1, y1 = c.bbox(drawn.bubble_item)
        top = max(0.0, y0 - (c.winfo_height() - (y1 - y0)) / 2)
        c.yview_moveto(top / max(region_height, 1.0))

    def _flash(self, drawn: Drawn) -> None:
        c, bubble, message_id = self.canvas, drawn.bubble_item, drawn.message.message_id
        outline = c.itemcget(bubble, "outline")
        c.itemconfigure(bubble, outline=self.palette.text, width=3)
        self.flashing = message_id

        def done() -> None:
            if self.flashing == message_id:
                self.flashing = None
            if c.type(bubble):  # a redraw in between made a fresh bubble already
                c.itemconfigure(bubble, outline=outline, width=1)

        c.after(FLASH_MS, done)
