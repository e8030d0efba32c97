"""The local server from the window: start or find it, offer it when no server answers, restart it.

The welcome screen's button and the offer beside "could not reach" find the
local server or start it (:meth:`gui.local_server.LocalServer.ensure`, on the
worker: it may wait for a process to come up). After a drop from the local
server, the window looks whether it is gone and, if so, starts it again on its
port and says so once; the engine then connects at once rather than after its
backoff (a second window, which finds the server running, reconnects the same way).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from gui.controllers.host import Host
from gui.engine import Engine
from gui.local_server import Found, LocalServer, LocalServerError
from gui.view_models.forms import parse_server_address
from gui.view_models.wording import local_server_restarted
from gui.views.main_view import MainView
from gui.views.registration import RegistrationView
from gui.views.welcome import WelcomeView
from gui.worker import Command
from net.client.core.engine_error import EngineError

SERVER_KEY_CODES = frozenset({"server_key_unknown", "server_key_changed"})


class LocalServerFlow:
    def __init__(
        self,
        host: Host,
        local_server: LocalServer,
        *,
        welcome: WelcomeView,
        registration: RegistrationView,
        main: MainView,
    ) -> None:
        self.host, self.local_server = host, local_server
        self.welcome, self.registration, self.main = welcome, registration, main
        #: A new profile connected to the local server it started: the onboarding goes on from here.
        self.on_connected: Callable[[str | None], None] = lambda _phone: None
        #: True while a check of the local server (after a drop) runs: one at a time.
        self._watching = False

    def start_local_server(self) -> None:
        """The welcome screen's button: find the local server, or start it; its address goes in the field."""

        def found(result: Found) -> None:
            self.welcome.local_button.configure(state="normal")
            self.welcome.server_var.set(result.address)
            self.welcome.show_error("")  # "could not reach" is gone with its cause
            self.welcome.server_note.configure(
                text=f"A local server runs at {result.address} until you close this window. For a second "
                "profile, open Parley again (python main.py): it finds this server by itself."
                if result.started
                else f"Using the local server another Parley window started, at {result.address}."
            )

        self.welcome.local_button.configure(state="disabled")
        self.host.do(
            Command("local_server", self._ensure_local, found, failed=self._local_server_failed),
            busy="Starting a local server…",
        )

    def start_for_profile(self) -> None:
        """The offer beside "could not reach": start the local server, then connect the new profile to it."""

        def call(engine: Engine) -> str | None:
            address = self._ensure_local(engine).address
            engine.set_server(*parse_server_address(address))
            engine.connect()
            return engine.phone

        def failed(code: str, text: str) -> None:
            if code not in SERVER_KEY_CODES:
                self.registration.show_error(text)

        self.registration.show_error("")
        self.host.do(
            Command("local_server", call, self.on_connected, failed=failed, polls=True),
            busy="Starting a local server…",
        )

    def _ensure_local(self, _engine: Engine) -> Found:
        try:
            return self.local_server.ensure()
        except LocalServerError as exc:
            raise _Refusal("local_server", str(exc)) from None

    def _local_server_failed(self, _code: str, text: str) -> None:
        self.welcome.local_button.configure(state="normal")
        self.welcome.show_error(text)

    def check_after_drop(self) -> None:
        """The connection dropped: if it was to the local server and that is gone, start it again."""
        server = self.host.session.server
        if self._watching or self.host.session.profile_name is None or not self.local_server.serves(server):
            return
        self._watching = True

        def call(engine: Engine) -> Found:
            found = self._ensure_local(engine)
            # At once, not after the backoff: the server answers now. If not, the link keeps
            # trying with its backoff, and its state says so.
            with contextlib.suppress(EngineError):
                engine.connect()
            return found

        def done(found: Found) -> None:
            self._watching = False
            if found.started:
                self.main.show_notice(local_server_restarted(found.address, hung=found.hung))

        def failed(_code: str, text: str) -> None:
            self._watching = False
            self.main.show_notice(text)

        self.host.do(Command("local_server_watch", call, done, failed=failed, polls=True))


class _Refusal(Exception):
    """An error with a code and words for a person, shaped like the engine's own."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message
