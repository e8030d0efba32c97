"""The registration screen's flow: the phone number and e-mail, the code, the registration lock.

The open profile registers on its own server: a new profile, one whose account
the server deleted, or one moved in Settings to a server that does not know its
account (the number and the e-mail it has are filled in, and its keys, contacts
and history stay). Each step runs on the worker; a refusal comes back as a
sentence on the field it is about. Once registered, ``on_connected`` hands the
profile back to the onboarding, which brings up the main window.
"""

from __future__ import annotations

from collections.abc import Callable

from gui.controllers.host import Host
from gui.engine import Engine
from gui.view_models.forms import FormInvalid, RegistrationForm
from gui.view_models.wording import account_not_known, refusal_text
from gui.views.registration import RegistrationView
from gui.worker import Command
from net.client.core import events as ev


class RegistrationFlow:
    def __init__(self, host: Host, registration: RegistrationView) -> None:
        self.host, self.registration = host, registration
        #: Registered and logged in (the account's phone number): the main window may come up.
        self.on_connected: Callable[[str | None], None] = lambda _phone: None
        registration.on_send_code = self.send_code
        registration.on_finish = self.finish_registration

    def handle(self, event: ev.Event) -> bool:
        """Take the registration's own events; False for any other."""
        if isinstance(event, ev.CodeSent):
            self.registration.form.code_sent(event)
            self.registration.show_stage()
            return True
        return False

    def show(self, server: str, *, phone: str = "", email: str = "", message: str = "") -> None:
        """The registration screen for the open profile on ``server``, with what is known filled in."""
        self.registration.reset(server, phone, email)
        self.registration.show_error(message)
        self.host.show_screen(self.registration)

    def register_again(self) -> None:
        """The server deleted the account: the open profile may register anew."""
        self.show(
            self.host.session.server,
            message="Your account was deleted from the server. You can register again.",
        )

    def register_here(self, server: str) -> None:
        """The open profile's login was refused at ``server`` (moved there, or its account is gone):
        register on it, with the number and the e-mail the profile has filled in."""

        def call(engine: Engine) -> tuple[str, str]:
            return engine.phone or "", engine.email or ""

        def known(details: tuple[str, str]) -> None:
            phone, email = details
            self.show(server, phone=phone, email=email, message=account_not_known(server))

        self.host.do(Command("account_details", call, known))

    def send_code(self, form: RegistrationForm) -> None:
        try:
            phone, email = form.details()
        except FormInvalid as exc:
            form.server_errors = exc.errors
            self.registration.show_stage()
            return
        self.registration.show_stage()
        self.host.do(
            Command(
                "register_start", lambda engine: engine.register_start(phone, email), failed=self._refused
            ),
            busy="Asking the server for a code…",
        )

    def finish_registration(self, form: RegistrationForm) -> None:
        try:
            code = form.checked_code()
            lock = form.checked_lock()
        except FormInvalid as exc:
            form.server_errors = exc.errors
            self.registration.show_stage()
            return

        def call(engine: Engine) -> str | None:
            engine.register_finish(code, lock)
            return engine.phone

        self.host.do(
            Command("register_finish", call, self.on_connected, failed=self._refused, polls=True),
            busy="Creating your keys and registering…",
        )

    def _refused(self, code: str, text: str) -> None:
        self.registration.form.refused(code, refusal_text(code, text))
        self.registration.show_stage()
