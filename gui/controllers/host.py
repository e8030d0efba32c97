"""What a controller may ask of the window that hosts it, and nothing more.

The controllers (chat, settings, onboarding) take a :class:`Host` and the views
they drive; they import neither the app nor each other. What one controller's
action means for another (a logout for the conversation pane, a deleted account
for the registration screen) goes out through the controller's ``on_*``
callbacks, which the app wires, as the views do for their buttons.
"""

from __future__ import annotations

import tkinter as tk
from typing import Protocol, TypeVar

from gui.views.theme import Palette
from gui.window_session import WindowSession
from gui.worker import Command

T = TypeVar("T")


class Host(Protocol):
    @property
    def session(self) -> WindowSession:
        """The session as the app last set it; read-only for controllers."""
        ...

    @property
    def palette(self) -> Palette: ...

    @property
    def screen(self) -> tk.Widget:
        """The screen shown now."""
        ...

    @property
    def busy(self) -> bool:
        """True while a command that showed a busy text still runs."""
        ...

    def do(self, command: Command[T], *, busy: str | None = None) -> None:
        """Run ``command`` on the worker; its continuation runs on the Tk thread later, never now."""
        ...

    def show_screen(self, screen: tk.Widget) -> None: ...

    def report(self, code: str, message: str) -> None:
        """Show an error in words a person understands, wherever the person is looking."""
        ...

    def update_title(self) -> None: ...
