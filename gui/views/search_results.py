"""The search field above the conversation list, and the results that replace the list while it has text.

The results are a read-only Text: a header line per conversation, then its
hits, each its snippet with the matched parts in the theme's accent and its
date. The field keeps the keyboard: Up and Down move through the hits, Enter
opens one, Escape clears the field (the keys go out through ``on_*``
callbacks, as the other views' buttons do).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import ttk

from gui.view_models.bidi_text import base_is_rtl
from gui.view_models.search_model import Header, Hit, Row
from gui.views.theme import Fonts, Palette

PLACEHOLDER = "Search"


class SearchField(ttk.Frame):
    def __init__(self, master: tk.Misc, palette: Palette, fonts: Fonts) -> None:
        super().__init__(master, style="Sidebar.TFrame")
        self.on_change: Callable[[str], None] = lambda _text: None
        self.on_move: Callable[[int], None] = lambda _by: None
        self.on_enter: Callable[[], None] = lambda: None
        self.on_escape: Callable[[], None] = lambda: None
        self.var = tk.StringVar(self)
        # Not exporting the selection: a selected query must not take the highlight off a found message.
        self.entry = ttk.Entry(self, textvariable=self.var, exportselection=False)
        self.entry.pack(side="left", fill="x", expand=True)
        self.placeholder = tk.Label(self.entry, text=PLACEHOLDER, font=fonts.body, borderwidth=0, padx=0)
        self.placeholder.bind("<Button-1>", lambda _e: self.entry.focus_set())
        self.clear_button = ttk.Button(self, text="✕", width=2, style="Link.TButton", command=self.clear)
        self.var.trace_add("write", lambda *_args: self._changed())
        self.entry.bind("<Down>", lambda _e: self._key(lambda: self.on_move(1)))
        self.entry.bind("<Up>", lambda _e: self._key(lambda: self.on_move(-1)))
        for sequence in ("<Return>", "<KP_Enter>"):
            self.entry.bind(sequence, lambda _e: self._key(self.on_enter))
        self.entry.bind("<Escape>", lambda _e: self._key(self.on_escape))
        self.restyle(palette)
        self._changed()

    @property
    def value(self) -> str:
        return self.var.get()

    def clear(self) -> None:
        self.var.set("")

    def focus(self) -> None:
        """Put the cursor in the field with what it holds selected, so typing replaces it."""
        self.entry.focus_set()
        self.entry.select_range(0, "end")
        self.entry.icursor("end")

    def restyle(self, palette: Palette) -> None:
        self.placeholder.configure(background=palette.field, foreground=palette.muted)

    def _changed(self) -> None:
        if self.var.get():
            self.placeholder.place_forget()
            self.clear_button.pack(side="right", padx=(4, 0))
        else:
            self.placeholder.place(x=9, rely=0.5, anchor="w")
            self.clear_button.pack_forget()
        self.on_change(self.var.get())

    @staticmethod
    def _key(action: Callable[[], None]) -> str:
        action()
        return "break"


class SearchResults(ttk.Frame):
    def __init__(self, master: tk.Misc, palette: Palette, fonts: Fonts) -> None:
        super().__init__(master, style="Sidebar.TFrame")
        self.fonts = fonts
        #: The matches: the snippet's own size, in bold (and the accent).
        self.match_font = fonts.small.copy()
        self.match_font.configure(weight="bold")
        self.on_open: Callable[[int], None] = lambda _row: None
        self.count = ttk.Label(self, text="", style="Sidebar.Muted.TLabel", padding=(14, 6, 14, 4))
        self.count.pack(fill="x")
        self.text = tk.Text(
            self,
            wrap="word",
            borderwidth=0,
            highlightthickness=0,
            padx=14,
            pady=4,
            cursor="arrow",
            takefocus=0,
            font=fonts.small,
            spacing1=2,
            spacing3=2,
        )
        self.text.pack(fill="both", expand=True)
        self.text.bind("<Button-1>", self._clicked)
        self._rows: list[Row] = []
        self._selected: int | None = None
        self.restyle(palette)

    def show(self, rows: Sequence[Row], count: str) -> None:
        """Replace the results; ``count`` is the line above them (the count, or why there are none)."""
        self._rows, self._selected = list(rows), None
        self.count.configure(text=count)
        t = self.text
        t.configure(state="normal")
        t.delete("1.0", "end")
        for index, row in enumerate(self._rows):
            tag = f"row:{index}"
            if isinstance(row, Header):
                t.insert("end", self.fonts.text.show(row.name) + "\n", ("header", tag))
                continue
            # Right to left: each part reordered, and the parts themselves drawn from the right.
            rtl = base_is_rtl("".join(p.text for p in row.parts))
            parts = list(reversed(row.parts)) if rtl else row.parts
            for part in parts:
                shown = self.fonts.text.show(part.text)
                t.insert("end", shown, ("hit", tag, "match") if part.match else ("hit", tag))
            t.insert("end", f"  ·  {row.date}\n", ("hit", tag, "date"))
        t.configure(state="disabled")
        t.yview_moveto(0.0)

    def select(self, index: int | None) -> None:
        """Mark one hit as the current one and bring it into view."""
        self._selected = index
        self.text.tag_remove("selected", "1.0", "end")
        if index is None:
            return
        first, last = self.text.tag_ranges(f"row:{index}")[:2]
        self.text.tag_add("selected", first, last)
        self.text.see(first)

    @property
    def selected(self) -> int | None:
        return self._selected

    def rows(self) -> list[Row]:
        return list(self._rows)

    def highlighted(self) -> list[str]:
        """The texts drawn in the accent (the matches), in order: what the person sees highlighted."""
        spans = self.text.tag_ranges("match")
        return [self.text.get(a, b) for a, b in zip(spans[::2], spans[1::2], strict=True)]

    def row_at(self, x: int, y: int) -> int | None:
        for name in self.text.tag_names(self.text.index(f"@{x},{y}")):
            if name.startswith("row:"):
                return int(name.removeprefix("row:"))
        return None

    def restyle(self, palette: Palette) -> None:
        t, f = self.text, self.fonts
        t.configure(background=palette.sidebar, foreground=palette.text)
        t.tag_configure("header", font=f.bold, foreground=palette.text, spacing1=10)
        t.tag_configure("hit", lmargin1=10, lmargin2=10)
        t.tag_configure("match", foreground=palette.accent, font=self.match_font)
        t.tag_configure("date", foreground=palette.muted)
        t.tag_configure("selected", background=palette.selection)
        t.tag_raise("selected")
        t.tag_raise("match")

    def _clicked(self, event: tk.Event) -> str:
        index = self.row_at(event.x, event.y)
        if index is not None and isinstance(self._rows[index], Hit):
            self.on_open(index)
        return "break"
