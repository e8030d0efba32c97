"""The open conversation's disappearing timer: the header's choice, the engine's answer, others' changes.

Opening a conversation asks the engine for its timer (``disappearing_timer``) and the header
shows it. A choice in the header (or the ⋯ menu) goes to ``set_disappearing``; the header
changes when the engine says it is set (the notice it returns comes as a ``MessageReceived``
too, and the timeline draws it once). A refusal (``not_admin`` in a group where we are no admin)
is shown in the engine's words and the header keeps the timer as it is. A change by the other
side or another admin arrives as :class:`~net.client.core.events.TimerChanged`.
"""

from __future__ import annotations

from gui.controllers.host import Host
from gui.engine import Engine
from gui.view_models.chat_model import ChatModel, conversation_key
from gui.views.main_view import MainView
from gui.worker import Command
from net.client.core import events as ev


class TimerController:
    def __init__(self, host: Host, view: MainView, model: ChatModel) -> None:
        self.host, self.view, self.model = host, view, model
        view.conversation.timer.on_choose = self.choose

    def opened(self, contact: str) -> None:
        """A conversation opened: its timer as the engine has it."""
        self.view.conversation.timer.set(self._known(contact))
        where = self._where(contact)

        def shown(seconds: int) -> None:
            if self.model.open_contact == contact:
                self.view.conversation.timer.set(seconds)

        self.host.do(
            Command(
                "disappearing_timer",
                lambda engine: engine.disappearing_timer(**where),
                shown,
                failed=lambda _code, _words: None,  # the header keeps what the list knew
            )
        )

    def choose(self, seconds: int) -> None:
        """The person chose a timer for the open conversation."""
        contact = self.model.open_contact
        if contact is None:
            return
        where = self._where(contact)

        def call(engine: Engine) -> ev.MessageView:
            return engine.set_disappearing(seconds, **where)

        def done(_notice: ev.MessageView) -> None:
            if self.model.open_contact == contact:
                self.view.conversation.timer.set(seconds)

        self.host.do(Command("set_disappearing", call, done, failed=self.host.report))

    def handle(self, event: ev.TimerChanged) -> None:
        if conversation_key(event) == self.model.open_contact:
            self.view.conversation.timer.set(event.seconds)

    def _known(self, contact: str) -> int:
        conversation = self.model.conversations.get(contact)
        return conversation.disappearing if conversation is not None else 0

    def _where(self, contact: str) -> dict[str, str]:
        """How the engine's timer calls name a conversation: a group's id, else a contact's phone."""
        return {"group_id": contact} if self.model.is_group(contact) else {"contact": contact}
