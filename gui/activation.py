"""What activating a desktop notification does: the window comes forward and shows what it was about.

Only while a profile is open in the main window: after a lock the profile's
conversations and requests are not the window's to show, and the click does nothing.
"""

from __future__ import annotations

import tkinter as tk

from gui.controllers.chat import ChatController
from gui.controllers.host import Host
from gui.controllers.requests import RequestsController
from gui.views.main_view import MainView


class Activation:
    """The answers to a notification's click: a message's conversation, or the requests window."""

    def __init__(
        self, host: Host, root: tk.Tk, main: MainView, chat: ChatController, requests: RequestsController
    ) -> None:
        self._host, self._root, self._main = host, root, main
        self._chat, self._requests = chat, requests

    def conversation(self, contact: str) -> None:
        """A message's notification was activated: its conversation opens in the raised window."""
        if self._host.screen is not self._main:
            return  # locked since: the profile's conversations are not the window's to show
        self._root.deiconify()
        self._root.lift()
        self._root.focus_force()
        self._chat.open(contact)

    def requests(self) -> None:
        """The requests' notification was activated: the requests window opens over the raised window."""
        if self._host.screen is not self._main:
            return
        self._root.deiconify()
        self._root.lift()
        self._requests.open()
