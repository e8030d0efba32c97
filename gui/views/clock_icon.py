"""The clock on the header's timer button, drawn with Pillow: not every desktop's fonts have ⏱.

Drawn four times as large and scaled down, as the paperclip is, in the theme's text colour.
"""

from __future__ import annotations

import tkinter as tk

from PIL import Image, ImageDraw, ImageTk

_SCALE = 4


def clock_face(master: tk.Misc, colour: str, side: int = 16) -> ImageTk.PhotoImage:
    """A clock face ``side`` pixels square in ``colour`` (a Tk colour name or #rrggbb), on transparency."""
    big = side * _SCALE
    picture = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(picture)
    red, green, blue = (value // 257 for value in master.winfo_rgb(colour))
    ink, stroke = (red, green, blue, 255), max(2, big // 10)
    margin = stroke
    draw.ellipse((margin, margin, big - margin, big - margin), outline=ink, width=stroke)
    middle = big / 2
    draw.line((middle, middle, middle, big * 0.24), fill=ink, width=stroke)  # the minute hand at twelve
    draw.line((middle, middle, big * 0.7, middle), fill=ink, width=stroke)  # the hour hand at three
    return ImageTk.PhotoImage(picture.resize((side, side), Image.Resampling.LANCZOS), master=master)
