"""What people do with a message from its menu: reply, react, copy, edit, delete (us, everyone), details.

Reply and Edit open the composer's answer bar (:mod:`gui.views.answer_bar`); Enter there sends
``send_reply`` or ``edit_message``.

Each choice goes to the engine through the worker (:class:`~gui.worker.Command`); a refusal
(``too_late``, ``not_yours``, ``deleted``...) is shown in the engine's words, as other refusals
are. What changed comes back as the command's result and as the engine's
:class:`~net.client.core.events.MessageChanged`; either redraws that one bubble, and a
second one changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from gui.controllers.host import Host
from gui.engine import Engine
from gui.view_models.action_text import EDITING, replying_text
from gui.view_models.chat_model import ChatModel, conversation_key
from gui.view_models.details_text import details_sections
from gui.view_models.message_actions import MenuAction
from gui.views.confirm_dialog import ConfirmDialog
from gui.views.main_view import MainView
from gui.views.message_details import MessageDetailsDialog
from gui.worker import Command
from net.client.core import events as ev

#: What the question before a deletion says.
EVERYONE_QUESTION = (
    "This message will be deleted for everyone in this conversation. Those who have read it may "
    "still remember it."
)
ME_QUESTION = "This message will be deleted from this computer. The others keep their copy."


class ActionsController:
    def __init__(self, host: Host, view: MainView, model: ChatModel) -> None:
        self.host, self.view, self.model = host, view, model
        view.conversation.messages.menu.on_action = self.chosen
        view.conversation.composer.on_answer = self.answered
        #: A reply of ours was stored: drawn as a new message of ours (the chat controller's).
        self.on_sent: Callable[[ev.MessageView], None] = lambda _m: None
        #: The menu's "More…" (a reaction with an emoji not in its row): the emoji picker opens and
        #: hands its choice to the callback given (the emoji controller's).
        self.on_pick: Callable[[Callable[[str], None]], None] = lambda _chosen: None
        #: "Go to the original" of a reply: the timeline's controller goes there, as for a click on its quote.
        self.on_original: Callable[[ev.MessageView], None] = lambda _reply: None
        #: A message shown changed or went (``removed``): the list's last line may follow.
        self.on_changed: Callable[[ev.MessageView, bool], None] = lambda _m, _removed: None
        #: The details window of a message, while one is open.
        self.dialog: MessageDetailsDialog | None = None
        #: The question before a deletion, while one is open.
        self.question: ConfirmDialog | None = None

    def chosen(self, message: ev.MessageView, action: MenuAction, emoji: str) -> None:
        """An entry of a message's menu was chosen (``emoji`` for a reaction; "" for its "More…")."""
        composer = self.view.conversation.composer
        if action is MenuAction.REPLY:
            author = "" if message.outgoing else (message.sender or message.contact)
            name = self.model.person(author) if author else "yourself"
            composer.answering("reply", message, replying_text(name, message))
        elif action is MenuAction.ORIGINAL:
            self.on_original(message)
        elif action is MenuAction.EDIT:
            composer.answering("edit", message, EDITING, message.text)
        elif action is MenuAction.COPY:
            self.view.conversation.messages.copy(message.message_id)
        elif action is MenuAction.REACT and not emoji:  # "More…": any emoji, from the picker
            self.on_pick(lambda chosen: self.chosen(message, MenuAction.REACT, chosen))
        elif action is MenuAction.REACT:
            self._changing("react", lambda engine: engine.react(message.message_id, emoji, **_names(message)))
        elif action is MenuAction.DELETE_FOR_EVERYONE:
            where = {k: v for k, v in _names(message).items() if k != "sender"}
            self._ask(
                "Delete for everyone?",
                EVERYONE_QUESTION,
                "Delete for everyone",
                lambda: self._changing(
                    "delete_for_everyone",
                    lambda engine: engine.delete_for_everyone(message.message_id, **where),
                ),
            )
        elif action is MenuAction.DETAILS:
            self.host.do(
                Command(
                    "message_details",
                    lambda engine: engine.message_details(message.message_id, **_names(message)),
                    self._show_details,
                )
            )
        elif action is MenuAction.DELETE_FOR_ME:

            def call(engine: Engine) -> None:
                engine.delete_for_me(message.message_id, **_names(message))

            self._ask(
                "Delete for me?",
                ME_QUESTION,
                "Delete for me",
                lambda: self.host.do(
                    Command("delete_for_me", call, lambda _none: self.changed(message, removed=True))
                ),
            )

    def _ask(self, title: str, words: str, deed: str, then: Callable[[], None]) -> None:
        """Ask before a deletion, which cannot be undone; ``then`` runs once it is confirmed."""
        if self.question is not None and self.question.winfo_exists():
            self.question.destroy()
        self.question = ConfirmDialog(
            self.view, self.host.palette, title=title, words=words, deed=deed, on_confirm=then
        )

    def answered(self, mode: str, message: ev.MessageView, text: str) -> None:
        """Enter in the composer with its answer bar open: the reply or the edit goes to the engine."""
        composer = self.view.conversation.composer
        key = conversation_key(message)

        def refused(code: str, words: str) -> None:
            # Nothing was stored: the words and the bar come back, not to waste (over no other answer).
            if self.model.open_contact == key and not composer.answer.mode:
                if mode == "edit":  # over what is typed, which comes back when the edit ends
                    composer.answering(mode, message, words_before, text)
                elif not composer.value.strip():
                    composer.answering(mode, message, words_before)
                    composer.set(text)
            self.host.report(code, words)

        words_before = composer.answer.words
        if mode == "edit":
            where = {k: v for k, v in _names(message).items() if k != "sender"}
            self.host.do(
                Command(
                    "edit_message",
                    lambda engine: engine.edit_message(message.message_id, text, **where),
                    self.changed,
                    failed=refused,
                )
            )
        else:
            self.host.do(
                Command(
                    "send_reply",
                    lambda engine: engine.send_reply(message.message_id, text, **_names(message)),
                    self.on_sent,
                    failed=refused,
                )
            )

    def _changing(self, name: str, call: Callable[[Engine], ev.MessageView]) -> None:
        self.host.do(Command(name, call, self.changed))

    def _show_details(self, details: ev.MessageDetails) -> None:
        if self.dialog is not None and self.dialog.winfo_exists():
            self.dialog.destroy()
        sections = details_sections(details, self.model.person)
        show = self.view.conversation.messages.fonts.text.show
        self.dialog = MessageDetailsDialog(self.view, self.host.palette, sections, show)

    def close(self) -> None:
        for window in (self.dialog, self.question):
            if window is not None and window.winfo_exists():
                window.destroy()
        self.dialog = self.question = None

    def handle(self, event: ev.MessageChanged) -> None:
        self.changed(event.message, removed=event.removed)

    def changed(self, message: ev.MessageView, *, removed: bool = False) -> None:
        """Redraw (or take away) that one bubble, if its conversation is the one shown."""
        if conversation_key(message) == self.model.open_contact:
            self.view.conversation.messages.changed(message, removed=removed)
        self.on_changed(message, removed)


def _names(message: ev.MessageView) -> dict[str, str]:
    """How the engine's action commands name a message's conversation and author."""
    if message.group_id:
        return {"group_id": message.group_id, "sender": message.sender}
    return {"contact": message.contact}
