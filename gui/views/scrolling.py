"""A pane whose content scrolls when the window is shorter than it: Settings at 800×600 and below.

The content is a frame (:attr:`ScrollingBody.body`) inside a canvas; it takes the
canvas's width, and every wrapped label in it wraps at what is left of that width
(never wider than it was made to wrap), so no sentence is cut at the pane's right
edge; it scrolls vertically with a
scroll bar shown only when needed, the mouse wheel anywhere over it, and the
keyboard: a widget that takes the focus out of view is scrolled into view, so Tab
never leaves the cursor below the window's edge.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk


class ScrollingBody(ttk.Frame):
    def __init__(self, master: tk.Misc, *, style: str, padding: tuple[int, int]) -> None:
        super().__init__(master, style=style)
        self.canvas = tk.Canvas(self, highlightthickness=0, borderwidth=0)
        self.scrollbar = ttk.Scrollbar(self, orient="vertical", command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=self.scrollbar.set)
        self.body = ttk.Frame(self.canvas, style=style, padding=padding)
        self._item = self.canvas.create_window(0, 0, window=self.body, anchor="nw")
        self.canvas.pack(side="left", fill="both", expand=True)
        self._style = style
        #: Each wrapped label's wrap length as made: the most it may take.
        self._designed: dict[str, int] = {}
        self._right = padding[0]
        self.canvas.bind("<Configure>", lambda _e: self._fit())
        self.body.bind("<Configure>", lambda _e: self._fit())
        self.bind("<<ThemeChanged>>", lambda _e: self._restyle())
        self.bind_all("<FocusIn>", self._focus_moved, add="+")
        self.bind_all("<MouseWheel>", self._wheel, add="+")
        self.bind_all("<Button-4>", self._wheel, add="+")
        self.bind_all("<Button-5>", self._wheel, add="+")
        self._restyle()

    @property
    def scrolls(self) -> bool:
        """Whether the content is taller than the pane (and so the scroll bar is shown)."""
        return bool(self.scrollbar.winfo_manager())

    def _restyle(self) -> None:
        background = ttk.Style(self).lookup(self._style, "background") or "#ffffff"
        self.canvas.configure(background=background)

    def _fit(self) -> None:
        width, height = self.canvas.winfo_width(), self.canvas.winfo_height()
        self.canvas.itemconfigure(self._item, width=max(1, width))
        if width > 1:
            self._rewrap(self.body, width)
        content = self.body.winfo_reqheight()
        self.canvas.configure(scrollregion=(0, 0, width, max(height, content)))
        if content > height > 1:
            if not self.scrolls:
                self.scrollbar.pack(side="right", fill="y", before=self.canvas)
        elif self.scrolls:
            self.scrollbar.pack_forget()
            self.canvas.yview_moveto(0)

    def _rewrap(self, widget: tk.Misc, width: int) -> None:
        """Wrap each label at the room it has: the pane's width less its indent and the right padding."""
        for child in widget.winfo_children():
            if isinstance(child, ttk.Label):
                if str(child.cget("width")) == "1":
                    continue  # a label that takes its parent's width wraps there by itself (a form field's)
                designed = self._designed.setdefault(str(child), int(child.cget("wraplength") or 0))
                if designed > 0:
                    indent = max(self._right, child.winfo_rootx() - self.body.winfo_rootx())
                    wrap = max(120, min(designed, width - indent - self._right))
                    if wrap != int(child.cget("wraplength")):  # an unchanged length starts no new layout
                        child.configure(wraplength=wrap)
            else:
                self._rewrap(child, width)

    def _inside(self, widget: object) -> bool:
        return isinstance(widget, tk.Misc) and str(widget).startswith(str(self.body))

    def _wheel(self, event: tk.Event) -> None:
        if not self.scrolls or not self.winfo_viewable() or not self._inside(event.widget):
            return
        up = event.num == 4 or getattr(event, "delta", 0) > 0
        self.canvas.yview_scroll(-3 if up else 3, "units")

    def _focus_moved(self, event: tk.Event) -> None:
        widget = event.widget
        if not self.scrolls or not self._inside(widget):
            return
        assert isinstance(widget, tk.Misc)
        top = widget.winfo_rooty() - self.body.winfo_rooty()
        bottom = top + widget.winfo_height()
        shown_top = self.canvas.canvasy(0)
        shown_bottom = shown_top + self.canvas.winfo_height()
        total = max(self.body.winfo_reqheight(), 1)
        if top < shown_top:
            self.canvas.yview_moveto(max(0, top - 20) / total)
        elif bottom > shown_bottom:
            self.canvas.yview_moveto(max(0, bottom + 20 - self.canvas.winfo_height()) / total)

    def scroll_to_top(self) -> None:
        self.canvas.yview_moveto(0)
