"""Small building blocks shared by the screens: a labelled entry with its error line, a busy bar, a card.

Nothing moves when a hint or an error appears: a field's note line is always
there (an empty label is one line tall) and it wraps at the field's own width,
so a long sentence never widens the field or the card around it.
A card that does not fit the window scrolls (:class:`ScrollingCard`).
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk


class FormField(ttk.Frame):
    """A label, an entry, and a line under it for what is wrong (or a hint)."""

    def __init__(
        self, master: tk.Misc, label: str, *, area: str = "Card", show: str = "", width: int = 30
    ) -> None:
        super().__init__(master, style=f"{area}.TFrame")
        self.area = area
        self.var = tk.StringVar(self)
        # The label, like the note below, wraps at the field's width instead of widening (or being cut).
        self.label = ttk.Label(
            self, text=label, style=f"{area}.TLabel", wraplength=360, justify="left", width=1
        )
        self.label.pack(anchor="w", fill="x")
        self.entry = ttk.Entry(self, textvariable=self.var, show=show, width=width)
        self.entry.pack(fill="x", pady=(3, 0))
        # width=1: the note asks for no width of its own; it wraps at whatever width the field has.
        self.note = ttk.Label(
            self, text="", style=f"{area}.Error.TLabel", wraplength=360, justify="left", width=1
        )
        self.note.pack(anchor="w", fill="x", pady=(2, 6))
        self.bind("<Configure>", lambda e: self._wrap(max(e.width, 120)))

    def _wrap(self, width: int) -> None:
        self.label.configure(wraplength=width)
        self.note.configure(wraplength=width)

    @property
    def value(self) -> str:
        return self.var.get()

    def set(self, text: str) -> None:
        self.var.set(text)

    def error(self, text: str) -> None:
        self.note.configure(text=text, style=f"{self.area}.Error.TLabel")

    def hint(self, text: str, *, good: bool = False) -> None:
        self.note.configure(text=text, style=f"{self.area}.{'Ok' if good else 'Muted'}.TLabel")


class BusyBar(ttk.Frame):
    """An indeterminate progress bar with a sentence, shown while the worker does something slow."""

    def __init__(self, master: tk.Misc, *, area: str = "Card") -> None:
        super().__init__(master, style=f"{area}.TFrame")
        self.label = ttk.Label(self, text="", style=f"{area}.Muted.TLabel")
        self.bar = ttk.Progressbar(self, mode="indeterminate", length=160)
        self.label.pack(side="left")
        self._shown = False

    def show(self, text: str) -> None:
        self.label.configure(text=text)
        if not self._shown:
            self.bar.pack(side="right", padx=(10, 0))
            self.bar.start(15)
            self._shown = True

    def hide(self) -> None:
        self.label.configure(text="")
        if self._shown:
            self.bar.stop()
            self.bar.pack_forget()
            self._shown = False

    @property
    def shown(self) -> bool:
        return self._shown

    def destroy(self) -> None:
        # A running bar has an ``after`` of Tk's own: stopped first, it cannot fire on a gone widget.
        if self._shown:
            self.bar.stop()
        super().destroy()


class ScrollingCard(tk.Canvas):
    """The window's background with a card centred on it, which scrolls when the window is too small.

    The card is a window item of the canvas: centred while it fits; otherwise kept at the
    edge, with a scroll bar (and the mouse wheel) for the rest. A field that takes the
    focus out of view is scrolled into view, so Tab never loses the cursor.
    """

    def __init__(self, master: tk.Misc, *, padding: int = 28) -> None:
        super().__init__(master, highlightthickness=0, borderwidth=0)
        self.card = ttk.Frame(self, style="Card.TFrame", padding=padding)
        self._item = self.create_window(0, 0, window=self.card, anchor="nw")
        self.scrollbar = ttk.Scrollbar(master, orient="vertical", command=self.yview)
        self.configure(yscrollcommand=self.scrollbar.set)
        self.place(relx=0, rely=0, relwidth=1, relheight=1)
        self.bind("<Configure>", lambda _e: self._fit())
        self.card.bind("<Configure>", lambda _e: self._fit())
        self.bind("<<ThemeChanged>>", lambda _e: self._restyle())
        self.bind_all("<FocusIn>", self._focus_moved, add="+")
        for sequence in ("<MouseWheel>", "<Button-4>", "<Button-5>"):
            self.bind(sequence, self._wheel)
            self.card.bind(sequence, self._wheel)
        self._restyle()

    @property
    def scrolls(self) -> bool:
        """Whether the card is taller than the window (and so the scroll bar is shown)."""
        return bool(self.scrollbar.winfo_manager())

    def _restyle(self) -> None:
        self.configure(background=ttk.Style(self).lookup("TFrame", "background") or "#f3f4f6")

    def _fit(self) -> None:
        width, height = self.winfo_width(), self.winfo_height()
        card_w, card_h = self.card.winfo_reqwidth(), self.card.winfo_reqheight()
        self.coords(self._item, max(0, (width - card_w) // 2), max(0, (height - card_h) // 2))
        self.configure(scrollregion=(0, 0, max(width, card_w), max(height, card_h)))
        if card_h > height > 1:
            self.scrollbar.place(relx=1, rely=0, relheight=1, anchor="ne")
            self.scrollbar.lift()
        else:
            self.scrollbar.place_forget()
            self.yview_moveto(0)

    def _wheel(self, event: tk.Event) -> None:
        if self.scrolls:
            up = event.num == 4 or getattr(event, "delta", 0) > 0
            self.yview_scroll(-3 if up else 3, "units")

    def _focus_moved(self, event: tk.Event) -> None:
        widget = event.widget
        if not self.scrolls or not isinstance(widget, tk.Misc) or not str(widget).startswith(str(self.card)):
            return
        top = widget.winfo_rooty() - self.card.winfo_rooty()
        bottom = top + widget.winfo_height()
        shown_top = self.canvasy(0)
        shown_bottom = shown_top + self.winfo_height()
        total = max(self.card.winfo_reqheight(), 1)
        if top < shown_top:
            self.yview_moveto(max(0, top - 20) / total)
        elif bottom > shown_bottom:
            self.yview_moveto(max(0, bottom + 20 - self.winfo_height()) / total)


def card(master: tk.Misc, *, padding: int = 28) -> ttk.Frame:
    """A card centred on the window's background, for the screens before the main window; it scrolls."""
    return ScrollingCard(master, padding=padding).card


def default_button(button: ttk.Button, *entries: ttk.Entry) -> None:
    """Make ``button`` its form's default: drawn as such, and pressed by Enter in each of ``entries``."""
    button.configure(default="active")
    for entry in entries:
        for sequence in ("<Return>", "<KP_Enter>"):
            entry.bind(sequence, lambda _e: (button.invoke(), "break")[1])


def paragraph(
    master: tk.Misc, text: str, *, area: str = "Card", muted: bool = False, width: int = 520
) -> ttk.Label:
    style = f"{area}.Muted.TLabel" if muted else f"{area}.TLabel"
    return ttk.Label(master, text=text, style=style, wraplength=width, justify="left")
