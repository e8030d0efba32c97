"""A picture (or copied files) on the clipboard, read without ever blocking the window.

Pillow's ``ImageGrab.grabclipboard`` runs ``xclip`` (X11) or ``wl-paste``
(Wayland) and waits for it. The program asks the clipboard's owner for the
picture, and the owner may be this very window (text copied in Parley): were
the Tk thread waiting for the program, nobody would answer it. So the clipboard
is read on a thread of its own while the window's loop goes on (and answers),
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
    except (ChildProcessError, OSError) as exc:  # OSError: what it held was no picture Pillow reads
        log.info("no picture on the clipboard: %s", type(exc).__name__)
        return None
    if isinstance(found, Image.Image):
        return found
    if isinstance(found, list):
        return [Path(name) for name in found if name]
    return None


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
