"""A row of buttons that wraps onto more lines when the pane is too narrow for it, as text does.

Settings puts two or three buttons side by side; beside the sidebar of an 800-pixel
window they are wider than the pane. :class:`FlowRow` grids its children left to
right and starts a new line where the next one would cross the right edge, each
time its width changes. The children keep their creation order, so Tab still
reads them as the eye does.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk


class FlowRow(ttk.Frame):
    """Pack or grid this frame so that it spans its pane (``fill="x"``); add children, then :meth:`flow`."""

    def __init__(self, master: tk.Misc, *, style: str, gap: int = 8) -> None:
        super().__init__(master, style=style)
        self._gap, self._style = gap, style
        self._shape: list[int] = []
        self._lines: list[ttk.Frame] = []
        self.bind("<Configure>", lambda _e: self.flow())

    def flow(self) -> None:
        """Lay the children out in lines no wider than this frame (one per line at the least)."""
        width = self.winfo_width()
        if width <= 1:
            width = 10**6  # not laid out yet: one line, until the first real width arrives
        lines, used = [0], 0
        children = [c for c in self.winfo_children() if isinstance(c, tk.Widget) and c not in self._lines]
        for child in children:
            need = child.winfo_reqwidth() + (self._gap if used else 0)
            if used and used + need > width:
                lines.append(0)
                used, need = 0, child.winfo_reqwidth()
            lines[-1] += 1
            used += need
        if lines == self._shape:
            return  # the same lines: no new layout (and no new Configure to answer)
        self._shape = lines
        # Each line is a frame of its own (a grid would line the columns up across lines).
        while len(self._lines) < len(lines):
            self._lines.append(ttk.Frame(self, style=self._style))
        index = 0
        for number, line in enumerate(self._lines):
            if number >= len(lines):
                line.pack_forget()
                continue
            line.pack(anchor="w", pady=(0, 4))
            for column in range(lines[number]):
                child = children[index]
                child.pack(in_=line, side="left", padx=(self._gap if column else 0, 0))
                child.lift(line)  # made before the line's frame: raised above it, or it would hide them
                index += 1
