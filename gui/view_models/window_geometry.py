"""The window's size and place: the default, the smallest, and a remembered one fitted to today's screen.

A window remembered on a screen that is gone (a second monitor unplugged) or
larger than the screen now would open out of sight or cut off: the saved
geometry is shrunk to the screen and moved back onto it, never below the
minimum size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_SIZE = (1120, 740)
MINIMUM_SIZE = (640, 480)

_GEOMETRY = re.compile(r"^(\d+)x(\d+)\+(-?\d+)\+(-?\d+)$")


@dataclass(frozen=True)
class Geometry:
    width: int
    height: int
    x: int
    y: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}+{self.x}+{self.y}"


def parse(text: str) -> Geometry | None:
    """Tk's "WxH+X+Y", as ``wm geometry`` reports it (X and Y may be negative, as "+-8"); else None."""
    match = _GEOMETRY.match(text.strip())
    if match is None:
        return None
    return Geometry(int(match[1]), int(match[2]), int(match[3]), int(match[4]))


def restored(saved: str, screen: tuple[int, int]) -> str | None:
    """Where to open the window: the saved geometry fitted onto ``screen``; None to use the default."""
    geometry = parse(saved)
    if geometry is None:
        return None
    screen_w, screen_h = screen
    width = max(MINIMUM_SIZE[0], min(geometry.width, screen_w))
    height = max(MINIMUM_SIZE[1], min(geometry.height, screen_h))
    x = max(0, min(geometry.x, screen_w - width))
    y = max(0, min(geometry.y, screen_h - height))
    return str(Geometry(width, height, x, y))


def first_size(screen: tuple[int, int]) -> str:
    """The size of a first run: the default, but never larger than the screen (an 800×600 laptop)."""
    width = max(MINIMUM_SIZE[0], min(DEFAULT_SIZE[0], screen[0]))
    height = max(MINIMUM_SIZE[1], min(DEFAULT_SIZE[1], screen[1]))
    return str(Geometry(width, height, 0, 0))
