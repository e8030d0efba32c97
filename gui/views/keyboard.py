"""Keys every widget of a kind shares: Enter presses a focused button, Ctrl+A selects all.

Tk's own class bindings follow old conventions: a ttk button answers Space but
not Enter, and Ctrl+A in an entry moves the cursor to the line's start (as in
Emacs). People expect Enter to press the button that has the focus and Ctrl+A
to select everything, so these class bindings are added once per window.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk


def _press(event: tk.Event) -> str:
    widget = event.widget
    if isinstance(widget, ttk.Button | ttk.Checkbutton | ttk.Radiobutton) and widget.instate(["!disabled"]):
        widget.invoke()
    return "break"


def _select_all_entry(event: tk.Event) -> str:
    widget = event.widget
    if isinstance(widget, tk.Entry | ttk.Entry):
        widget.selection_range(0, "end")
        widget.icursor("end")
    return "break"


def _select_all_text(event: tk.Event) -> str:
    widget = event.widget
    if isinstance(widget, tk.Text):
        widget.tag_add("sel", "1.0", "end-1c")
        widget.mark_set("insert", "end-1c")
    return "break"


def install(root: tk.Misc) -> None:
    """Add the shared key bindings to ``root``'s interpreter (idempotent)."""
    for widget_class in ("TButton", "TCheckbutton", "TRadiobutton"):
        for sequence in ("<Return>", "<KP_Enter>"):
            root.bind_class(widget_class, sequence, _press)
    for widget_class in ("TEntry", "Entry", "TCombobox"):
        for sequence in ("<Control-a>", "<Control-A>"):
            root.bind_class(widget_class, sequence, _select_all_entry)
    for sequence in ("<Control-a>", "<Control-A>"):
        root.bind_class("Text", sequence, _select_all_text)
