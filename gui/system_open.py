"""The platform's own way to open a file or show a folder: ``os.startfile``, ``open``, or ``xdg-open``.

Backup's "Open the folder" and a received file's *Open* both go through it; the
app hands it to the controllers, and a test hands in a function that records
the path instead. A link in a message opens with :func:`open_address`: the
system's browser (or mail program, for ``mailto:``), started off the Tk thread
because finding and starting one may take a while.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path


def system_opener() -> Callable[[Path], None] | None:
    """How this platform opens a file or folder, or None when it has no way we know (no button then)."""
    if sys.platform == "win32":
        return lambda path: os.startfile(path)  # type: ignore[attr-defined]  # noqa: S606 - a path, no program
    tool = "open" if sys.platform == "darwin" else "xdg-open"
    found = shutil.which(tool)
    if found is None:
        return None

    def show(path: Path) -> None:
        child = subprocess.Popen(  # noqa: S603 - a fixed program found on PATH, no shell
            [found, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        threading.Thread(target=child.wait, name="parley-open", daemon=True).start()  # no zombie

    return show


def open_address(address: str) -> None:
    """Open a web or mail address in the system's browser, without making the window wait for it."""
    threading.Thread(target=webbrowser.open, args=(address,), name="parley-link", daemon=True).start()
