"""Profile pictures as Tk images: decoded behind the engine's pixel limit, round, cached per widget.

A contact's picture arrives as JPEG bytes (``ContactView.picture``); the
engine checked it, and it is decoded here again through
:func:`net.client.images.decode` with the same limit, so nothing of it is
trusted twice. Each view keeps its own :class:`PictureCache`: a Tk image belongs
to one interpreter, and a view redraws often (the conversation list on every
message), so a picture is decoded once per size.
"""

from __future__ import annotations

import hashlib
import tkinter as tk
from collections import OrderedDict

from PIL import Image, ImageDraw, ImageOps, ImageTk

from net.client.images import ImageRefused, decode
from net.client.pictures import MAX_RECEIVED_PIXELS

#: Pictures kept per view: every row of a long list, and then some.
_KEPT = 256
#: The circle is drawn this many times larger and scaled down, for a smooth edge.
_SMOOTH = 4


def round_picture(data: bytes, side: int) -> Image.Image | None:
    """The picture as a circle ``side`` pixels across on a transparent square; None if it cannot be shown."""
    try:
        picture = decode(data, max_pixels=MAX_RECEIVED_PIXELS)
    except ImageRefused:
        return None
    square = ImageOps.fit(picture.convert("RGB"), (side, side), Image.Resampling.LANCZOS)
    mask = Image.new("L", (side * _SMOOTH, side * _SMOOTH), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, side * _SMOOTH - 1, side * _SMOOTH - 1), fill=255)
    square.putalpha(mask.resize((side, side), Image.Resampling.LANCZOS))
    return square


class PictureCache:
    """Round Tk images of pictures for one widget, by the picture's digest and size."""

    def __init__(self, master: tk.Misc) -> None:
        self._master = master
        self._images: OrderedDict[tuple[bytes, int], ImageTk.PhotoImage | None] = OrderedDict()

    def get(self, data: bytes, side: int) -> ImageTk.PhotoImage | None:
        """The picture as a round image, or None (no picture, or one that cannot be shown: initials then)."""
        if not data:
            return None
        key = (hashlib.sha256(data).digest(), side)
        if key in self._images:
            self._images.move_to_end(key)
            return self._images[key]
        picture = round_picture(data, side)
        image = None if picture is None else ImageTk.PhotoImage(picture, master=self._master)
        self._images[key] = image
        while len(self._images) > _KEPT:
            self._images.popitem(last=False)
        return image
