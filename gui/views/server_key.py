"""The server's identity: accept it on first contact, or stop at a warning when it changed."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.wording import fingerprint_text
from gui.views.fields import BusyBar, card, paragraph


class ServerKeyView(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master)
        self.on_accept: Callable[[str], None] = lambda _fp: None
        self.on_cancel: Callable[[], None] = lambda: None
        self._fingerprint = ""
        self.box = card(self, padding=32)
        self.title = ttk.Label(self.box, text="", style="Card.Title.TLabel")
        self.title.pack(anchor="w")
        self.intro = paragraph(self.box, "", width=560)
        self.intro.pack(anchor="w", pady=(10, 14))
        self.prints = ttk.Frame(self.box, style="Card.TFrame")
        self.prints.pack(anchor="w", fill="x")
        self.advice = paragraph(self.box, "", muted=True, width=560)
        self.advice.pack(anchor="w", pady=(14, 18))
        buttons = ttk.Frame(self.box, style="Card.TFrame")
        buttons.pack(anchor="w")
        self.accept_button = ttk.Button(buttons, text="", command=lambda: self.on_accept(self._fingerprint))
        self.cancel_button = ttk.Button(buttons, text="", command=lambda: self.on_cancel())
        self.accept_button.pack(side="left")
        self.cancel_button.pack(side="left", padx=(10, 0))
        self.busy = BusyBar(self.box)
        self.busy.pack(fill="x", pady=(14, 0))
        self.error = ttk.Label(self.box, text="", style="Card.Error.TLabel", wraplength=560, justify="left")
        self.error.pack(anchor="w", pady=(8, 0))
        self.bind("<Escape>", lambda _e: self.on_cancel())

    def show_error(self, text: str) -> None:
        self.error.configure(text=text)

    def set_busy(self, text: str | None) -> None:
        state = "disabled" if text else "normal"
        self.accept_button.configure(state=state)
        self.cancel_button.configure(state=state)
        if text:
            self.busy.show(text)
        else:
            self.busy.hide()

    def _show_prints(self, rows: list[tuple[str, str]]) -> None:
        for child in self.prints.winfo_children():
            child.destroy()
        for label, fingerprint in rows:
            ttk.Label(self.prints, text=label, style="Card.Muted.TLabel").pack(anchor="w")
            ttk.Label(self.prints, text=fingerprint_text(fingerprint), style="Card.Digits.TLabel").pack(
                anchor="w", pady=(2, 10)
            )

    def first_contact(self, address: str, fingerprint: str, *, matches_local: bool) -> None:
        self._fingerprint = fingerprint
        self.error.configure(text="")
        self.title.configure(text="Is this the right server?")
        self.intro.configure(
            text=f"This is the first time this profile connects to {address}. "
            "Servers prove who they are with a key; this is its fingerprint:"
        )
        self._show_prints([("Server fingerprint", fingerprint)])
        advice = (
            "✓ It is the local server that Parley started on this computer, so you can trust it."
            if matches_local
            else "If you run the server, compare this with the fingerprint it printed when it started. "
            "If someone else runs it, ask them. Parley remembers the key and warns you if it ever changes."
        )
        self.advice.configure(text=advice)
        self.accept_button.configure(text="Trust this server", style="Accent.TButton")
        self.cancel_button.configure(text="Cancel", style="TButton")
        self.accept_button.focus_set()

    def changed(self, address: str, pinned: str, presented: str) -> None:
        self._fingerprint = presented
        self.error.configure(text="")
        self.title.configure(text="Warning: the server's identity changed")
        self.intro.configure(
            text=f"The server at {address} shows a different key from the one Parley remembered. "
            "Nothing was sent to it."
        )
        self._show_prints([("Remembered fingerprint", pinned), ("Fingerprint presented now", presented)])
        self.advice.configure(
            text="This happens when a server is reinstalled or its keys are replaced. It can also mean that "
            "someone is intercepting your connection. Continue only if the server's operator confirms "
            "the new fingerprint."
        )
        self.accept_button.configure(text="Trust the new key", style="Danger.TButton")
        self.cancel_button.configure(text="Stop — don't connect", style="Accent.TButton")
        self.cancel_button.focus_set()
