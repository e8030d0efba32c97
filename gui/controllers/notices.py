"""When a new message raises a desktop notification, what it says, and what activating it does.

A message from a contact raises one while the window is not looked at (not
focused, or minimised; :class:`~gui.controllers.presence.Presence`); in a window
the person is looking at, the conversation list and the bell say it already.
Each conversation has at most one notification, replaced as more arrive and
counting them; it goes away when that conversation's messages are seen, and
all go when the profile is locked. The words follow the person's setting
(:mod:`gui.view_models.notification_text`). Activating one opens its
conversation and raises the window (``on_open``). When the desktop cannot show
notifications at all, ``on_unavailable`` hears the sentence that says why (and ""
once they work again), for Settings.

Message requests share one notification of their own, "New message request",
with no name, number or text: raised (unless the setting allows no
notification) once for each stranger, so a flood from one is one
notification; activating it opens the requests window (``on_open_requests``),
and opening that window withdraws it. A blocked number's messages are dropped
by the engine before any event, so they raise nothing.
"""

from __future__ import annotations

import queue
from collections.abc import Callable

from gui.controllers.presence import Presence
from gui.notifications import DesktopNotices
from gui.view_models.chat_model import ChatModel, conversation_key
from gui.view_models.notification_text import notification_text, request_notification_text, unavailable_text
from net.client.core.events import MessageView, RequestView
from net.client.core.privacy import NotificationContent

#: The key of the requests' notification: never a conversation's (those are phone numbers, "+...").
REQUESTS_KEY = "requests"


class Notices:
    def __init__(self, presence: Presence, model: ChatModel, desktop: DesktopNotices) -> None:
        self.presence, self.model, self.desktop = presence, model, desktop
        self.content = NotificationContent.NAME_AND_TEXT
        #: The person activated the notification of this conversation.
        self.on_open: Callable[[str], None] = lambda _contact: None
        #: The person activated the requests' notification.
        self.on_open_requests: Callable[[], None] = lambda: None
        #: contact -> messages that arrived unseen since its notification was last withdrawn
        self._unseen: dict[str, int] = {}
        #: Strangers whose request the requests' notification counts (until the requests are seen).
        self._requesters: set[str] = set()
        #: Notifications cannot be shown here: the sentence why ("" once they can).
        self.on_unavailable: Callable[[str], None] = lambda _text: None
        self._unavailable: str | None = None

    def message(self, message: MessageView) -> None:
        if message.outgoing or self.presence.looked_at():
            return
        contact = conversation_key(message)  # a group's id: its notification opens the group
        count = self._unseen.get(contact, 0) + 1
        words = notification_text(self.model.name(contact), message.text, count, self.content)
        if words is None:
            return
        self._unseen[contact] = count
        self.desktop.show(contact, *words)

    def request(self, request: RequestView) -> None:
        """A stranger's message landed in the requests: say that there is one, and nothing of it."""
        if request.phone in self._requesters or self.presence.looked_at():
            return
        words = request_notification_text(len(self._requesters) + 1, self.content)
        if words is None:
            return
        self._requesters.add(request.phone)
        self.desktop.show(REQUESTS_KEY, *words)

    def requests_seen(self) -> None:
        if self._requesters:
            self._requesters.clear()
            self.desktop.withdraw(REQUESTS_KEY)

    def seen(self, contact: str) -> None:
        if self._unseen.pop(contact, None) is not None:
            self.desktop.withdraw(contact)

    def attention(self) -> None:
        """The window is looked at again: the open conversation's notification has done its work."""
        if self.model.open_contact is not None:
            self.seen(self.model.open_contact)

    def reset(self) -> None:
        """The profile closed: no notification of it stays on the desktop."""
        for contact in list(self._unseen):
            self.seen(contact)
        self.requests_seen()

    def check(self) -> None:
        """Ask the desktop whether notifications can be shown (the answer comes through :meth:`poll`)."""
        self.desktop.check()

    def poll(self) -> None:
        """On the window's thread: act on notifications the person activated, and say if none can show."""
        if (reason := self.desktop.unavailable) != self._unavailable:
            self._unavailable = reason
            self.on_unavailable(unavailable_text(reason) if reason else "")
        while True:
            try:
                contact = self.desktop.activated.get_nowait()
            except queue.Empty:
                return
            if contact == REQUESTS_KEY:
                self._requesters.clear()
                self.on_open_requests()
                continue
            self._unseen.pop(contact, None)
            self.on_open(contact)

    def close(self) -> None:
        self.desktop.close()
