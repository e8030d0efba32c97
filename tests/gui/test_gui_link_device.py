"""The new computer's "Link to my account" screen on a real Tk root under Xvfb, without an engine.

The code shows as selectable text with Copy, the QR code decodes to the code's text, the steps
are there in words; the comparison is answered by keyboard; a failure offers Start again;
Escape goes back; every stage fits 800×600, in the light and the dark theme.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterator

import pytest
import segno
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
)

from gui.view_models.devices_text import NEW_COMPUTER_STEPS
from gui.views import keyboard
from gui.views.link_device import LinkDeviceView
from gui.views.theme import DARK, LIGHT, Palette, apply_theme, make_fonts

CODE, QR = "MFRG-GZDF-MZTW-Q2LK", "parley-link:MFRGGZDFMZTWQ2LK"


def _root(palette: Palette) -> tk.Tk:
    window = tk.Tk()
    window.geometry("800x600")
    apply_theme(window, palette, make_fonts(window))
    keyboard.install(window)
    return window


@pytest.fixture
def root(display: object) -> Iterator[tk.Tk]:
    window = _root(LIGHT)
    yield window
    window.destroy()


def _view(root: tk.Tk) -> LinkDeviceView:
    view = LinkDeviceView(root)
    view.pack(fill="both", expand=True)
    view.reset("127.0.0.1:5000")
    root.update()
    return view


def _labels(widget: tk.Misc) -> list[str]:
    found = []
    for child in widget.winfo_children():
        if child.winfo_manager() and child.winfo_class() == "TLabel":
            found.append(str(child.cget("text")))
        found += _labels(child)
    return found


def _fits(view: LinkDeviceView) -> None:
    view.update_idletasks()
    card = view.stages[view.stage].master
    assert card.winfo_reqwidth() <= 800 and card.winfo_reqheight() <= 600, view.stage


def test_the_code_shows_as_selectable_text_with_copy_and_a_qr_code_that_decodes_to_it(root: tk.Tk) -> None:
    view = _view(root)
    assert view.stage == "asking"
    view.show_code(CODE, QR)
    root.update()
    assert view.stage == "code" and view.code == CODE
    assert root.focus_get() is view.copy_button  # Copy has the keyboard once the code is shown
    assert NEW_COMPUTER_STEPS in _labels(view)
    assert "Settings → Linked devices → Link a new computer" in NEW_COMPUTER_STEPS
    # Selectable, not editable: the entry is read-only, and its text can be selected.
    assert str(view.code_text.cget("state")) == "readonly"
    view.code_text.selection_range(0, "end")
    assert view.code_text.selection_present() and view.code_text.selection_get() == CODE
    press(view.code_text, "<BackSpace>")
    assert view.code == CODE
    press(view.copy_button, "<Return>")  # Enter presses it
    assert root.clipboard_get() == CODE and "Copied" in str(view.copied.cget("text"))
    drawn = view.qr.drawn_modules()
    assert drawn == tuple(
        tuple(bool(c) for c in row) for row in segno.make(QR, error="m", micro=False).matrix
    )
    assert view.qr.text == QR
    _fits(view)


def test_the_comparison_is_answered_by_keyboard_and_escape_goes_back(root: tk.Tk) -> None:
    view = _view(root)
    answers: list[bool] = []
    backs: list[None] = []
    view.on_compared = answers.append
    view.on_back = lambda: backs.append(None)
    view.show_code(CODE, QR)
    view.show_comparison("123 456")
    root.update()
    assert str(view.number.cget("text")) == "123 456"
    assert root.focus_get() is view.match_button
    press(view.match_button, "<Tab>")
    assert root.focus_get() is view.mismatch_button
    press(view.mismatch_button, "<Return>")
    press(view.match_button, "<Return>")
    assert answers == [False, True]
    _fits(view)
    press(view.match_button, "<Escape>")
    assert backs == [None]


def test_arriving_shows_progress_and_a_failure_offers_start_again(root: tk.Tk) -> None:
    view = _view(root)
    again: list[None] = []
    view.on_again = lambda: again.append(None)
    view.show_arriving()
    root.update()
    assert view.progress.shown and "arriving" in str(view.progress.label.cget("text"))
    _fits(view)
    view.show_failure("The code expired before your other computer used it.")
    root.update()
    assert not view.progress.shown
    assert "The code expired before your other computer used it." in _labels(view)
    assert root.focus_get() is view.again_button
    press(view.again_button, "<Return>")
    assert again == [None]
    _fits(view)


def test_every_stage_fits_800_by_600_in_the_dark_theme(display: object) -> None:
    window = _root(DARK)
    try:
        view = _view(window)
        for show in (
            lambda: view.show_code(CODE, QR),
            lambda: view.show_comparison("123 456"),
            view.show_arriving,
            lambda: view.show_failure("The other computer said the numbers don't match. " * 3),
        ):
            show()
            window.update()
            _fits(view)
        # The QR code stays dark on white in the dark theme: that is what cameras read.
        view.show_code(CODE, QR)
        assert str(view.qr.cget("background")) == "#ffffff"
    finally:
        window.destroy()
