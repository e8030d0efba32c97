"""Settings' "Link a new computer…" dialog on a real Tk root under Xvfb, without an engine.

The code goes in by keyboard and Enter; the comparison number is shown large with the history
tick box off and holding the focus (Enter there chooses nothing); each answer is a button
reached by Tab; Escape closes (and says so to the controller); every stage fits 800×600.
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

from gui.views import keyboard
from gui.views.link_join_dialog import LinkJoinDialog
from gui.views.theme import DARK, LIGHT, apply_theme, make_fonts


@pytest.fixture
def root(display: object) -> Iterator[tk.Tk]:
    window = tk.Tk()
    window.geometry("800x600")
    apply_theme(window, LIGHT, make_fonts(window))
    keyboard.install(window)
    yield window
    window.destroy()


def _fits(dialog: LinkJoinDialog) -> None:
    dialog.update_idletasks()
    assert dialog.winfo_reqwidth() <= 800 and dialog.winfo_reqheight() <= 600, dialog.stage


def test_the_code_is_typed_and_enter_goes_on(root: tk.Tk) -> None:
    dialog = LinkJoinDialog(root, LIGHT)
    codes: list[str] = []
    dialog.on_code = codes.append
    wait_until(root, lambda: root.focus_get() is dialog.code.entry, "the cursor in the code field")
    type_into(dialog.code.entry, "abcd-efgh-ijkl-mnop")
    press(dialog.code.entry, "<Return>")
    assert codes == ["abcd-efgh-ijkl-mnop"]
    dialog.code_error("A link code has 16 letters and digits; this one has 12.")
    assert dialog.stage == "enter" and "this one has 12" in str(dialog.code.note.cget("text"))
    _fits(dialog)
    dialog.close()


def test_the_comparison_holds_the_focus_on_the_tick_box_and_the_answers_are_buttons(root: tk.Tk) -> None:
    dialog = LinkJoinDialog(root, LIGHT)
    answers: list[tuple[bool, bool]] = []
    dialog.on_compared = lambda same, history: answers.append((same, history))
    dialog.show_stage("checking")
    assert dialog.busy.shown
    dialog.show_comparison("042 917")
    root.update()
    assert str(dialog.number.cget("text")) == "042 917" and not dialog.busy.shown
    assert dialog.history_var.get() is False  # off by default, as Signal
    assert root.focus_get() is dialog.history_box
    press(dialog.history_box, "<space>")
    assert dialog.history_var.get() is True and answers == []
    press(dialog.history_box, "<Tab>")
    assert root.focus_get() is dialog.match_button
    press(dialog.match_button, "<Return>")
    press(dialog.match_button, "<Tab>")
    assert root.focus_get() is dialog.mismatch_button
    press(dialog.mismatch_button, "<Return>")
    assert answers == [(True, True), (False, True)]
    _fits(dialog)
    dialog.close()


def test_done_and_failed_say_so_and_escape_closes(root: tk.Tk) -> None:
    dialog = LinkJoinDialog(root, LIGHT)
    closed: list[None] = []
    dialog.on_close = lambda: closed.append(None)
    dialog.show_done("Linked.")
    wait_until(root, lambda: dialog.focus_get() is dialog.close_button, "the focus on Close")
    dialog.show_failure("That code is not (or no longer) valid.")
    root.update()
    assert dialog.stage == "failed" and "no longer" in str(dialog.failure.cget("text"))
    press(dialog.again_button, "<Return>")
    assert dialog.stage == "enter" and dialog.code.value == ""
    press(dialog.code.entry, "<Escape>")
    assert closed == [None] and dialog.closed


def test_every_stage_fits_in_the_dark_theme(display: object) -> None:
    window = tk.Tk()
    try:
        apply_theme(window, DARK, make_fonts(window))
        dialog = LinkJoinDialog(window, DARK)
        for stage in ("enter", "checking", "compare", "sending", "done", "failed"):
            dialog.show_stage(stage)
            _fits(dialog)
        dialog.close()
    finally:
        window.destroy()
