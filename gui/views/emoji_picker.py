"""The emoji picker: a small window with a search field and a grid of emoji, for the keyboard and the mouse.

It opens beside what asked for it (the composer's emoji button, Ctrl+Shift+J, a message menu's
"More…") with the keyboard in its field: typing filters the grid by name
(:func:`gui.view_models.emoji_catalog.search`), the arrows move the selection (Left and Right
too: the field's cursor is not needed for a few letters), Enter or a click hands the selected
emoji to the ``chosen`` callback and closes, Escape closes with nothing chosen; either way the
keyboard goes back where it was. The line under the grid names the selected emoji. Where no font
draws emoji (:attr:`gui.view_models.bidi_text.TextStyle.emoji_fallback`) the cells show names,
in two wide columns.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models import emoji_catalog
from gui.view_models.emoji_catalog import Emoji
from gui.views.theme import Fonts, Palette

#: Emoji per row where a font draws them, and names per row where none does.
COLUMNS, NAME_COLUMNS = 8, 2
_CELL_PAD = 10
_SHOWN_ROWS = 6


class EmojiPicker:
    def __init__(self, root: tk.Misc, palette: Palette, fonts: Fonts) -> None:
        self.root, self.palette, self.fonts = root, palette, fonts
        #: The recently chosen emoji, most recent first (shown first).
        self.recent: list[str] = []
        #: The window while it is open, and what it shows.
        self.window: tk.Toplevel | None = None
        self.shown: list[Emoji] = []
        self.selected = -1
        self._chosen: Callable[[str], None] = lambda _char: None
        self._back_to: tk.Misc | None = None
        self._query = tk.StringVar(master=root)
        self._query.trace_add("write", lambda *_a: self.filter(self._query.get()))

    @property
    def columns(self) -> int:
        return NAME_COLUMNS if self.fonts.text.emoji_fallback else COLUMNS

    @property
    def field(self) -> ttk.Entry:
        assert self.window is not None
        return self._field

    def open(self, chosen: Callable[[str], None], near: tk.Misc, title: str = "Emoji") -> None:
        """Show the picker by ``near`` (one at a time: a second open replaces the first)."""
        self.close()
        self._back_to = self.root.focus_get()
        self._chosen = chosen
        window = tk.Toplevel(self.root, background=self.palette.surface)
        window.title(title)
        window.transient(self.root.winfo_toplevel())
        window.protocol("WM_DELETE_WINDOW", self.close)
        self.window = window
        self._field = ttk.Entry(window, textvariable=self._query, font=self.fonts.body)
        self._field.grid(row=0, column=0, columnspan=2, sticky="ew", padx=8, pady=(8, 4))
        self.canvas = tk.Canvas(
            window, highlightthickness=0, borderwidth=0, background=self.palette.background
        )
        bar = ttk.Scrollbar(window, orient="vertical", command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=bar.set)
        self.canvas.grid(row=1, column=0, sticky="nsew", padx=(8, 0))
        bar.grid(row=1, column=1, sticky="ns", padx=(0, 8))
        self.name_line = ttk.Label(window, text="", style="Surface.Muted.TLabel")
        self.name_line.grid(row=2, column=0, columnspan=2, sticky="w", padx=8, pady=(4, 8))
        window.columnconfigure(0, weight=1)
        window.rowconfigure(1, weight=1)
        width, height = self._cell()
        self.canvas.configure(width=width * self.columns, height=height * _SHOWN_ROWS)
        f = self._field
        for key in ("Left", "Right", "Up", "Down"):
            f.bind(f"<{key}>", self._arrow(key))
        for key in ("Prior", "Next"):
            f.bind(f"<{key}>", self._arrow("Up" if key == "Prior" else "Down", rows=_SHOWN_ROWS - 1))
        for sequence in ("<Return>", "<KP_Enter>"):
            f.bind(sequence, lambda _e: self._enter())
        window.bind("<Escape>", lambda _e: self._escape())
        self.canvas.bind("<Button-1>", self._clicked)
        for sequence in ("<MouseWheel>", "<Button-4>", "<Button-5>"):
            self.canvas.bind(sequence, self._wheel)
        self._query.set("")  # draws every emoji, recently used first (the trace filters)
        window.update_idletasks()  # its size, to open it above what asked for it
        x = near.winfo_rootx()
        y = max(0, near.winfo_rooty() - window.winfo_reqheight() - 8)
        window.geometry(f"+{x}+{y}")
        f.focus_force()  # a window of its own: it takes the keyboard the person opened it for

    def close(self) -> None:
        """Close without choosing; the keyboard goes back where it was."""
        window, self.window = self.window, None
        if window is None:
            return
        window.destroy()
        back = self._back_to
        self._back_to = None
        if back is not None and back.winfo_exists():
            # the picker's window had the keyboard: it goes back to ours (no window manager needed)
            back.focus_force()

    def filter(self, query: str) -> None:
        """The grid shows the emoji whose names match ``query``, the first one selected."""
        if self.window is None:
            return
        self.shown = emoji_catalog.search(query, self.recent)
        self._draw()
        self.select(0 if self.shown else -1)

    def select(self, index: int) -> None:
        self.selected = index
        c = self.canvas
        c.delete("selection")
        if index < 0:
            self.name_line.configure(text="No emoji has that name." if self._query.get().strip() else "")
            return
        x0, y0, x1, y1 = self._box(index)
        ring = c.create_rectangle(
            x0 + 1, y0 + 1, x1 - 1, y1 - 1, outline=self.palette.accent, width=2, tags="selection"
        )
        c.tag_lower(ring)
        self.name_line.configure(text=self.shown[index].name)
        total = max(1.0, float(self._rows() * self._cell()[1]))
        top, bottom = (float(v) * total for v in c.yview())
        if y0 < top:
            c.yview_moveto(y0 / total)
        elif y1 > bottom:
            c.yview_moveto((y1 - (bottom - top)) / total)

    def choose(self, index: int) -> None:
        """The emoji at ``index`` is chosen: remembered as recent, handed on, and the picker closes."""
        if not 0 <= index < len(self.shown):
            return
        char = self.shown[index].char
        self.recent = emoji_catalog.used(self.recent, char)
        chosen = self._chosen
        self.close()
        chosen(char)

    # ------------------------------------------------------------------ drawing

    def _cell(self) -> tuple[int, int]:
        line = int(self.fonts.body.metrics("linespace"))
        if self.fonts.text.emoji_fallback:
            return 220, line * 2 + _CELL_PAD
        return line + 2 * _CELL_PAD, line + _CELL_PAD

    def _rows(self) -> int:
        return (len(self.shown) + self.columns - 1) // self.columns

    def _box(self, index: int) -> tuple[int, int, int, int]:
        width, height = self._cell()
        row, column = divmod(index, self.columns)
        return column * width, row * height, (column + 1) * width, (row + 1) * height

    def _draw(self) -> None:
        c, show = self.canvas, self.fonts.text.show
        c.delete("all")
        width, _height = self._cell()
        for index, item in enumerate(self.shown):
            x0, y0, x1, y1 = self._box(index)
            c.create_text(
                (x0 + x1) / 2,
                (y0 + y1) / 2,
                text=show(item.char),
                width=width - 8,
                justify="center",
                font=self.fonts.body,
                fill=self.palette.text,
                tags=("cell", f"cell:{index}"),
            )
        c.configure(scrollregion=(0, 0, width * self.columns, self._rows() * self._cell()[1]))
        c.yview_moveto(0.0)

    # ------------------------------------------------------------------ keys and the mouse

    def _arrow(self, key: str, rows: int = 1) -> Callable[[tk.Event], str]:
        def pressed(_event: tk.Event) -> str:
            index = self.selected
            for _ in range(rows):
                index = emoji_catalog.step(index, key, len(self.shown), self.columns)
            self.select(index)
            return "break"

        return pressed

    def _enter(self) -> str:
        self.choose(self.selected)
        return "break"

    def _escape(self) -> str:
        self.close()
        return "break"

    def _clicked(self, event: tk.Event) -> None:
        x, y = self.canvas.canvasx(event.x), self.canvas.canvasy(event.y)
        width, height = self._cell()
        column, row = int(x // width), int(y // height)
        index = row * self.columns + column
        if 0 <= column < self.columns and 0 <= index < len(self.shown):
            self.choose(index)

    def _wheel(self, event: tk.Event) -> str:
        down = event.num == 5 or getattr(event, "delta", 0) < 0
        self.canvas.yview_scroll(3 if down else -3, "units")
        return "break"
