"""The bar above the composer while it answers a message: "Replying to Bob: …" or "Editing", with ×.

While the bar is open, Enter in the composer hands its text to ``on_answer`` with the message and
what is done to it ("reply" or "edit") instead of sending a new text; × or Escape closes the bar.
An edit brought the message's text into the field; closing the bar gives back what was typed
before.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from net.client.core.events import MessageView


class AnswerBar(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, style="Surface.TFrame", padding=(0, 0, 0, 6))
        #: "reply" or "edit" while open, "" while closed.
        self.mode = ""
        #: The message answered, while open.
        self.message: MessageView | None = None
        #: The field's text before an edit brought the message's into it.
        self.draft = ""
        #: The bar closed: what it was doing and the draft to give back (the composer lays itself out).
        self.on_closed: Callable[[str, str], None] = lambda _mode, _draft: None
        self.label = ttk.Label(self, text="", style="Surface.Muted.TLabel", width=1)
        self.label.pack(side="left", fill="x", expand=True)
        self.close_button = ttk.Button(self, text="×", width=2, command=self.close)
        self.close_button.pack(side="right", padx=(8, 0))
        self.label.bind("<Configure>", lambda e: self.label.configure(wraplength=max(e.width - 8, 100)))

    @property
    def words(self) -> str:
        return str(self.label.cget("text"))

    def open(self, mode: str, message: MessageView, words: str, draft: str = "") -> None:
        self.mode, self.message, self.draft = mode, message, draft
        self.label.configure(text=words)

    def close(self) -> None:
        if self.mode:
            mode, draft = self.mode, self.draft
            self.mode, self.message, self.draft = "", None, ""
            self.on_closed(mode, draft)
