"""Settings, "Profile picture": show ours, choose a picture file for it, remove it.

Each is an engine call on the worker: :meth:`refresh` when Settings opens,
``set_profile_picture`` after the file chooser (the engine makes the square
JPEG, without the file's metadata, and sends it with our name), and
``set_profile_picture(None)`` for Remove. A file that is no picture is refused
in the engine's words, shown under the buttons.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from pathlib import Path

from gui.controllers.host import Host
from gui.engine import Engine
from gui.views.profile_picture import ProfilePictureSection
from gui.worker import Command

#: ``(parent window, folder to start in)`` -> the chosen file, or "" when the person cancelled.
PictureChooser = Callable[[tk.Misc, Path], str]


class ProfilePictureController:
    def __init__(self, host: Host, section: ProfilePictureSection, choose: PictureChooser) -> None:
        self.host, self.section, self._choose = host, section, choose
        section.on_choose, section.on_remove = self.choose, self.remove

    def refresh(self) -> None:
        self.section.show_error("")
        self.host.do(Command("profile_picture", lambda engine: engine.profile_picture(), self.section.show))

    def choose(self) -> None:
        chosen = self._choose(self.section.winfo_toplevel(), Path.home())
        if chosen:
            self._set(Path(chosen))

    def remove(self) -> None:
        self._set(None)

    def _set(self, path: Path | None) -> None:
        def call(engine: Engine) -> bytes:
            engine.set_profile_picture(path)
            return engine.profile_picture()

        def done(picture: bytes) -> None:
            self.section.show_error("")
            self.section.show(picture)

        self.section.show_error("")
        self.host.do(
            Command("set_profile_picture", call, done, failed=lambda _c, text: self.section.show_error(text)),
            busy="Setting the profile picture…" if path else "Removing the profile picture…",
        )
