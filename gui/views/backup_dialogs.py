"""The three dialogs of backup, restore and export, each a :class:`ProgressDialog` with its own fields.

They know nothing of the engine or of file choosers: "Choose…" calls
``on_choose`` and the controller fills the path in; the default button hands a
form (:mod:`gui.view_models.backup_model`) to ``on_form``.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.backup_model import (
    BACKUP_NOTE,
    EXPORT_WARNING,
    RESTORE_NOTE,
    BackupForm,
    ExportForm,
    RestoreForm,
)
from gui.views.fields import FormField
from gui.views.progress_dialog import WIDTH, ProgressDialog


class _PathDialog(ProgressDialog):
    """A dialog whose first field is a path with a "Choose…" button beside it."""

    def __init__(self, master: tk.Misc, title: str, *, action: str, background: str, path_label: str):
        super().__init__(master, title, action=action, background=background)
        self.on_choose: Callable[[], None] = lambda: None
        row = ttk.Frame(self.body, style="Card.TFrame")
        row.pack(fill="x")
        self.path = self.field(path_label, parent=row)
        self.path.pack(side="left", fill="x", expand=True)
        self.choose_button = ttk.Button(row, text="Choose…", command=lambda: self.on_choose())
        self.choose_button.pack(side="left", anchor="n", padx=(8, 0), pady=(20, 0))
        self.add_input(self.choose_button)


class BackupDialog(_PathDialog):
    def __init__(self, master: tk.Misc, *, background: str, default_path: str) -> None:
        super().__init__(
            master, "Back up this profile", action="Back up", background=background, path_label="Save as"
        )
        self.on_form: Callable[[BackupForm], None] = lambda _f: None
        self.path.set(default_path)
        self.note(BACKUP_NOTE)
        self.passphrase = self.field("Backup passphrase (10 characters or more)", show="•")
        self.passphrase.pack(fill="x")
        self.repeat = self.field("The same passphrase again", show="•")
        self.repeat.pack(fill="x")
        self.on_submit = lambda: self.on_form(
            BackupForm(self.path.value, self.passphrase.value, self.repeat.value)
        )

    def show_form_errors(self, errors: dict[str, str]) -> None:
        self.show_errors(errors, {"path": self.path, "passphrase": self.passphrase, "repeat": self.repeat})

    def finished(self, text: str) -> None:
        for field in (self.passphrase, self.repeat):
            field.set("")
        super().finished(text)


class RestoreDialog(_PathDialog):
    def __init__(self, master: tk.Misc, *, background: str) -> None:
        super().__init__(
            master, "Restore from a backup", action="Restore", background=background, path_label="Backup file"
        )
        self.on_form: Callable[[RestoreForm], None] = lambda _f: None
        # Two columns, so that five fields, the note and the progress fit an 800×600 screen.
        pairs = ttk.Frame(self.body, style="Card.TFrame")
        pairs.pack(fill="x")
        pairs.columnconfigure((0, 1), weight=1, uniform="half")
        self.backup_passphrase = self.field("The backup's passphrase", show="•", parent=pairs, width=22)
        self.label = self.field("Name on this computer", parent=pairs, width=22)
        self.passphrase = self.field("New passphrase (10+ characters)", show="•", parent=pairs, width=22)
        self.repeat = self.field("The new passphrase again", show="•", parent=pairs, width=22)
        for index, field in enumerate((self.backup_passphrase, self.label, self.passphrase, self.repeat)):
            field.grid(row=index // 2, column=index % 2, sticky="ew", padx=(0, 12) if index % 2 == 0 else 0)
        self.heal_note = self.note(RESTORE_NOTE)
        self.on_submit = lambda: self.on_form(
            RestoreForm(
                self.path.value,
                self.backup_passphrase.value,
                self.label.value,
                self.passphrase.value,
                self.repeat.value,
            )
        )

    @property
    def fields(self) -> dict[str, FormField]:
        return {
            "path": self.path,
            "backup_passphrase": self.backup_passphrase,
            "label": self.label,
            "passphrase": self.passphrase,
            "repeat": self.repeat,
        }

    def show_form_errors(self, errors: dict[str, str]) -> None:
        self.show_errors(errors, self.fields)

    def finished(self, text: str) -> None:
        for field in (self.backup_passphrase, self.passphrase, self.repeat):
            field.set("")
        super().finished(text)


class ExportDialog(_PathDialog):
    """The warning that an export is not encrypted stands above the form, before anything starts."""

    def __init__(self, master: tk.Misc, *, background: str, default_folder: str, who: str | None) -> None:
        title = f"Export the conversation with {who}" if who else "Export conversations"
        super().__init__(
            master, title, action="Export", background=background, path_label="Into a new folder"
        )
        self.on_form: Callable[[ExportForm], None] = lambda _f: None
        self.unit = "conversations"
        self.on_open_folder: Callable[[], None] = lambda: None
        warning = ttk.Frame(self.body, style="Warning.TFrame", padding=10)
        warning.pack(fill="x", pady=(0, 10), before=self.body.winfo_children()[0])
        self.warning = ttk.Label(
            warning, text=EXPORT_WARNING, style="Warning.TLabel", wraplength=WIDTH - 20, justify="left"
        )
        self.warning.pack(anchor="w")
        self.path.set(default_folder)
        formats = ttk.Frame(self.body, style="Card.TFrame")
        formats.pack(anchor="w", pady=(0, 4))
        ttk.Label(formats, text="Format", style="Card.TLabel").pack(side="left", padx=(0, 12))
        self.format_var = tk.StringVar(self, "html")
        self.format_buttons: dict[str, ttk.Radiobutton] = {}
        for value, text in (("html", "HTML pages, for a browser"), ("json", "JSON, for programs")):
            button = ttk.Radiobutton(
                formats, text=text, value=value, variable=self.format_var, style="Card.TRadiobutton"
            )
            button.pack(side="left", padx=(0, 14))
            self.add_input(button)
            self.format_buttons[value] = button
        self.format_error = ttk.Label(self.body, text="", style="Card.Error.TLabel")
        self.format_error.pack(anchor="w")
        self.open_button = ttk.Button(
            self.buttons, text="Open the folder", command=lambda: self.on_open_folder()
        )
        self.on_submit = lambda: self.on_form(ExportForm(self.path.value, self.format_var.get()))

    def show_form_errors(self, errors: dict[str, str]) -> None:
        self.format_error.configure(text=errors.get("fmt", ""))
        self.show_errors(errors, {"folder": self.path})

    def finished(self, text: str, *, can_open: bool = False) -> None:
        super().finished(text)
        if can_open:
            self.open_button.pack(side="right", padx=(0, 8))
