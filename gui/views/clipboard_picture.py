"""A picture (or copied files) on the clipboard, read without ever blocking the window.

Pillow's ``ImageGrab.grabclipboard`` runs ``xclip`` (X11) or ``wl-paste``
(Wayland) and waits for it. The program asks the clipboard's owner for the
picture, and when the owner is this very window, whose loop would be waiting,
neither would ever answer: so a clipboard this app owns is text and is pasted
at once, and any other is read on a thread of its own while the window goes on,
with :data:`GRAB_SECONDS` as the most it waits.
"""

from __future__ import annotations

import logging
import threading
import time
import tkinter as tk
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageGrab

log = logging.getLogger(__name__)

#: The longest a clipboard read may take before the paste falls back to text.
GRAB_SECONDS = 5.0
_POLL_MS = 20

Grabbed = Image.Image | list[Path] | None


def grab() -> Grabbed:
    """The clipboard's picture, its copied files, or None (text, nothing, or no tool to read it with)."""
    try:
        found = ImageGrab.grabclipboard()
    except NotImplementedError:  # neither xclip nor wl-paste: pictures cannot be pasted here
        return None
    except (ChildProcessError, OSError) as exc:
        log.warning("the clipboard could not be read: %s", type(exc).__name__)
        return None
    if isinstance(found, Image.Image):
        return found
    if isinstance(found, list):
        return [Path(name) for name in found if name]
    return None


def owns_clipboard(widget: tk.Misc) -> bool:
    """This app copied what is on the clipboard (it is text then, and asking for a picture would hang)."""
    try:
        return bool(str(widget.tk.call("selection", "own", "-selection", "CLIPBOARD")))
    except tk.TclError:
        return False


def read_later(
    widget: tk.Misc, done: Callable[[Grabbed], None], *, reader: Callable[[], Grabbed] = grab
) -> None:
    """Read the clipboard on a thread; ``done(result)`` runs on the Tk thread (None after a timeout)."""
    box: list[Grabbed] = []
    finished = threading.Event()

    def read() -> None:
        try:
            box.append(reader())
        finally:
            finished.set()

    threading.Thread(target=read, name="parley-clipboard", daemon=True).start()
    deadline = time.monotonic() + GRAB_SECONDS

    def check() -> None:
        if finished.is_set():
            done(box[0] if box else None)
        elif time.monotonic() > deadline:
            done(None)
        else:
            widget.after(_POLL_MS, check)

    widget.after(_POLL_MS, check)
