"""The backup, restore and export dialogs by keyboard alone, on a real Tk root under Xvfb.

Tab walks the fields in reading order, Enter presses the default button,
Escape cancels; while an action runs nothing closes the dialog (the engine's
backup, restore and export cannot be stopped half-way); a failure gives the
form back as typed. Each dialog fits an 800×600 screen in every state.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
    type_into,
    wait_until,
)

from gui.view_models.backup_model import BackupForm, ExportForm, RestoreForm
from gui.views.backup_dialogs import BackupDialog, ExportDialog, RestoreDialog
from gui.views.progress_dialog import CompactField, ProgressDialog
from gui.views.theme import DARK, LIGHT, apply_theme, make_fonts


@pytest.fixture
def root(display: object) -> Iterator[tk.Tk]:
    window = tk.Tk()
    window.geometry("800x600")
    apply_theme(window, LIGHT, make_fonts(window))
    yield window
    window.destroy()


def _tab_order(dialog: ProgressDialog, steps: int) -> list[tk.Misc]:
    order = []
    for _ in range(steps):
        widget = dialog.focus_get()
        assert widget is not None
        order.append(widget)
        press(widget, "<Tab>")
    return order


def _fits(dialog: ProgressDialog) -> None:
    dialog.update_idletasks()
    assert dialog.winfo_reqwidth() <= 800 and dialog.winfo_reqheight() <= 600, dialog.title()


def test_the_restore_dialog_is_filled_by_keyboard_in_reading_order_and_enter_restores(root: tk.Tk) -> None:
    dialog = RestoreDialog(root, background=LIGHT.surface)
    forms: list[RestoreForm] = []
    dialog.on_form = forms.append
    dialog.show_centred()
    wait_until(root, lambda: dialog.focus_get() is dialog.path.entry, "the cursor in the first field")
    order = _tab_order(dialog, 6)
    assert order == [
        dialog.path.entry,
        dialog.choose_button,
        dialog.backup_passphrase.entry,
        dialog.label.entry,
        dialog.passphrase.entry,
        dialog.repeat.entry,
    ]
    typed = ("/b/x.parleybackup", "old one", "Laptop", "new passphrase!", "new passphrase!")
    fields = (dialog.path, dialog.backup_passphrase, dialog.label, dialog.passphrase, dialog.repeat)
    for field, text in zip(fields, typed, strict=True):
        type_into(field.entry, text)
    press(dialog.repeat.entry, "<Return>")
    assert forms == [RestoreForm(*typed)]
    _fits(dialog)
    dialog.show_form_errors({"label": "Enter a name."})
    assert dialog.focus_get() is dialog.label.entry and dialog.label.note.cget("text") == "Enter a name."


def test_escape_cancels_a_form_but_nothing_closes_a_running_action_and_a_failure_gives_the_form_back(
    root: tk.Tk,
) -> None:
    dialog = BackupDialog(root, background=LIGHT.surface, default_path="/home/a/parley-a.parleybackup")
    forms: list[BackupForm] = []
    closed: list[bool] = []
    dialog.on_form = forms.append
    dialog.on_closed = lambda: closed.append(True)
    dialog.show_centred()
    type_into(dialog.passphrase.entry, "a backup passphrase")
    dialog.running("Backing up to parley-a.parleybackup…")
    for widget in (dialog.path.entry, dialog.passphrase.entry, dialog.choose_button, dialog.default_button):
        assert str(widget.cget("state")) == "disabled"
    press(dialog, "<Escape>")
    press(dialog, "<Return>")
    dialog.cancel()  # the window's close box
    assert dialog.winfo_exists() and not closed and not forms
    dialog.show_progress(1_700_000, 3_400_000)
    assert float(dialog.bar.cget("value")) == 50.0
    assert dialog.progress_text.cget("text") == "1.7 MB of 3.4 MB (50%)"
    _fits(dialog)

    dialog.failed("There is no room for the backup on its disk.")
    assert dialog.state_name == "form" and not dialog.progress_row.winfo_manager()
    assert str(dialog.default_button.cget("state")) == "normal"
    assert dialog.passphrase.value == "a backup passphrase"  # nothing typed is lost
    assert "no room" in str(dialog.error.cget("text"))
    dialog.show_progress(5, 10)  # a late report after the end draws nothing
    assert float(dialog.bar.cget("value")) == 50.0

    press(dialog.passphrase.entry, "<Escape>")
    assert not dialog.winfo_exists() and closed == [True]


def test_a_finished_dialog_closes_with_enter_and_says_what_happened(root: tk.Tk) -> None:
    dialog = ExportDialog(root, background=LIGHT.surface, default_folder="/e/parley-export", who=None)
    forms: list[ExportForm] = []
    dialog.on_form = forms.append
    dialog.show_centred()
    wait_until(root, lambda: dialog.focus_get() is dialog.path.entry, "the cursor in the folder field")
    press(dialog.path.entry, "<Tab>")
    press(dialog.choose_button, "<Tab>")
    html = dialog.focus_get()
    assert html is dialog.format_buttons["html"]
    press(html, "<Tab>")
    json_button = dialog.focus_get()
    assert json_button is dialog.format_buttons["json"]
    press(json_button, "<space>")  # a radio button is chosen with the space bar
    press(json_button, "<Return>")
    assert forms == [ExportForm("/e/parley-export", "json")]

    dialog.running("Exporting into parley-export…")
    dialog.show_progress(2, 4)
    assert dialog.progress_text.cget("text") == "2 of 4 conversations (50%)"
    dialog.finished("Exported 4 conversations to /e/parley-export.", can_open=True)
    dialog.update()
    assert dialog.result.winfo_ismapped() and dialog.open_button.winfo_ismapped()
    assert dialog.default_button.cget("text") == "Close" and not dialog.cancel_button.winfo_ismapped()
    _fits(dialog)
    press(dialog.default_button, "<Return>")
    assert not dialog.winfo_exists()


def test_every_dialog_fits_800_by_600_in_the_dark_theme_too(root: tk.Tk) -> None:
    apply_theme(root, DARK, make_fonts(root))
    dialogs: list[ProgressDialog] = [
        BackupDialog(root, background=DARK.surface, default_path="/home/a/" + "x" * 120),
        RestoreDialog(root, background=DARK.surface),
        ExportDialog(root, background=DARK.surface, default_folder="/e", who="Someone With A Long Name"),
    ]
    long_error = "An error in words that is long enough to wrap onto a second line " * 2
    for dialog in dialogs:
        # the form at its tallest: every field with an error under it, and the reason below
        fields = [w for w in vars(dialog).values() if isinstance(w, CompactField)]
        assert fields
        for field in fields:
            field.error("What is wrong with this field, in words.")
        dialog.error.configure(text=long_error)
        _fits(dialog)
        for field in fields:
            field.error("")
        dialog.running("Working…")
        dialog.show_progress(1, 2)
        _fits(dialog)
        dialog.finished("Done: " + "a long path/" * 12)
        _fits(dialog)
        dialog.close()
