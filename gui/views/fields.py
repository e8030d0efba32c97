"""Small building blocks shared by the screens: a labelled entry with its error line, a busy bar."""

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
        ttk.Label(self, text=label, style=f"{area}.TLabel").pack(anchor="w")
        self.entry = ttk.Entry(self, textvariable=self.var, show=show, width=width)
        self.entry.pack(fill="x", pady=(3, 0))
        self.note = ttk.Label(self, text="", style=f"{area}.Error.TLabel", wraplength=360, justify="left")
        self.note.pack(anchor="w", pady=(2, 6))

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


def card(master: tk.Misc, *, padding: int = 28) -> ttk.Frame:
    """A white card centred on the window's background, for the screens before the main window."""
    frame = ttk.Frame(master, style="Card.TFrame", padding=padding)
    frame.place(relx=0.5, rely=0.5, anchor="center")
    return frame


def paragraph(
    master: tk.Misc, text: str, *, area: str = "Card", muted: bool = False, width: int = 520
) -> ttk.Label:
    style = f"{area}.Muted.TLabel" if muted else f"{area}.TLabel"
    return ttk.Label(master, text=text, style=style, wraplength=width, justify="left")
