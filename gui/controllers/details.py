"""The open contact's details: the safety number to compare, the verified mark, the name, a changed key.

Opened from the conversation's header (or a key-change note in the timeline);
it shows the contact with its safety number, and with the number before the
change when the key changed while the window was open (the engine's
``ContactKeyChanged`` names it; :meth:`DetailsController.key_changed` keeps it).
What it changes (verified, the name, an accepted key) goes out through
:attr:`DetailsController.on_contact_updated`, so that the conversations'
controller redraws the header, the list and the warning; it shares the
:class:`ChatModel` with that controller and never calls it.
"""

from __future__ import annotations

from collections.abc import Callable

from gui.controllers.host import Host
from gui.engine import Engine
from gui.view_models.chat_model import ChatModel
from gui.views.main_view import MainView
from gui.worker import Command
from net.client.core import events as ev
from net.protocol.validation import ValidationError, validate_display_name


class DetailsController:
    def __init__(self, host: Host, view: MainView, model: ChatModel) -> None:
        self.host, self.view, self.model = host, view, model
        #: A contact's view came back changed: the header, the list and the warning follow it.
        self.on_contact_updated: Callable[[ev.ContactView], None] = lambda _c: None
        #: The open contact's new key was accepted: its warning goes and held texts are sent.
        self.on_key_accepted: Callable[[], None] = lambda: None
        #: The safety number before a key change seen in this window, by phone.
        self._previous_numbers: dict[str, str] = {}
        d = view.details
        d.on_verified, d.on_rename, d.on_accept_key = self.set_verified, self.rename, self.accept_key_change

    def reset(self) -> None:
        self._previous_numbers.clear()

    def key_changed(self, phone: str, previous_safety_number: str) -> None:
        """A contact's key changed: the details show the number before it beside the new one."""
        self._previous_numbers[phone] = previous_safety_number

    def open(self) -> None:
        contact = self.model.open_contact
        if contact is None:
            return

        def shown(result: tuple[ev.ContactView, str]) -> None:
            view, number = result
            self.model.set_contact(view)
            self.view.details.show(view, number, self._previous_numbers.get(contact))
            self.view.show_pane(self.view.details)

        self.host.do(
            Command("details", lambda engine: (engine.contact(contact), engine.safety_number(contact)), shown)
        )

    def set_verified(self, verified: bool) -> None:
        contact = self.model.open_contact
        if contact is None:
            return

        def verify(engine: Engine) -> ev.ContactView:
            engine.set_verified(contact, verified)
            return engine.contact(contact)

        self.host.do(Command("verify", verify, lambda view: self.on_contact_updated(view)))

    def rename(self, name_text: str) -> None:
        contact = self.model.open_contact
        if contact is None:
            return
        try:
            name = validate_display_name(name_text) if name_text.strip() else ""
        except ValidationError as exc:
            self.view.show_notice(str(exc))
            return

        def rename(engine: Engine) -> ev.ContactView:
            engine.rename_contact(contact, name)
            return engine.contact(contact)

        self.host.do(Command("rename", rename, self._renamed))

    def _renamed(self, contact: ev.ContactView) -> None:
        self.on_contact_updated(contact)
        self.view.details.name.configure(text=contact.name or contact.phone)

    def accept_key_change(self) -> None:
        """The person accepts the contact's new key (from the warning or here): held texts go out."""
        contact = self.model.open_contact
        if contact is None:
            return

        def accepted(view: ev.ContactView) -> None:
            self.model.key_changed.discard(contact)
            self.on_contact_updated(view)
            self.model.key_changed.discard(contact)
            self.on_key_accepted()
            if self.view.pane is self.view.details:
                self.open()

        def accept(engine: Engine) -> ev.ContactView:
            engine.accept_key_change(contact)
            return engine.contact(contact)

        self.host.do(Command("accept_key", accept, accepted))
