"""The small timer mark on a bubble sent under a disappearing timer: a clock face and "1h".

Drawn with canvas items (a circle and two hands) rather than a clock emoji, which not every
desktop's fonts have. :class:`~gui.views.bubble_items.Painter` draws it at the origin under a tag
of its own and moves it left of the bubble's time, as it does with a reply's quote.
"""

from __future__ import annotations

import tkinter as tk

from gui.view_models.timer_text import mark_text
from gui.views.theme import Fonts
from net.client.core.events import MessageView

_GAP = 3


def timer_tag(message_id: str) -> str:
    return f"timer:{message_id}"


def draw_timer_mark(
    canvas: tk.Canvas, message: MessageView, fonts: Fonts, colour: str, tag: str
) -> tuple[float, float]:
    """The mark at the origin for a message with ``timer > 0``; its (width, height), (0, 0) for none."""
    words = mark_text(message.timer)
    if not words:
        return 0.0, 0.0
    tags = (tag, timer_tag(message.message_id), "timer-mark")
    height = float(fonts.small.metrics("linespace"))
    size = max(7.0, height * 0.6)
    top = (height - size) / 2
    canvas.create_oval(0, top, size, top + size, outline=colour, width=1, tags=tags)
    middle_x, middle_y = size / 2, top + size / 2
    canvas.create_line(middle_x, middle_y, middle_x, top + 2, fill=colour, tags=tags)
    canvas.create_line(middle_x, middle_y, size - 2, middle_y, fill=colour, tags=tags)
    text = canvas.create_text(
        size + _GAP, 0, text=words, anchor="nw", font=fonts.small, fill=colour, tags=(*tags, "timer-text")
    )
    _x0, _y0, x1, _y1 = canvas.bbox(text)
    return float(x1), height
