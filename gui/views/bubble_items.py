"""Drawing one conversation item on the message canvas: a bubble with its time and ticks, a day heading.

:class:`MessageList` (in :mod:`gui.views.bubbles`) decides what goes where and
when to redraw; this module only knows how each item looks, so the look can
change without touching scrolling or paging.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass

from gui.view_models.wording import FAILED_NOTE, TICKS, clock, day_heading
from gui.views.theme import Fonts, Palette
from net.client.core.events import MessageStatus, MessageView

#: Space around the items, in pixels.
MARGIN = 16
_PAD_X, _PAD_Y = 12, 8
_GAP = 6
_RADIUS = 14
_MAX_FRACTION = 0.68
_DAY_GAP = 34


def tk_index(text: str, index: int) -> int:
    """A character index as Tcl 8.6 counts it: a character beyond the BMP takes two places there."""
    if tk.TclVersion >= 9:
        return index
    return index + sum(1 for char in text[:index] if ord(char) > 0xFFFF)


@dataclass
class Drawn:
    message: MessageView
    meta_item: int = 0
    text_item: int = 0
    bubble_item: int = 0


def rounded(
    canvas: tk.Canvas,
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    r: float,
    *,
    fill: str,
    outline: str,
    tags: tuple[str, ...],
) -> int:
    points = [
        x0 + r,
        y0,
        x1 - r,
        y0,
        x1,
        y0,
        x1,
        y0 + r,
        x1,
        y1 - r,
        x1,
        y1,
        x1 - r,
        y1,
        x0 + r,
        y1,
        x0,
        y1,
        x0,
        y1 - r,
        x0,
        y0 + r,
        x0,
        y0,
    ]
    return canvas.create_polygon(points, smooth=True, splinesteps=12, fill=fill, outline=outline, tags=tags)


class Painter:
    """Draws items on ``canvas`` at a given height and width; callbacks go to the list that owns it."""

    def __init__(self, canvas: tk.Canvas, palette: Palette, fonts: Fonts) -> None:
        self.canvas, self.palette, self.fonts = canvas, palette, fonts
        self.on_retry: Callable[[str], None] = lambda _id: None
        self.on_copy: Callable[[str], None] = lambda _id: None

    def meta(self, message: MessageView) -> str:
        if message.status == MessageStatus.FAILED:
            return FAILED_NOTE
        tick = TICKS[message.status] if message.outgoing else ""
        return f"{clock(message.timestamp)}  {tick}".rstrip()

    def meta_colour(self, message: MessageView) -> str:
        p = self.palette
        if message.status == MessageStatus.FAILED:
            return p.danger
        if not message.outgoing:
            return p.muted
        return "#8ff0c8" if message.status == MessageStatus.READ else p.mine_muted

    def day_heading(self, timestamp: float, top: float, width: int) -> float:
        """A heading naming the day; returns the height below it."""
        self.canvas.create_text(
            width / 2,
            top + 16,
            text=day_heading(timestamp, time.time()),
            fill=self.palette.muted,
            font=self.fonts.small,
        )
        return top + _DAY_GAP

    def bubble(self, drawn: Drawn, top: float, width: int) -> float:
        """A message's bubble at ``top``; returns the height below it."""
        p, c, m = self.palette, self.canvas, drawn.message
        max_text = max(120, int(width * _MAX_FRACTION) - 2 * _PAD_X)
        text_colour = p.on_mine if m.outgoing else p.on_theirs
        tag = f"msg:{m.message_id}"
        text = c.create_text(
            0,
            0,
            text=m.text,
            anchor="nw",
            width=max_text,
            font=self.fonts.body,
            fill=text_colour,
            tags=(tag,),
        )
        meta = c.create_text(
            0,
            0,
            text=self.meta(m),
            anchor="ne",
            font=self.fonts.small,
            fill=self.meta_colour(m),
            tags=(tag,),
        )
        tx0, ty0, tx1, ty1 = c.bbox(text)
        mx0, my0, mx1, my1 = c.bbox(meta)
        inner_w = max(tx1 - tx0, mx1 - mx0)
        inner_h = (ty1 - ty0) + 2 + (my1 - my0)
        bubble_w, bubble_h = inner_w + 2 * _PAD_X, inner_h + 2 * _PAD_Y
        x0 = width - MARGIN - bubble_w if m.outgoing else MARGIN
        y0 = top
        c.coords(text, x0 + _PAD_X, y0 + _PAD_Y)
        c.coords(meta, x0 + bubble_w - _PAD_X, y0 + _PAD_Y + (ty1 - ty0) + 2)
        fill = p.mine if m.outgoing else p.theirs
        outline = fill if m.outgoing else p.border
        bubble = rounded(
            c, x0, y0, x0 + bubble_w, y0 + bubble_h, _RADIUS, fill=fill, outline=outline, tags=(tag,)
        )
        c.tag_lower(bubble, text)
        drawn.meta_item, drawn.text_item, drawn.bubble_item = meta, text, bubble
        message_id = m.message_id
        if m.status == MessageStatus.FAILED:
            c.tag_bind(tag, "<Button-1>", lambda _e: self.on_retry(message_id))
        c.tag_bind(tag, "<Double-Button-1>", lambda _e: self.on_copy(message_id))
        return y0 + bubble_h + _GAP
