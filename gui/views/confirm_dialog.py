"""A question before something that cannot be undone: the deed's button, and Cancel with the keyboard.

Not modal, as the details window is not: the main window keeps working (and receiving) while it
is open. Cancel has the keyboard when it opens, so an Enter pressed once too often does nothing
it cannot take back; Tab reaches the deed's button, Escape (or closing the window) cancels.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.views.theme import Palette


class ConfirmDialog(tk.Toplevel):
    def __init__(
        self,
        master: tk.Misc,
        palette: Palette,
        *,
        title: str,
        words: str,
        deed: str,
        on_confirm: Callable[[], None],
    ) -> None:
        super().__init__(master)
        self.title(title)
        self.configure(background=palette.surface)
        self.transient(master.winfo_toplevel())
        self._on_confirm = on_confirm
        body = ttk.Frame(self, style="Surface.TFrame", padding=16)
        body.pack(fill="both", expand=True)
        #: The question, as the person reads it (for tests and tools).
        self.words = words
        ttk.Label(body, text=words, style="Surface.TLabel", wraplength=400, justify="left").pack(
            anchor="w", pady=(0, 12)
        )
        buttons = ttk.Frame(body, style="Surface.TFrame")
        buttons.pack(anchor="e")
        self.cancel_button = ttk.Button(buttons, text="Cancel", command=self.destroy)
        self.confirm_button = ttk.Button(buttons, text=deed, style="Accent.TButton", command=self._confirmed)
        self.cancel_button.pack(side="left", padx=(0, 8))
        self.confirm_button.pack(side="left")
        self.bind("<Escape>", lambda _e: self.destroy())
        self.cancel_button.focus_set()

    def _confirmed(self) -> None:
        self.destroy()
        self._on_confirm()
