"""Settings, "Server": where this profile connects, the key it pinned there, and a way to change it.

The address typed is checked apart from the widgets (:func:`gui.view_models.forms.parse_server_address`);
a server with a key this profile never pinned asks the pinning question, one whose key it pinned
at another address is trusted at the new one without asking (pins are by key, per profile).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.wording import fingerprint_text
from gui.views.fields import FormField


class ServerSection(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, style="Surface.TFrame")
        #: The person asked to use this address (as typed; the controller checks it).
        self.on_change: Callable[[str], None] = lambda _address: None
        ttk.Label(self, text="Server", style="Surface.Heading.TLabel").pack(anchor="w")
        self.address = ttk.Label(self, text="", style="Surface.TLabel")
        self.address.pack(anchor="w", pady=(4, 0))
        self.fingerprint = ttk.Label(self, text="", style="Surface.Muted.TLabel", justify="left")
        self.fingerprint.pack(anchor="w", pady=(2, 6))
        row = ttk.Frame(self, style="Surface.TFrame")
        row.pack(anchor="w", fill="x")
        self.field = FormField(row, "Another server (host:port)", area="Surface", width=16)
        self.change_button = ttk.Button(row, text="Use this server", command=self._change)
        # Packed first, the button keeps its width and the field takes what is left, so both fit a
        # narrow pane; made second, it still comes after the field in the Tab order.
        self.change_button.pack(side="right", padx=(10, 0), anchor="n", pady=(20, 0))
        self.field.pack(side="left", fill="x", expand=True)
        self.field.entry.bind("<Return>", lambda _e: self._change())

    def show(self, address: str | None, fingerprint: str | None) -> None:
        self.address.configure(text=f"This profile connects to {address}." if address else "No server yet.")
        self.fingerprint.configure(
            text="Its key fingerprint:\n" + fingerprint_text(fingerprint)
            if fingerprint
            else "Parley has not pinned this server's key yet."
        )
        self.field.set("")
        self.field.error("")

    def show_error(self, text: str) -> None:
        self.field.error(text)

    def _change(self) -> None:
        self.field.error("")
        self.on_change(self.field.value)
