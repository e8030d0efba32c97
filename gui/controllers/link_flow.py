"""The new computer's side of linking: "Link to my account" on the registration screen, to the main window.

``start`` asks the engine for a link code (``link_start``); the engine's events drive the
screen from there: :class:`~net.client.core.events.LinkCodeShown` shows the code and its QR
code, :class:`~net.client.core.events.LinkComparison` the number to compare, and after "The
numbers match" (``link_confirm(True)``) the account arrives until
:class:`~net.client.core.events.LinkFinished` hands over to the main window. Every
:class:`~net.client.core.events.LinkFailed` is said in words with Start again. Back (or
Escape) cancels the link and returns to registration.
"""

from __future__ import annotations

from collections.abc import Callable

from gui.controllers.host import Host
from gui.views.link_device import LinkDeviceView
from gui.worker import Command
from net.client.core import events as ev

NOT_MATCHING = (
    "You said the numbers don't match, so nothing was linked and nothing left your other computer. "
    "Start again for a new code; if the numbers differ again, someone may be in between: "
    "link on another network."
)


class LinkFlow:
    def __init__(self, host: Host, view: LinkDeviceView) -> None:
        self.host, self.view = host, view
        #: Linked and logged in as ``phone``: the main window may come up.
        self.on_linked: Callable[[str], None] = lambda _phone: None
        #: Back to the registration screen (the link is cancelled).
        self.on_back: Callable[[], None] = lambda: None
        #: A link is under way: its events are this flow's.
        self.active = False
        view.on_back, view.on_again, view.on_compared = self.back, self.start, self.compared

    def start(self) -> None:
        self.active = True
        self.view.reset(self.host.session.server)
        self.host.show_screen(self.view)
        self.host.do(
            Command("link_start", lambda engine: engine.link_start(), failed=self._failed, polls=True)
        )

    def handle(self, event: ev.Event) -> bool:
        """Take the link's events while a link of this computer is under way; False for any other."""
        if not self.active:
            return False
        if isinstance(event, ev.LinkCodeShown):
            self.view.show_code(event.code, event.qr, event.expires_in)
        elif isinstance(event, ev.LinkComparison) and event.role == "new":
            self.view.show_comparison(event.number)
        elif isinstance(event, ev.LinkFinished):
            self.active = False
            self.on_linked(event.phone)
        elif isinstance(event, ev.LinkFailed):
            self._failed(event.code, event.message)
        else:
            return False
        return True

    def compared(self, same: bool) -> None:
        if same:
            self.view.show_arriving()
        else:
            self.view.show_failure(NOT_MATCHING)
        self.host.do(Command("link_confirm", lambda engine: engine.link_confirm(same), failed=self._failed))

    def back(self) -> None:
        was_active, self.active = self.active, False
        if was_active:
            # Nothing to cancel any more is no error: the person is on the way back either way.
            self.host.do(
                Command("link_cancel", lambda engine: engine.link_cancel(), failed=lambda _c, _t: None)
            )
        self.on_back()

    def _failed(self, code: str, text: str) -> None:
        if self.view.stage == "failed":
            return  # the first reason said stays (after "They don't match", the engine's cancel follows)
        self.view.show_failure(text or "The link did not work. Start again for a new code.")
