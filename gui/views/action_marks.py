"""Drawing what the message actions add to a bubble: a reply's quote above its text, reaction chips under it.

:class:`~gui.views.bubble_items.Painter` calls these while it lays a bubble out. Each draws at the
canvas origin under a tag of its own and says how big it came out, so that the painter can move it
into place, as it does with a picture.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable

from gui.view_models.action_text import quote_name, quote_start, reaction_chips
from gui.views.theme import Fonts, Palette
from net.client.core.events import MessageView

#: The tag of every quote's items (a click on one goes to the original: :mod:`gui.views.quote_jump`).
QUOTE_TAG = "quote"
_BAR = 3
_QUOTE_PAD = 6
_CHIP_PAD_X, _CHIP_PAD_Y, _CHIP_GAP = 7, 2, 4


def quote_tag(message_id: str) -> str:
    return f"quote:{message_id}"


def chips_tag(message_id: str) -> str:
    return f"chips:{message_id}"


def draw_quote(
    canvas: tk.Canvas,
    message: MessageView,
    palette: Palette,
    fonts: Fonts,
    name_of: Callable[[str], str],
    widest: int,
    tag: str,
) -> tuple[float, float]:
    """The quote of the message a reply answers, at the origin; its (width, height), (0, 0) for none."""
    reply = message.reply_to
    if reply is None:
        return 0.0, 0.0
    tags = (tag, quote_tag(message.message_id), QUOTE_TAG)
    colour = palette.on_mine if message.outgoing else palette.on_theirs
    x = _BAR + _QUOTE_PAD
    name = canvas.create_text(
        x,
        _QUOTE_PAD,
        text=fonts.text.show(quote_name(reply, name_of)),
        anchor="nw",
        font=fonts.bold,
        fill=colour,
        tags=(*tags, "quote-name"),
    )
    _nx0, _ny0, nx1, ny1 = canvas.bbox(name)
    start = canvas.create_text(
        x,
        ny1 + 1,
        text=fonts.text.show(quote_start(reply)),
        anchor="nw",
        width=max(60, widest - x - _QUOTE_PAD),
        font=fonts.small,
        fill=colour,
        tags=(*tags, "quote-text"),
    )
    _sx0, _sy0, sx1, sy1 = canvas.bbox(start)
    width, height = max(nx1, sx1) + _QUOTE_PAD, sy1 + _QUOTE_PAD
    tint = palette.accent_active if message.outgoing else palette.background
    block = canvas.create_rectangle(0, 0, width, height, fill=tint, outline="", tags=tags)
    bar_colour = palette.on_mine if message.outgoing else palette.accent
    bar = canvas.create_rectangle(0, 0, _BAR, height, fill=bar_colour, outline="", tags=tags)
    canvas.tag_lower(block, name)
    canvas.tag_raise(bar, block)
    return float(width), float(height)


def draw_chips(
    canvas: tk.Canvas, message: MessageView, palette: Palette, fonts: Fonts, tag: str
) -> tuple[float, float]:
    """The reactions as chips ("👍 2") in a row at the origin, ours outlined; its (width, height)."""
    x, height = 0.0, 0.0
    for words, mine in reaction_chips(message.reactions):
        tags = (tag, chips_tag(message.message_id), "chip-mine" if mine else "chip")
        text = canvas.create_text(
            x + _CHIP_PAD_X,
            _CHIP_PAD_Y,
            text=fonts.text.show(words),
            anchor="nw",
            font=fonts.small,
            fill=palette.text,
            tags=(*tags, "chip-text"),
        )
        _x0, _y0, x1, y1 = canvas.bbox(text)
        chip = canvas.create_rectangle(
            x,
            0,
            x1 + _CHIP_PAD_X,
            y1 + _CHIP_PAD_Y,
            fill=palette.selection if mine else palette.surface,
            outline=palette.accent if mine else palette.border,
            width=2 if mine else 1,
            tags=tags,
        )
        canvas.tag_lower(chip, text)
        x, height = x1 + _CHIP_PAD_X + _CHIP_GAP, max(height, y1 + _CHIP_PAD_Y)
    return (x - _CHIP_GAP if height else 0.0), height
