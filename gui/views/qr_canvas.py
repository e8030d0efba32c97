"""A QR code drawn in the window: one filled square per dark module on a white square with its quiet zone.

Always dark on white, in the dark theme too: that is what cameras read. The module size is a
whole number of pixels (a blurred edge between two modules is what makes a code unreadable),
as large as fits ``side``; :meth:`drawn_modules` reads the drawing back, for tests and tools.
"""

from __future__ import annotations

import tkinter as tk

from gui.view_models.qr_code import QUIET_ZONE, Modules, qr_modules

_DARK, _LIGHT = "#000000", "#ffffff"


class QrCanvas(tk.Canvas):
    def __init__(self, master: tk.Misc, *, side: int = 232) -> None:
        super().__init__(
            master, width=side, height=side, highlightthickness=0, borderwidth=0, background=_LIGHT
        )
        self.side = side
        #: The text the drawn code carries ("" before the first code).
        self.text = ""
        self._size = 0
        self._count = 0
        self._origin = 0

    def show(self, text: str) -> None:
        """Draw the QR code of ``text`` (nothing for "")."""
        self.delete("all")
        self.text = text
        if not text:
            self._count = 0
            return
        modules = qr_modules(text)
        count = len(modules)
        self._size = size = max(1, self.side // (count + 2 * QUIET_ZONE))
        self._count = count
        # Centred: the white around the symbol is the quiet zone and whatever the whole pixels leave.
        self._origin = origin = (self.side - count * size) // 2
        for row, cells in enumerate(modules):
            for column, dark in enumerate(cells):
                if dark:
                    x, y = origin + column * size, origin + row * size
                    self.create_rectangle(x, y, x + size, y + size, fill=_DARK, width=0, tags="module")

    def drawn_modules(self) -> Modules:
        """The grid of modules as drawn (True: dark), read back from the canvas's squares."""
        count, size, origin = self._count, self._size, self._origin
        grid = [[False] * count for _ in range(count)]
        for item in self.find_withtag("module"):
            x0, y0, _x1, _y1 = self.coords(item)
            grid[round((y0 - origin) / size)][round((x0 - origin) / size)] = True
        return tuple(tuple(row) for row in grid)

    @property
    def module_pixels(self) -> int:
        return self._size
