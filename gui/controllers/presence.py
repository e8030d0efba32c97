"""Honest presence: a message counts as read only when it was on screen in a window that had the focus.

The window "is looked at" while one of its widgets has the keyboard focus (Tk's
``focus`` names a window of this app only then) and it is not minimised: a
window merely left open under another one is not. A message "was seen" when its
bubble was inside the conversation's viewport while the window was looked at.
Then the engine is told to mark the conversation read up to the newest such
message (it sends the read receipts, unless the person turned them off); what
arrived after it stays unread and counted.

The check runs when the focus comes back, when the list moves on screen
(scrolled, drawn, resized) and after each batch of events.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable

from gui.controllers.host import Host
from gui.view_models.chat_model import ChatModel
from gui.views.main_view import MainView
from gui.worker import Command
from net.client.core.events import MessageStatus


class Presence:
    def __init__(self, host: Host, root: tk.Tk, view: MainView, model: ChatModel) -> None:
        self.host, self.root, self.view, self.model = host, root, view, model
        #: The window became looked at again (after being unfocused or minimised).
        self.on_attention: Callable[[], None] = lambda: None
        #: Messages up to the newest seen in ``contact`` were marked read; the list's counts changed.
        self.on_read: Callable[[str], None] = lambda _contact: None
        #: Incoming messages already marked read (or asked to be), so each is asked for once.
        self._asked: set[str] = set()
        self._looked = False
        self._settle_pending = False
        for sequence in ("<FocusIn>", "<FocusOut>", "<Map>", "<Unmap>"):
            root.bind(sequence, self._changed, add="+")
        view.conversation.messages.on_moved = self.check

    def looked_at(self) -> bool:
        """Whether the person can be looking at the window: it has the focus and is not minimised."""
        try:
            return bool(self.root.tk.call("focus")) and self.root.state() != "iconic"
        except tk.TclError:  # the window is being destroyed
            return False

    def reset(self) -> None:
        self._asked.clear()

    def _changed(self, _event: tk.Event) -> None:
        # Focus moves between the window's own widgets too; the state is read once the moves settle.
        if not self._settle_pending:
            self._settle_pending = True
            self.root.after_idle(self._settle)

    def _settle(self) -> None:
        self._settle_pending = False
        looked = self.looked_at()
        if looked and not self._looked:
            self._looked = True
            self.on_attention()
        self._looked = looked
        self.check()

    def check(self) -> None:
        """Mark read what is on screen now, if the window is looked at."""
        contact = self.model.open_contact
        if contact is None or self.view.pane is not self.view.conversation or not self.looked_at():
            return
        messages = self.view.conversation.messages
        # A group's notes are no messages: nobody wrote them, nothing is read up to them.
        unread = [
            m
            for m in messages.shown()
            if not m.outgoing and m.status == MessageStatus.RECEIVED and not (m.group_id and m.notice)
        ]
        visible = messages.visible_ids()
        seen = [index for index, m in enumerate(unread) if m.message_id in visible]
        if not seen:
            return
        newest = unread[seen[-1]]
        if newest.message_id in self._asked:
            return
        self._asked.update(m.message_id for m in unread[: seen[-1] + 1])
        # What is newer than the newest one seen stays unread (loaded pages hold the newest messages).
        self.model.set_unread(contact, len(unread) - seen[-1] - 1)
        up_to = newest.message_id
        self.host.do(Command("mark_read", lambda engine: engine.mark_read(contact, up_to)))
        self.on_read(contact)
