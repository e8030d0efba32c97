"""Message requests in the window: the row above the conversations, the requests window, its buttons.

Every engine call goes to the worker as a :class:`~gui.worker.Command`; the
window never waits. What a stranger sends never reaches the conversation list:
the engine reports it as :class:`~net.client.core.events.RequestReceived`, and
this controller only redraws the requests row (once per batch of events) and,
when it is open, the requests window. An accepted request becomes a
conversation: ``on_accepted(phone)`` lets the app open it.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable

from gui.controllers.host import Host
from gui.engine import Engine
from gui.view_models.requests_model import GROUP_KEY, requests_row
from gui.views.conversation_list import ConversationList
from gui.views.requests_dialog import RequestsDialog
from gui.worker import Command
from net.client.core import events as ev

#: How many of a request's newest messages the requests window shows.
SHOWN = 50


class RequestsController:
    def __init__(self, host: Host, root: tk.Tk, conversations: ConversationList) -> None:
        self.host, self.root, self.conversations = host, root, conversations
        self.count, self.dropped = 0, 0
        self.dialog: RequestsDialog | None = None
        self.on_accepted: Callable[[ev.ContactView], None] = lambda _contact: None
        #: A group invitation was accepted: its conversation can open.
        self.on_group_accepted: Callable[[ev.GroupView], None] = lambda _group: None
        #: The requests or the blocked numbers changed (a number blocked or unblocked, a message dropped).
        self.on_changed: Callable[[], None] = lambda: None
        #: A stranger's message landed in the requests (the event's view; once per sender and batch).
        self.on_request: Callable[[ev.RequestView], None] = lambda _request: None
        #: The requests window opened: the requests are being looked at.
        self.on_opened: Callable[[], None] = lambda: None
        conversations.on_requests = self.open
        self._dirty = False

    def reset(self) -> None:
        self.count, self.dropped = 0, 0
        self.conversations.show_requests("", "")
        if self.dialog is not None:
            self.dialog.destroy()
            self.dialog = None

    def load(self) -> None:
        def call(engine: Engine) -> tuple[int, int]:
            return len(engine.requests()) + len(engine.group_requests()), engine.dropped_from_blocked()

        self.host.do(Command("requests", call, self._counted))

    def handle(self, event: object) -> bool:
        if isinstance(event, ev.GroupChanged) and (event.group.standing == "request" or event.removed):
            self.load()  # an invitation came (or went): the row counts it, the window lists it
            self._dirty = True
            return False  # the groups' controller hears it too
        if isinstance(event, ev.RequestsChanged):
            self._counted((event.count, event.dropped))
            self.load()  # the event counts people; the row counts group invitations too
            self.on_changed()
            return True
        if isinstance(event, ev.RequestReceived):
            self._dirty = True
            self.on_request(event.request)
            return True
        return False

    def flush(self) -> None:
        """After a batch of events: refresh the open requests window once, however many arrived."""
        if self._dirty and self.dialog is not None:
            self.refresh()
        self._dirty = False

    def _counted(self, counts: tuple[int, int]) -> None:
        self.count, self.dropped = counts
        self.conversations.show_requests(*requests_row(self.count, self.dropped))

    # ------------------------------------------------------------------ the requests window

    def open(self) -> None:
        if self.dialog is None or not self.dialog.winfo_exists():
            dialog = self.dialog = RequestsDialog(self.root, self.host.palette)
            dialog.on_pick = self._pick
            dialog.on_accept = self.accept
            dialog.on_block = self.block
            dialog.on_delete = self.delete
            dialog.protocol("WM_DELETE_WINDOW", self._closed)
        self.dialog.lift()
        self.on_opened()
        self.refresh()

    def _closed(self) -> None:
        if self.dialog is not None:
            self.dialog.destroy()
        self.dialog = None

    def refresh(self, *, close_when_empty: bool = False) -> None:
        def call(engine: Engine) -> list[ev.RequestView | ev.GroupRequest]:
            return [*engine.requests(), *engine.group_requests()]

        def shown(requests: list[ev.RequestView | ev.GroupRequest]) -> None:
            if self.dialog is None or not self.dialog.winfo_exists():
                return
            if close_when_empty and not requests:
                self._closed()  # the last one is answered: nothing is left to look at
                return
            self.dialog.show(requests, requests_row(len(requests), self.dropped)[1])

        self.host.do(Command("requests", call, shown))

    def _pick(self, phone: str) -> None:
        def shown(messages: list[ev.MessageView]) -> None:
            if self.dialog is not None and self.dialog.winfo_exists() and self.dialog.selected == phone:
                self.dialog.show_messages(messages)

        key = phone.removeprefix(GROUP_KEY)  # a group's messages are its history, by its id
        self.host.do(Command("request", lambda engine: engine.history(key, limit=SHOWN), shown))

    def accept(self, phone: str) -> None:
        if phone.startswith(GROUP_KEY):
            group_id = phone.removeprefix(GROUP_KEY)

            def joined(group: ev.GroupView) -> None:
                self.refresh(close_when_empty=True)
                self.load()
                self.on_group_accepted(group)

            self.host.do(
                Command("accept_group", lambda engine: engine.accept_group_request(group_id), joined)
            )
            return

        def accepted(contact: ev.ContactView) -> None:
            self.refresh(close_when_empty=True)
            self.on_accepted(contact)

        self.host.do(Command("accept_request", lambda engine: engine.accept_request(phone), accepted))

    def block(self, phone: str) -> None:
        group_id = phone.removeprefix(GROUP_KEY)

        def call(engine: Engine) -> None:  # a group's invitation blocks whoever added us
            engine.block_group_inviter(group_id) if phone.startswith(GROUP_KEY) else engine.block(phone)

        self.host.do(Command("block", call, lambda _r: self._answered()))

    def _answered(self) -> None:
        self.refresh(close_when_empty=True)
        self.load()

    def delete(self, phone: str) -> None:
        self.host.do(
            Command(
                "delete_request",
                lambda engine: (
                    engine.decline_group_request(phone.removeprefix(GROUP_KEY))
                    if phone.startswith(GROUP_KEY)
                    else engine.delete_request(phone)
                ),
                lambda _r: self._answered(),
            )
        )
