"""A contact's details: name, number, the safety number to compare, the verified switch, and export."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.wording import safety_number_rows
from gui.views.fields import default_button, paragraph
from net.client.core.events import ContactView


class ContactDetailsPane(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, style="Surface.TFrame", padding=(32, 20))
        self.contact: str | None = None
        self.on_back: Callable[[], None] = lambda: None
        self.on_verified: Callable[[bool], None] = lambda _v: None
        self.on_rename: Callable[[str], None] = lambda _n: None
        self.on_accept_key: Callable[[], None] = lambda: None
        self.on_export: Callable[[], None] = lambda: None

        ttk.Button(self, text="← Back to the conversation", command=lambda: self.on_back()).pack(anchor="w")
        self.name = ttk.Label(self, text="", style="Surface.Title.TLabel")
        self.name.pack(anchor="w", pady=(18, 0))
        self.phone = ttk.Label(self, text="", style="Surface.Muted.TLabel")
        self.phone.pack(anchor="w")

        rename = ttk.Frame(self, style="Surface.TFrame")
        rename.pack(anchor="w", pady=(14, 0))
        ttk.Label(rename, text="Name in your contacts", style="Surface.TLabel").pack(side="left")
        self.rename_var = tk.StringVar(self)
        self.rename_entry = ttk.Entry(rename, textvariable=self.rename_var, width=26)
        self.rename_entry.pack(side="left", padx=8)
        self.save_button = ttk.Button(
            rename, text="Save", command=lambda: self.on_rename(self.rename_var.get())
        )
        self.save_button.pack(side="left")
        # Enter saves the name; Escape puts back the one saved (a second Escape leaves the details).
        default_button(self.save_button, self.rename_entry)
        self.rename_entry.bind("<Escape>", self._cancel_rename)
        self._saved_name = ""
        self.export_button = ttk.Button(
            self, text="Export this conversation…", command=lambda: self.on_export()
        )
        self.export_button.pack(anchor="w", pady=(10, 0))

        ttk.Separator(self).pack(fill="x", pady=18)
        ttk.Label(self, text="Safety number", style="Surface.Heading.TLabel").pack(anchor="w")
        paragraph(
            self,
            "Compare these 60 digits with the ones on the other person's screen, in person or on a call. "
            "If they match, nobody is intercepting your conversation.",
            area="Surface",
            muted=True,
            width=560,
        ).pack(anchor="w", pady=(4, 12))
        self.digits = ttk.Label(self, text="", style="Surface.Digits.TLabel", justify="left")
        self.digits.pack(anchor="w", padx=(8, 0))
        self.verified_var = tk.BooleanVar(self, value=False)
        self.verified = ttk.Checkbutton(
            self,
            text="Marked as verified — the numbers match",
            variable=self.verified_var,
            style="Surface.TCheckbutton",
            command=lambda: self.on_verified(self.verified_var.get()),
        )
        self.verified.pack(anchor="w", pady=(16, 0))
        self.changed = ttk.Frame(self, style="Warning.TFrame", padding=12)
        self.changed_text = ttk.Label(
            self.changed, text="", style="Warning.TLabel", wraplength=560, justify="left"
        )
        self.changed_text.pack(anchor="w")
        self.changed_button = ttk.Button(
            self.changed, text="I understand — continue", command=lambda: self.on_accept_key()
        )
        self.changed_button.pack(anchor="w", pady=(8, 0))
        self.bind("<Escape>", lambda _e: self.on_back())

    def show(self, contact: ContactView, safety_number: str, previous_number: str | None = None) -> None:
        self.contact = contact.phone
        self.name.configure(text=contact.name or contact.phone)
        self.phone.configure(text=contact.phone)
        self.rename_var.set(contact.name)
        self._saved_name = contact.name
        self.digits.configure(text="\n".join(safety_number_rows(safety_number)))
        self.verified_var.set(contact.verified)
        if contact.key_changed:
            who = contact.name or contact.phone
            note = (
                f"{who}'s safety number changed recently. "
                f"Compare the number above with {who} before you mark it verified."
            )
            if previous_number:
                note += "\nThe number before the change was:\n" + "\n".join(
                    safety_number_rows(previous_number)
                )
            self.changed_text.configure(text=note)
            self.changed.pack(anchor="w", fill="x", pady=(16, 0))
        else:
            self.changed.pack_forget()

    def _cancel_rename(self, _event: tk.Event) -> str | None:
        if self.rename_var.get() == self._saved_name:
            return None  # nothing to undo: Escape goes on to step back out of the details
        self.rename_var.set(self._saved_name)
        self.rename_entry.icursor("end")
        return "break"
