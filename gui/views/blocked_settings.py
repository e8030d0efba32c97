"""The Settings section "Blocked numbers": each blocked number with an Unblock button, and what was dropped.

A number is blocked from its message request (or the engine); this is where it
is unblocked. Every row's button is in the Tab order, and Enter or Space on it
unblocks; the focus then goes to the next row's button (or the one before), so
a keyboard user stays in the list.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.requests_model import blocked_line, blocked_summary
from gui.views.fields import paragraph
from net.client.core.events import ContactView


class BlockedSection(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, style="Surface.TFrame")
        # Placed where it is made, so that Settings adds the section in one line.
        self.pack(anchor="w", fill="x", pady=(0, 14))
        #: The person pressed Unblock for this number.
        self.on_unblock: Callable[[str], None] = lambda _phone: None
        ttk.Label(self, text="Blocked numbers", style="Surface.Heading.TLabel").pack(anchor="w")
        self.summary = paragraph(self, blocked_summary(0, 0), area="Surface", muted=True, width=640)
        self.summary.pack(anchor="w", pady=(2, 4))
        self.rows = ttk.Frame(self, style="Surface.TFrame")
        self.rows.pack(anchor="w", fill="x")
        #: phone -> its Unblock button, in the order shown
        self.buttons: dict[str, ttk.Button] = {}
        #: Where the focus goes after an unblock: the row it was on, once the list is drawn again.
        self._focus_row: int | None = None

    def show(self, blocked: list[ContactView], dropped: int) -> None:
        self.summary.configure(text=blocked_summary(len(blocked), dropped))
        for child in self.rows.winfo_children():
            child.destroy()
        self.buttons = {}
        for contact in blocked:
            row = ttk.Frame(self.rows, style="Surface.TFrame")
            row.pack(anchor="w", fill="x", pady=2)
            button = ttk.Button(row, text="Unblock", command=self._unblocker(contact.phone))
            button.pack(side="left")
            ttk.Label(row, text=blocked_line(contact), style="Surface.TLabel").pack(side="left", padx=(12, 0))
            self.buttons[contact.phone] = button
        if self._focus_row is not None and self.buttons:
            buttons = list(self.buttons.values())
            buttons[min(self._focus_row, len(buttons) - 1)].focus_set()
        self._focus_row = None

    def shown(self) -> list[str]:
        """The lines shown, in order (for tests and tools)."""
        return [
            str(label.cget("text"))
            for row in self.rows.winfo_children()
            for label in row.winfo_children()
            if isinstance(label, ttk.Label)
        ]

    def _unblocker(self, phone: str) -> Callable[[], None]:
        return lambda: self._unblock(phone)

    def _unblock(self, phone: str) -> None:
        phones = list(self.buttons)
        if phone in phones and self.focus_get() is self.buttons[phone]:
            self._focus_row = phones.index(phone)
        self.on_unblock(phone)
