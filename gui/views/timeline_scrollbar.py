"""The message list's scrollbar: its thumb stands for the whole conversation, not the pages drawn.

The canvas tells where its view is (:meth:`TimelineScrollbar.canvas_moved`, from
its ``yscrollcommand``); the thumb is set from that and the :class:`Span` of the
list (:mod:`gui.view_models.scroll_model` does the arithmetic). What the person
does to the scrollbar comes back as Tk's ``moveto`` and ``scroll``: a thumb
dragged inside the drawn entries scrolls the canvas, one dragged past them asks
for the page at that place (``on_need_at``, one request at a time), and the
thumb stays where it was dragged until the page is drawn
(:meth:`TimelineScrollbar.arrived`), which puts the view where the thumb points.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.scroll_model import Load, Span, pointed, thumb, top_for


class TimelineScrollbar:
    def __init__(self, master: tk.Misc, canvas: tk.Canvas, span: Callable[[], Span]) -> None:
        self.canvas, self._span = canvas, span
        self.scrollbar = ttk.Scrollbar(master, orient="vertical", command=self._command)
        #: Asked for the page that starts this many entries after the oldest.
        self.on_need_at: Callable[[int], None] = lambda _offset: None
        #: Where the thumb was dragged while the page it points at is loading; None otherwise.
        self.pointing: float | None = None
        self._asked = False
        #: The place of the page asked for (a thumb still pointing there when it comes asks no more).
        self._asked_at: int | None = None

    def reset(self) -> None:
        """The list was replaced: no drag waits for a page any more."""
        self.pointing, self._asked, self._asked_at = None, False, None

    def canvas_moved(self) -> None:
        """The canvas's view or region changed: the thumb follows (unless a drag waits for its page)."""
        if self.pointing is not None:
            size = self._size()
            self.scrollbar.set(self.pointing, min(1.0, self.pointing + size))
            return
        first, last = thumb(self._span(), self.canvas.canvasy(0), self._view())
        self.scrollbar.set(first, last)

    def go_to(self, first: float) -> None:
        """Put the view where the thumb would stand at ``first``, loading that place if it is not drawn."""
        target = pointed(self._span(), first, self._view())
        if isinstance(target, Load):
            size = self._size()
            self.pointing = min(max(first, 0.0), 1.0 - size)
            self.scrollbar.set(self.pointing, self.pointing + size)
            if not self._asked:
                self._asked, self._asked_at = True, target.offset
                self.on_need_at(target.offset)
        else:
            self.pointing = None
            self.canvas.yview_moveto(target.fraction)

    def arrived(self) -> None:
        """The page asked for is drawn: the view goes where the thumb points (the next place is asked for
        if the thumb was dragged on meanwhile, past the page that came)."""
        first, loaded = self.pointing, self._asked_at
        self.reset()
        if first is None:
            self.canvas_moved()
            return
        target = pointed(self._span(), first, self._view())
        if isinstance(target, Load) and target.offset != loaded:
            self.go_to(first)
            return
        self.canvas.yview_moveto(top_for(self._span(), first, self._view()))
        self.canvas_moved()

    @property
    def thumb(self) -> tuple[float, float]:
        first, last = self.scrollbar.get()[:2]
        return float(first), float(last)

    def _command(self, *args: str) -> None:
        if args and args[0] == "moveto":
            self.go_to(float(args[1]))
        else:  # the arrows and the trough: units and pages of the canvas
            self.canvas.yview(*args)

    def _view(self) -> float:
        return float(max(1, self.canvas.winfo_height()))

    def _size(self) -> float:
        first, last = self.thumb
        return max(last - first, 0.0)
