"""Settings, "Server": show the open profile's server and its pinned key, and move the profile to another.

The new address is checked before anything is sent; the engine then connects
there. A key this profile never pinned brings up the pinning question (the
onboarding's server-key screen, through its events); the same key at a new
address is trusted without asking. A server that refuses the login does not
know the account: ``on_not_known`` takes the person to registration there.
Other errors are sentences in the section.
"""

from __future__ import annotations

from collections.abc import Callable

from gui.controllers.host import Host
from gui.engine import Engine
from gui.view_models.forms import format_server_address, parse_server_address
from gui.views.server_settings import ServerSection
from gui.worker import Command
from net.protocol.validation import ValidationError

_KEY_QUESTIONS = {"server_key_unknown", "server_key_changed"}


class ServerChoice:
    def __init__(self, host: Host, section: ServerSection) -> None:
        self.host, self.section = host, section
        #: The open profile now uses this server (``host:port``).
        self.on_server: Callable[[str], None] = lambda _server: None
        #: A move starts from this server: where the profile goes back if the new key is refused
        #: (None: the move is over, with no question left).
        self.on_moving: Callable[[str | None], None] = lambda _server: None
        #: The profile moved to this server, which refused its login: it registers there.
        self.on_not_known: Callable[[str], None] = lambda _server: None
        section.on_change = self.change

    def refresh(self) -> None:
        """Read the profile's server and its pin (on the worker) into the section."""

        def call(engine: Engine) -> tuple[str | None, str | None]:
            return engine.server, engine.server_fingerprint

        self.host.do(Command("server_details", call, lambda found: self.section.show(*found)))

    def change(self, text: str) -> None:
        try:
            host, port = parse_server_address(text)
        except ValidationError as exc:
            self.section.show_error(str(exc))
            return
        server = format_server_address(host, port)
        self.on_moving(self.host.session.server)

        def call(engine: Engine) -> tuple[str | None, str | None]:
            engine.set_server(host, port)
            engine.connect()
            return engine.server, engine.server_fingerprint

        def done(found: tuple[str | None, str | None]) -> None:
            self.on_moving(None)
            self.on_server(server)
            self.section.show(*found)

        def failed(code: str, words: str) -> None:
            self.on_server(server)  # the profile keeps the new address, and keeps trying it
            if code in _KEY_QUESTIONS:  # the server-key screen, shown by its event, asks
                return
            self.on_moving(None)
            if code == "login_failed":
                self.on_not_known(server)
            else:
                self.section.show_error(words)

        self.host.do(Command("change_server", call, done, failed=failed, polls=True), busy="Connecting…")
