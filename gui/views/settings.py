"""Settings: the theme, the profile picture, privacy and notifications, linked devices, blocked numbers,
the server, the passphrase, the registration lock, backup and export, and the way out.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.forms import ChangePassphraseForm
from gui.views.blocked_settings import BlockedSection
from gui.views.devices_settings import DevicesSection
from gui.views.fields import FormField, default_button, paragraph
from gui.views.flow import FlowRow
from gui.views.privacy_settings import PrivacySection
from gui.views.profile_picture import ProfilePictureSection
from gui.views.scrolling import ScrollingBody
from gui.views.server_settings import ServerSection


class SettingsPane(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, style="Surface.TFrame")
        # The pane is taller than a small window: its content scrolls (and Tab scrolls to the focus).
        self.scroller = ScrollingBody(self, style="Surface.TFrame", padding=(32, 20))
        self.scroller.pack(fill="both", expand=True)
        body = self.scroller.body
        self.on_back: Callable[[], None] = lambda: None
        self.on_theme: Callable[[str], None] = lambda _name: None
        self.on_change_passphrase: Callable[[ChangePassphraseForm], None] = lambda _f: None
        self.on_lock: Callable[[], None] = lambda: None
        self.on_logout: Callable[[], None] = lambda: None
        self.on_delete: Callable[[], None] = lambda: None
        self.on_registration_lock: Callable[[str | None], None] = lambda _lock: None
        self.on_backup: Callable[[], None] = lambda: None
        self.on_export: Callable[[], None] = lambda: None

        ttk.Button(body, text="← Back", command=lambda: self.on_back()).pack(anchor="w")
        ttk.Label(body, text="Settings", style="Surface.Title.TLabel").pack(anchor="w", pady=(14, 10))

        ttk.Label(body, text="Appearance", style="Surface.Heading.TLabel").pack(anchor="w")
        self.theme_var = tk.StringVar(self, "light")
        themes = ttk.Frame(body, style="Surface.TFrame")
        themes.pack(anchor="w", pady=(4, 14))
        self.theme_buttons: dict[str, ttk.Radiobutton] = {}
        for value, label in (("light", "Light"), ("dark", "Dark")):
            button = ttk.Radiobutton(
                themes,
                text=label,
                value=value,
                variable=self.theme_var,
                style="Surface.TRadiobutton",
                command=lambda: self.on_theme(self.theme_var.get()),
            )
            button.pack(side="left", padx=(0, 18))
            self.theme_buttons[value] = button
        self.picture = ProfilePictureSection(body)  # ours, as contacts see it: Choose…, Remove
        self.picture.pack(anchor="w", fill="x", pady=(0, 14))
        self.privacy = PrivacySection(body)  # read receipts, typing notices, notifications
        self.privacy.pack(anchor="w", fill="x", pady=(0, 14))
        self.blocked = BlockedSection(body)  # each blocked number, with Unblock
        self.devices = DevicesSection(body)  # the account's computers: Unlink, Rename, Link a new computer
        self.devices.pack(anchor="w", fill="x", pady=(0, 14))

        # One row near the top: the pane is taller than a small window, and these are what people look for.
        ttk.Label(body, text="Backup and export", style="Surface.Heading.TLabel").pack(anchor="w")
        keep = FlowRow(body, style="Surface.TFrame")
        keep.pack(anchor="w", fill="x", pady=(6, 14))
        self.backup_button = ttk.Button(keep, text="Back up this profile…", command=lambda: self.on_backup())
        self.export_button = ttk.Button(keep, text="Export conversations…", command=lambda: self.on_export())
        keep.flow()

        self.server = ServerSection(body)  # where this profile connects; change it there
        self.server.pack(anchor="w", fill="x", pady=(0, 14))

        ttk.Label(body, text="Change passphrase", style="Surface.Heading.TLabel").pack(anchor="w")
        form = ttk.Frame(body, style="Surface.TFrame")
        form.pack(anchor="w", pady=(4, 0))
        self.old = FormField(form, "Current passphrase", area="Surface", show="•")
        self.new = FormField(form, "New passphrase (10 characters or more)", area="Surface", show="•")
        self.repeat = FormField(form, "The new passphrase again", area="Surface", show="•")
        for index, field in enumerate((self.old, self.new, self.repeat)):
            field.grid(row=index, column=0, sticky="nw")
        row = ttk.Frame(body, style="Surface.TFrame")
        row.pack(anchor="w")
        self.change_button = ttk.Button(row, text="Change passphrase", command=self._change)
        self.change_button.pack(side="left")
        default_button(self.change_button, self.old.entry, self.new.entry, self.repeat.entry)
        self.passphrase_note = ttk.Label(row, text="", style="Surface.Ok.TLabel")
        self.passphrase_note.pack(side="left", padx=12)

        ttk.Separator(body).pack(fill="x", pady=16)
        ttk.Label(body, text="Registration lock", style="Surface.Heading.TLabel").pack(anchor="w")
        paragraph(
            body,
            "With a registration lock, a code sent to your e-mail is not enough to register your number "
            "on another device while you use Parley: the lock's passphrase is needed too. It lapses after "
            "7 days without Parley online.",
            area="Surface",
            muted=True,
            width=640,
        ).pack(anchor="w")
        self.lock_field = FormField(
            body, "Registration lock passphrase (6 characters or more)", area="Surface", show="•"
        )
        self.lock_field.pack(anchor="w", pady=(4, 0))
        lock_row = FlowRow(body, style="Surface.TFrame")
        lock_row.pack(anchor="w", fill="x")
        self.lock_button = ttk.Button(lock_row, text="Set the lock", command=self._set_lock)
        default_button(self.lock_button, self.lock_field.entry)
        ttk.Button(lock_row, text="Remove the lock", command=lambda: self._lock_changed_by(None))
        self.lock_note = ttk.Label(lock_row, text="", style="Surface.Ok.TLabel")
        lock_row.flow()

        ttk.Separator(body).pack(fill="x", pady=16)
        ttk.Label(body, text="This profile", style="Surface.Heading.TLabel").pack(anchor="w")
        actions = FlowRow(body, style="Surface.TFrame")
        actions.pack(anchor="w", fill="x", pady=(8, 4))
        ttk.Button(actions, text="Lock Parley", command=lambda: self.on_lock())
        ttk.Button(actions, text="Log out", command=lambda: self.on_logout())
        ttk.Button(actions, text="Delete my account…", style="Danger.TButton", command=self._ask_delete)
        actions.flow()
        paragraph(
            body,
            "Lock closes the profile until you enter the passphrase again. Log out goes offline "
            "but keeps your account. Deleting the account removes it from the server; your messages "
            "stay on this computer.",
            area="Surface",
            muted=True,
            width=640,
        ).pack(anchor="w")
        self.confirm = ttk.Frame(body, style="Warning.TFrame", padding=12)
        ttk.Label(
            self.confirm,
            text="Delete your account on the server? People can no longer reach you, and "
            "the server forgets your keys. This cannot be undone.",
            style="Warning.TLabel",
            wraplength=600,
        ).pack(anchor="w")
        buttons = ttk.Frame(self.confirm, style="Warning.TFrame")
        buttons.pack(anchor="w", pady=(8, 0))
        self.delete_button = ttk.Button(
            buttons, text="Delete my account", style="Danger.TButton", command=self._delete
        )
        self.delete_button.pack(side="left")
        ttk.Button(buttons, text="Keep it", command=lambda: self.confirm.pack_forget()).pack(
            side="left", padx=8
        )
        self.error = ttk.Label(body, text="", style="Surface.Error.TLabel", wraplength=640)
        self.error.pack(anchor="w", pady=(8, 0))
        self.bind("<Escape>", lambda _e: self.on_back())

    def reset(self, theme: str) -> None:
        self.theme_var.set(theme)
        for field in (self.old, self.new, self.repeat):
            field.set("")
            field.error("")
        self.passphrase_note.configure(text="")
        self.lock_field.set("")
        self.lock_field.error("")
        self.lock_note.configure(text="")
        self.error.configure(text="")
        self.confirm.pack_forget()
        self.scroller.scroll_to_top()

    def registration_lock_changed(self, on: bool) -> None:
        self.lock_field.set("")
        self.lock_field.error("")
        self.lock_note.configure(text="✓ Registration lock set" if on else "✓ Registration lock removed")

    def _set_lock(self) -> None:
        lock = self.lock_field.value
        if len(lock) < 6:
            self.lock_field.error("Use at least 6 characters for the registration lock.")
            return
        self._lock_changed_by(lock)

    def _lock_changed_by(self, lock: str | None) -> None:
        self.lock_note.configure(text="")
        self.lock_field.error("")
        self.on_registration_lock(lock)

    def passphrase_changed(self) -> None:
        for field in (self.old, self.new, self.repeat):
            field.set("")
        self.passphrase_note.configure(text="✓ Passphrase changed")

    def show_form_errors(self, errors: dict[str, str]) -> None:
        for key, field in (("old", self.old), ("new", self.new), ("repeat", self.repeat)):
            field.error(errors.get(key, ""))

    def show_error(self, text: str) -> None:
        self.error.configure(text=text)

    def _change(self) -> None:
        self.passphrase_note.configure(text="")
        self.on_change_passphrase(ChangePassphraseForm(self.old.value, self.new.value, self.repeat.value))

    def _ask_delete(self) -> None:
        self.confirm.pack(anchor="w", fill="x", pady=(8, 0), before=self.error)

    def _delete(self) -> None:
        self.confirm.pack_forget()
        self.on_delete()
