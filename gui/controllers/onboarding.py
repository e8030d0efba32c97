"""Before the main window: profiles, the server's key, registration, and the local-server button.

These flows are a chain of worker commands and engine events: open a profile,
connect, answer the server-key question, register, then hand over to the main
window. Each step runs on the worker; its continuation runs back on the Tk
thread and chooses the next screen.

A registered profile goes back to its own server (kept inside it); the address
on the welcome screen is for a new profile. A profile open in another window
is refused with the engine's sentence, and the screen stays. The local server's
buttons and its restart after a drop are :mod:`gui.controllers.local_server_flow`'s;
the registration screen's steps are :mod:`gui.controllers.registration_flow`'s, and "Link to my
account" is :mod:`gui.controllers.link_flow`'s.
"""

from __future__ import annotations

from collections.abc import Callable

from gui.controllers.host import Host
from gui.controllers.link_flow import LinkFlow
from gui.controllers.local_server_flow import SERVER_KEY_CODES, LocalServerFlow
from gui.controllers.registration_flow import RegistrationFlow
from gui.engine import Engine
from gui.local_server import LocalServer, LocalServerError, running_address
from gui.view_models.forms import FormInvalid, NewProfileForm, format_server_address, parse_server_address
from gui.view_models.wording import local_server_restarted, unreachable_offer
from gui.views.link_device import LinkDeviceView
from gui.views.main_view import MainView
from gui.views.registration import RegistrationView
from gui.views.server_key import ServerKeyView
from gui.views.welcome import WelcomeView
from gui.worker import Command
from net.client.core import events as ev
from net.protocol.validation import ValidationError


class Onboarding:
    """The screens before the main window; what the session learns goes to the app through ``on_*``."""

    def __init__(
        self,
        host: Host,
        *,
        welcome: WelcomeView,
        server_key: ServerKeyView,
        registration: RegistrationView,
        link: LinkDeviceView,
        main: MainView,
        local_server: LocalServer,
    ) -> None:
        self.host, self.main, self.local_server = host, main, local_server
        self.welcome, self.server_key, self.registration = welcome, server_key, registration
        #: True while the server-key screen waits for the person's decision.
        self._key_question = False
        #: The welcome screen is shown: no profile is open any more.
        self.on_closed: Callable[[], None] = lambda: None
        #: The person chose this server address (``host:port``) for a new profile.
        self.on_server_chosen: Callable[[str], None] = lambda _server: None
        #: The open profile uses this server (its own, kept inside it): the window shows it, keeps no default.
        self.on_profile_server: Callable[[str], None] = lambda _server: None
        #: A profile was unlocked or created in this window (its id): the unlock list preselects it next time.
        self.on_profile_unlocked: Callable[[str], None] = lambda _profile_id: None
        #: A move in Settings to another server waits for its key: the server to go back to if refused.
        self.moving_from: str | None = None
        #: The profile this window unlocked last, preselected in the list.
        self.last_profile: str = ""
        self.local = LocalServerFlow(
            host, local_server, welcome=welcome, registration=registration, main=main
        )
        self.local.on_connected = self._connected
        self.registering = RegistrationFlow(host, registration)
        self.registering.on_connected = self._connected
        self.linking = LinkFlow(host, link)
        self.linking.on_linked = self._connected
        self.linking.on_back = lambda: self.registering.show(self.host.session.server)
        self.link = link
        registration.on_link = self.linking.start
        #: The server refused this computer: it was unlinked from the account.
        self.on_unlinked: Callable[[], None] = lambda: None
        #: A profile is open: its name, and its phone number if it has registered.
        self.on_opened: Callable[[str, str | None], None] = lambda _name, _phone: None
        #: The engine now knows the account's phone number (None: not registered yet).
        self.on_phone: Callable[[str | None], None] = lambda _phone: None
        #: The main window came up for this profile; its conversations should load.
        self.on_main_entered: Callable[[], None] = lambda: None
        #: The engine logged in to the server.
        self.on_online: Callable[[], None] = lambda: None
        self.welcome.on_unlock = self.unlock
        self.welcome.on_create = self.create_profile
        self.welcome.on_start_server = self.local.start_local_server
        self.server_key.on_accept = self.accept_server_key
        self.server_key.on_cancel = self.refuse_server_key
        self.registration.on_cancel = self.lock
        self.registration.on_start_server = self.local.start_for_profile

    def handle(self, event: ev.Event) -> bool:
        """Take the engine events of the screens before the main window; False for any other."""
        if isinstance(event, ev.ConnectionChanged):
            if event.state is ev.ConnectionState.RECONNECTING:
                self.local.check_after_drop()
            return False  # the chat pane shows the state
        if self.registering.handle(event) or self.linking.handle(event):
            return True
        if isinstance(event, ev.ServerKeyUnknown):
            self._server_key_unknown(event)
        elif isinstance(event, ev.ServerKeyChanged):
            self._server_key_changed(event)
        elif isinstance(event, ev.LoggedIn):
            self._logged_in(event)
        elif isinstance(event, ev.ReregistrationRequested):
            self._reregistration_requested(event)
        else:
            return isinstance(event, ev.Registered)  # LoggedIn follows, and says all the window needs
        return True

    # ------------------------------------------------------------------ welcome

    def show_welcome(self, message: str = "") -> None:
        self._key_question = False
        self.moving_from = None
        self.on_closed()
        running = running_address(self.local_server.data_dir)
        self.welcome.server_var.set(self.local_server.address or running or self.host.session.server)
        if running and not self.local_server.running:
            # It may have outlived the window that started it: say where it is, not who started it.
            self.welcome.server_note.configure(
                text=f"Parley's local server runs on this computer at {running}."
            )
        self.welcome.local_button.configure(
            text="Use the local server on this computer"
            if running
            else "Start a local server on this computer"
        )
        self.welcome.show_error(message)
        self.host.show_screen(self.welcome)
        self.host.do(Command("list_profiles", lambda engine: engine.list_profiles(), self._show_profiles))

    def _show_profiles(self, profiles: list[ev.ProfileEntry]) -> None:
        self.welcome.show_profiles(profiles)
        # This window's last profile, unless another window has it open now.
        if self.last_profile and not self.welcome.in_use(self.last_profile):
            self.welcome.select_profile(self.last_profile)

    def _server_address(self) -> tuple[str, int] | None:
        try:
            host, port = parse_server_address(self.welcome.server_var.get())
        except ValidationError as exc:
            self.welcome.show_error(str(exc))
            return None
        self.on_server_chosen(format_server_address(host, port))
        return host, port

    def unlock(self, profile_id: str, passphrase: str) -> None:
        self.welcome.show_error("")

        def call(engine: Engine) -> tuple[str, str | None, str | None]:
            engine.unlock(profile_id, passphrase)
            return engine.profile_name or "", engine.phone, engine.server

        def failed(code: str, text: str) -> None:
            if code == "wrong_passphrase":  # said once, under the field it is about
                self.welcome.passphrase.error(text)
                self.welcome.passphrase.entry.select_range(0, "end")
            else:
                self.welcome.show_error(text)

        def opened(profile: tuple[str, str | None, str | None]) -> None:
            name, phone, own = profile
            self._remember(profile_id)
            # A registered profile goes back to its own server; a new one takes the address chosen here.
            address = _parsed(own) if phone is not None and own else None
            if address is not None:
                self.on_profile_server(format_server_address(*address))
            else:
                address = self._server_address()
            if address is None:
                text = str(self.welcome.error.cget("text"))
                self.host.do(
                    Command(
                        "lock", lambda engine: engine.lock(), lambda _r: self.show_welcome(text), polls=False
                    )
                )
                return
            self._opened(name, phone, address)

        self.host.do(
            Command("unlock", call, opened, failed=failed),
            busy="Opening your profile…",
        )

    def _remember(self, profile_id: str) -> None:
        self.last_profile = profile_id
        self.on_profile_unlocked(profile_id)

    def create_profile(self, form: NewProfileForm) -> None:
        try:
            new = form.cleaned()
        except FormInvalid as exc:
            self.welcome.show_form_errors(exc.errors)
            return
        self.welcome.show_form_errors({})
        self.welcome.show_error("")
        address = self._server_address()
        if address is None:
            return

        def call(engine: Engine) -> tuple[str, str, str | None]:
            # The label is all the header shows; the display name goes inside the encrypted database.
            profile_id = engine.create_profile(new.label, new.passphrase, display_name=new.display_name)
            return profile_id, engine.profile_name or new.display_name, engine.phone

        def opened(profile: tuple[str, str, str | None]) -> None:
            self._remember(profile[0])
            self._opened(profile[1], profile[2], address)

        self.host.do(
            Command(
                "create_profile",
                call,
                opened,
                failed=lambda _c, t: self.welcome.show_error(t),
            ),
            busy="Creating your profile…",
        )

    def _opened(self, name: str, phone: str | None, address: tuple[str, int]) -> None:
        self.welcome.clear_secrets()
        self.on_opened(name, phone)
        host, port = address
        server = format_server_address(host, port)
        local = self.local_server
        #: What became of the local server on the way, in words: started again, or why it could not be.
        said: list[str] = []

        def call(engine: Engine) -> str | None:
            if local.serves(server):
                # It had stopped (or hung): this window starts it again. If it cannot, that is said.
                try:
                    if (found := local.ensure()).started:
                        said.append(local_server_restarted(found.address, hung=found.hung))
                except LocalServerError as exc:
                    said.append(str(exc))
            engine.set_server(host, port)
            engine.connect()
            return engine.phone

        def told() -> None:
            if said and self.host.screen is self.main:
                self.main.show_notice(said[0])

        def connected(phone: str | None) -> None:
            self._connected(phone)
            told()

        def failed(code: str, text: str) -> None:
            self._connect_failed(code, text)
            told()  # why the local server is not there says more than "could not reach"

        self.host.do(
            Command("connect", call, connected, failed=failed, polls=True),
            busy=f"Connecting to {server}…",
        )

    def _connected(self, phone: str | None) -> None:
        self.on_phone(phone)
        if self._key_question:
            return  # the server's key waits for the person's decision; that decides what comes next
        if phone is None:
            self.registering.show(self.host.session.server)
        else:
            self.enter_main()

    def _connect_failed(self, code: str, text: str) -> None:
        if code in SERVER_KEY_CODES:
            return  # the server-key screen, shown by its event, explains it
        if code == "device_unlinked" and self.host.session.phone is not None:
            # For good: trying again would only be refused again. The history stays readable.
            self.enter_main()
            self.on_unlinked()
            return
        if code == "login_failed" and self.host.session.phone is not None:
            # Refused for good, not busy: this server does not know the account (a move in Settings to
            # another server, or the account is gone). The profile registers there and keeps the rest.
            self.registering.register_here(self.host.session.server)
        elif self.host.session.phone is not None:
            self.enter_main()
            self.main.show_notice(f"{text} Parley keeps trying in the background.")
            self.host.do(Command("retry_connect", lambda engine: None, polls=True))
        elif code == "connection_failed":
            # A new profile and no server: it stays open, and the error offers the local server.
            self.registering.show(self.host.session.server)
            self.registration.offer_local_server(unreachable_offer(self.host.session.server))
        else:
            self.host.do(
                Command("lock", lambda engine: engine.lock(), lambda _r: self.show_welcome(text), polls=False)
            )

    # ------------------------------------------------------------------ the server's key

    def _server_key_unknown(self, event: ev.ServerKeyUnknown) -> None:
        self._key_question = True
        matches = self.local_server.vouches_for(event.fingerprint)
        self.server_key.first_contact(event.address, event.fingerprint, matches_local=matches)
        self.host.show_screen(self.server_key)

    def _server_key_changed(self, event: ev.ServerKeyChanged) -> None:
        self._key_question = True
        self.server_key.changed(event.address, event.pinned, event.presented)
        self.host.show_screen(self.server_key)

    def _stay_with(self, server: str, address: tuple[str, int]) -> None:
        """A move in Settings stopped at the new server's key: the profile goes back to its server."""
        self.on_profile_server(server)

        def call(engine: Engine) -> str | None:
            engine.set_server(*address)
            engine.connect()
            return engine.phone

        def back(phone: str | None) -> None:
            self._connected(phone)
            self.main.show_notice(f"You stopped at the new server's key, so this profile stays at {server}.")

        command = Command("connect", call, back, failed=self._connect_failed, polls=True)
        self.host.do(command, busy="Connecting…")

    def accept_server_key(self, fingerprint: str) -> None:
        self._key_question = False
        self.moving_from = None

        def call(engine: Engine) -> str | None:
            engine.accept_server_key(fingerprint)
            engine.connect()
            return engine.phone

        self.host.do(
            Command("accept_server_key", call, self._connected, failed=self._connect_failed, polls=True),
            busy="Connecting…",
        )

    def refuse_server_key(self) -> None:
        self._key_question = False
        back, self.moving_from = self.moving_from, None
        if back is not None and (address := _parsed(back)) is not None:
            self._stay_with(back, address)
            return
        message = "Parley did not connect: you stopped at the server's key. Your profile is locked again."
        self.host.do(
            Command("lock", lambda engine: engine.lock(), lambda _r: self.show_welcome(message), polls=False)
        )

    # ------------------------------------------------------------------ registration

    def _reregistration_requested(self, event: ev.ReregistrationRequested) -> None:
        self.main.show_notice(reregistration_words(event.sent_to))

    def _logged_in(self, event: ev.LoggedIn) -> None:
        self.on_phone(event.phone)
        if self.host.screen in (self.registration, self.link):
            self.enter_main()
        self.on_online()

    # ------------------------------------------------------------------ main window and profile

    def enter_main(self) -> None:
        session = self.host.session
        self.main.set_profile(session.profile_name or "", session.phone or "")
        if self.host.screen is not self.main:
            self.host.show_screen(self.main)
            self.on_main_entered()

    def register_again(self) -> None:
        """The server deleted the account: the open profile may register anew."""
        self.registering.register_again()

    def lock(self) -> None:
        self.host.do(
            Command("lock", lambda engine: engine.lock(), lambda _r: self.show_welcome(), polls=False)
        )


def _parsed(address: str) -> tuple[str, int] | None:
    try:
        return parse_server_address(address)
    except ValidationError:
        return None


def reregistration_words(sent_to: str) -> str:
    return (
        "Someone just asked the server for a code to register your phone number on another device. "
        f"The code went to your e-mail address on file ({sent_to}); nothing has changed. If it was not you, "
        "share the code with nobody, and set a registration lock in Settings."
    )
