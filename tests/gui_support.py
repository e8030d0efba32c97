"""Helpers for the GUI tests: a display to draw on, and waiting on the Tk loop without sleeping.

When DISPLAY is unset the tests start their own Xvfb (Debian: apt-get install
xvfb). If neither is there they fail with a sentence that says what to
install: a GUI test that silently skips would hide a broken window.
"""

from __future__ import annotations

import os
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gui.display import DisplayError, VirtualDisplay

#: Long enough for Argon2id, key generation and TLS on a busy 2-core machine; a hang still ends.
WAIT_SECONDS = 60.0


def display_for_tests(framebuffer_dir: Path | None = None) -> Iterator[VirtualDisplay | None]:
    """Use $DISPLAY when it is set, otherwise run a private Xvfb for the duration."""
    if os.environ.get("DISPLAY") and framebuffer_dir is None:
        yield None
        return
    display = VirtualDisplay(framebuffer_dir=framebuffer_dir)
    try:
        name = display.start()
    except DisplayError as exc:
        pytest.fail(str(exc), pytrace=False)
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = name
    try:
        yield display
    finally:
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous
        display.stop()


def wait_until(
    root: tk.Misc, condition: Callable[[], object], what: str, timeout: float = WAIT_SECONDS
) -> None:
    """Run the Tk loop until ``condition()`` holds; fail naming ``what`` after ``timeout`` seconds.

    Each turn blocks in Tcl until an event arrives (the app's drain timer fires
    every 50 ms at least), so this waits on events, never on a fixed sleep.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        root.tk.dooneevent(0)


def type_into(widget: tk.Misc, text: str) -> None:
    """Put text in an entry or text widget as a person would leave it."""
    if isinstance(widget, tk.Text):
        widget.delete("1.0", "end")
        widget.insert("1.0", text)
    else:
        widget.delete(0, "end")  # type: ignore[call-arg]
        widget.insert(0, text)  # type: ignore[call-arg]


def press_return(widget: tk.Misc) -> None:
    """Press Enter in a widget: it must have the focus for the key event to reach it."""
    widget.focus_force()
    widget.update()
    widget.event_generate("<Return>")
    widget.update()
