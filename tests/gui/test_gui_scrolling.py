"""The scrolling body of a tall pane, through Settings in a real window: it fits 800×600 and 640×480."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterator
from tkinter import ttk

import pytest
from gui_support import wait_until

from gui.views.settings import SettingsPane
from gui.views.theme import LIGHT, apply_theme, make_fonts


@pytest.fixture
def root(display: None) -> Iterator[tk.Tk]:
    root = tk.Tk()
    apply_theme(root, LIGHT, make_fonts(root))
    yield root
    root.destroy()


def _inside(widget: tk.Misc, pane: tk.Misc) -> bool:
    top = widget.winfo_rooty() - pane.winfo_rooty()
    return widget.winfo_ismapped() and top >= 0 and top + widget.winfo_height() <= pane.winfo_height()


@pytest.mark.parametrize("size", ["800x600", "640x480"])
def test_settings_scroll_and_tab_brings_the_last_button_into_view(root: tk.Tk, size: str) -> None:
    root.geometry(size)
    pane = SettingsPane(root)
    pane.pack(fill="both", expand=True)
    root.update()
    wait_until(root, lambda: pane.scroller.scrolls, "the scroll bar of a pane taller than the window")
    assert not _inside(pane.error, pane)  # the pane's last line is below the window's edge
    # Tab through to the end of the pane: every focused widget is scrolled into view on the way.
    current: tk.Misc | None = pane.change_button
    seen = 0
    for _ in range(80):
        if current is None or not str(current).startswith(str(pane)):
            break
        current.focus_force()
        root.update()
        if current.winfo_ismapped():
            assert _inside(current, pane), f"{current} is out of view"
            seen += 1
        current = current.tk_focusNext()
    assert seen > 10  # the walk went through the pane's fields and buttons, down to the last ones


def test_the_wheel_scrolls_settings_and_a_short_window_needs_no_bar(root: tk.Tk) -> None:
    root.geometry("800x600")
    pane = SettingsPane(root)
    pane.pack(fill="both", expand=True)
    root.update()
    wait_until(root, lambda: pane.scroller.scrolls, "the scroll bar")
    before = pane.scroller.canvas.canvasy(0)
    pane.change_button.event_generate("<Button-5>")
    root.update()
    assert pane.scroller.canvas.canvasy(0) > before
    root.geometry("1200x2800")  # taller than the whole pane, linked devices included
    wait_until(root, lambda: not pane.scroller.scrolls, "no scroll bar once everything fits")
    assert pane.scroller.canvas.canvasy(0) == 0


def _descendants(widget: tk.Misc) -> Iterator[tk.Misc]:
    for child in widget.winfo_children():
        yield child
        yield from _descendants(child)


@pytest.mark.parametrize("width", [500, 340])
def test_nothing_in_settings_is_cut_at_the_panes_right_edge(root: tk.Tk, width: int) -> None:
    """Beside the 300-pixel sidebar of an 800- or 640-pixel window, every line ends inside the pane."""
    root.geometry(f"{width}x600")
    pane = SettingsPane(root)
    pane.pack(fill="both", expand=True)
    root.update()
    wait_until(root, lambda: pane.scroller.canvas.winfo_width() > 1, "the pane laid out")
    root.update()
    right = pane.scroller.canvas.winfo_rootx() + pane.scroller.canvas.winfo_width()
    cut = [
        str(w)
        for w in _descendants(pane.scroller.body)
        if isinstance(w, ttk.Label | ttk.Radiobutton | ttk.Checkbutton | ttk.Button)
        and w.winfo_ismapped()
        and str(w.cget("text"))
        and w.winfo_rootx() + w.winfo_reqwidth() > right
    ]
    assert cut == []
