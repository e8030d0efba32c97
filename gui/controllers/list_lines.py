"""The conversation list's last line follows what happens to the last message after it arrived.

An edit, a deletion for everyone, a delete for me and a message that disappeared all change
that one bubble (:class:`~net.client.core.events.MessageChanged`); the list's line must not
keep showing the old text. An edited or deleted last message words the line anew here; a
removed one leaves another message last, which only the engine knows, so that conversation's
line is asked for again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gui.controllers.host import Host
from gui.view_models.chat_model import ChatModel, conversation_key
from gui.worker import Command
from net.client.core import events as ev


class ListLines:
    def __init__(self, host: Host, model: ChatModel, dirty: Callable[[], None]) -> None:
        """``dirty`` says the list must be drawn again (after the current batch of events)."""
        self.host, self.model, self.dirty = host, model, dirty

    def changed(self, message: ev.MessageView, removed: bool) -> None:
        key = conversation_key(message)
        shown = self.model.conversations.get(key)
        if shown is None or message.notice or message.timestamp < shown.last_timestamp:
            return  # not the last message: the line stays
        if not removed:
            self.model.set_last_text(key, self.model.last_line(message))
            self.dirty()
            return

        def done(views: list[ev.ConversationView]) -> None:
            fresh = next((v for v in views if conversation_key(v) == key), None)
            now = self.model.conversations.get(key)
            if now is None:
                return
            if fresh is None:  # nothing of it is left
                self.model.conversations[key] = replace(now, last_text="")
            else:
                self.model.conversations[key] = replace(
                    now, last_text=fresh.last_text, last_timestamp=fresh.last_timestamp, unread=fresh.unread
                )
            self.dirty()

        self.host.do(Command("conversations", lambda engine: engine.conversations(), done))
