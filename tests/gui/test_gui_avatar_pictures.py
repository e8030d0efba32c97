"""Round profile pictures: decoded behind the pixel limit, cut to a circle, kept once per size."""

from __future__ import annotations

import io
import struct
import tkinter as tk

from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
)
from PIL import Image

from gui.views.avatar_pictures import PictureCache, round_picture


def _jpeg(colour: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def test_a_picture_becomes_a_circle_of_the_size_asked_from_its_middle() -> None:
    wide = Image.new("RGB", (300, 100), (0, 0, 255))
    wide.paste((255, 0, 0), (100, 0, 200, 100))  # red in the middle third
    out = io.BytesIO()
    wide.save(out, "PNG")
    circle = round_picture(out.getvalue(), 40)
    assert circle is not None and circle.size == (40, 40) and circle.mode == "RGBA"
    assert circle.getpixel((0, 0))[3] == 0 and circle.getpixel((39, 39))[3] == 0  # corners transparent
    red, _green, blue, alpha = circle.getpixel((20, 20))
    assert alpha == 255 and red > 200 and blue < 50  # the middle square, not the blue edges


def test_a_picture_that_cannot_be_shown_gives_none() -> None:
    bomb = bytearray(_jpeg((0, 0, 0), (16, 16)))
    sof = bomb.index(b"\xff\xc0")
    bomb[sof + 5 : sof + 9] = struct.pack(">HH", 2_000, 2_000)  # 4 million pixels: over the limit
    assert round_picture(bytes(bomb), 40) is None
    assert round_picture(b"not a picture", 40) is None


def test_the_cache_decodes_once_per_picture_and_size(display: None) -> None:
    root = tk.Tk()
    try:
        cache = PictureCache(root)
        red = _jpeg((255, 0, 0), (64, 64))
        first = cache.get(red, 38)
        assert first is not None and cache.get(red, 38) is first
        assert cache.get(red, 64) is not first and cache.get(red, 64) is not None
        assert cache.get(b"", 38) is None and cache.get(b"junk", 38) is None
        for n in range(300):  # it keeps a bounded number
            out = io.BytesIO()
            Image.new("RGB", (8, 8), (n % 256, n // 256, 0)).save(out, "PNG")
            cache.get(out.getvalue(), 10)
        assert len(cache._images) == 256
    finally:
        root.destroy()
