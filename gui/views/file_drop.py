"""Files dropped onto a conversation, through tkdnd (the Tk extension that ``tkinterdnd2`` ships).

``tkinterdnd2`` brings the compiled tkdnd library for Linux, Windows and macOS
on x86-64 and ARM64. Where it is not installed, or its library does not load
into this Tk (another platform, a Tk built without the stubs it needs),
:func:`enable_drop` answers False and the window works without drop: the
composer's hint then says to use the paperclip or Ctrl+U instead, once, where
it would have said that files can be dropped.

tkdnd hands a drop over as a Tcl list of paths, each with spaces in braces
(``{/home/a/My file.pdf} /tmp/b.png``); :func:`dropped_paths` reads it the way
Tcl does.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable, Iterable
from pathlib import Path

from gui.view_models.file_model import drop_paths

log = logging.getLogger(__name__)

_FILES = "DND_Files"


def load_tkdnd(root: tk.Misc) -> bool:
    """Load tkdnd into ``root``'s interpreter; False when it is not there or does not load."""
    try:
        from tkinterdnd2 import TkinterDnD
    except ImportError:
        log.info("tkinterdnd2 is not installed: files cannot be dropped onto a conversation")
        return False
    try:
        TkinterDnD._require(root)  # what TkinterDnD.Tk does: put its library on auto_path, load it
    except (RuntimeError, tk.TclError) as exc:
        log.info("tkdnd did not load (%s): files cannot be dropped onto a conversation", exc)
        return False
    return True


def dropped_paths(root: tk.Misc, data: str) -> list[Path]:
    """The paths of a drop's data, a Tcl list as tkdnd gives it (braces around names with spaces)."""
    try:
        items = root.tk.splitlist(data)
    except tk.TclError:  # not a list after all: one name
        items = (data,)
    return drop_paths([str(item) for item in items])


def enable_drop(root: tk.Misc, widgets: Iterable[tk.Misc], on_drop: Callable[[list[Path]], None]) -> bool:
    """Make ``widgets`` take dropped files (``on_drop(paths)``); False when tkdnd is not available here."""
    if not load_tkdnd(root):
        return False

    def dropped(data: str) -> str:
        paths = dropped_paths(root, data)
        if paths:
            on_drop(paths)
        return "copy"  # tkdnd tells the source the files were copied, not moved

    command = root.register(dropped)
    for widget in widgets:
        try:
            root.tk.call("tkdnd::drop_target", "register", str(widget), _FILES)
            root.tk.call("bind", str(widget), f"<<Drop:{_FILES}>>", f"{command} %D")
        except tk.TclError as exc:
            log.info("a widget would not take drops: %s", exc)
            return False
    return True
