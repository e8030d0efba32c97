"""A message's details in a small window of their own: times, receipts per member, reactions, earlier texts.

Not modal, as the requests window is not: the main window keeps working (and receiving) while it
is open. Escape or Close closes it. What it says is :func:`gui.view_models.details_text.details_sections`'.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.views.theme import Palette


class MessageDetailsDialog(tk.Toplevel):
    def __init__(
        self,
        master: tk.Misc,
        palette: Palette,
        sections: list[tuple[str, list[str]]],
        show: Callable[[str], str] = lambda line: line,
    ) -> None:
        """``show`` prepares a line for drawing as bubbles do (emoji by name where no font has them)."""
        super().__init__(master)
        self.title("Message details")
        self.configure(background=palette.surface)
        self.transient(master.winfo_toplevel())
        body = ttk.Frame(self, style="Surface.TFrame", padding=16)
        body.pack(fill="both", expand=True)
        #: The words shown, as (heading, lines): for tests and tools.
        self.sections = sections
        for heading, lines in sections:
            ttk.Label(body, text=heading, style="Surface.TLabel", font="ParleyBold").pack(
                anchor="w", pady=(6, 2)
            )
            for line in lines:
                ttk.Label(body, text=show(line), style="Surface.TLabel", wraplength=440, justify="left").pack(
                    anchor="w", padx=(10, 0)
                )
        self.close_button = ttk.Button(body, text="Close", command=self.destroy)
        self.close_button.pack(anchor="e", pady=(12, 0))
        self.bind("<Escape>", lambda _e: self.destroy())
        self.close_button.focus_set()
