"""The paperclip on the attach button, drawn with Pillow: not every desktop's fonts have the 📎 emoji.

Drawn four times as large and scaled down, so its curves are smooth, in the
theme's text colour (drawn again when the theme changes).
"""

from __future__ import annotations

import tkinter as tk

from PIL import Image, ImageDraw, ImageTk

_SCALE = 4


def paperclip(master: tk.Misc, colour: str, side: int = 22) -> ImageTk.PhotoImage:
    """A paperclip ``side`` pixels square in ``colour`` (a Tk colour name or #rrggbb), on transparency."""
    big = side * _SCALE
    picture = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(picture)
    red, green, blue = (value // 257 for value in master.winfo_rgb(colour))
    ink, stroke = (red, green, blue, 255), max(2, big // 14)
    # One wire, as the familiar icon draws it: down the left, round the bottom, up the right, over a
    # small top bend, and down again inside.
    width = big * 0.36
    left, top, bottom = (big - width) / 2, big * 0.06, big * 0.94
    outer, bend = width / 2, width * 0.3
    right, inside = left + width, left + width - 2 * bend
    draw.line((left, top + width * 0.9, left, bottom - outer), fill=ink, width=stroke)
    draw.arc((left, bottom - 2 * outer, right, bottom), 0, 180, fill=ink, width=stroke)
    draw.line((right, bottom - outer, right, top + bend), fill=ink, width=stroke)
    draw.arc((inside, top, right, top + 2 * bend), 180, 360, fill=ink, width=stroke)
    draw.line((inside, top + bend, inside, bottom - width), fill=ink, width=stroke)
    tilted = picture.rotate(-40, resample=Image.Resampling.BICUBIC)
    return ImageTk.PhotoImage(tilted.resize((side, side), Image.Resampling.LANCZOS), master=master)
