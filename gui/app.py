"""The app's controller: the window, its screens, and the traffic between them and the worker.

The window never waits. Every engine call goes to the worker as a command with
a continuation (``then``) that runs back on the Tk thread; the worker's events
are drained with ``after`` in bounded batches. Errors always end up in the
window, in words a person understands.
"""

from __future__ import annotations

import hmac
import itertools
import logging
import sys
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from typing import Any

import platformdirs

from gui import preferences
from gui.chat import ChatController
from gui.forms import (
    FormInvalid,
    NewProfileForm,
    RegistrationForm,
    format_server_address,
    parse_server_address,
)
from gui.local_server import LocalServer, LocalServerError, running_address
from gui.main_view import MainView
from gui.registration import RegistrationView
from gui.server_key import ServerKeyView
from gui.theme import PALETTES, apply_theme, make_fonts
from gui.welcome import WelcomeView
from gui.wording import error_text, window_title
from gui.worker import Command, CommandDone, CommandFailed, EngineFactory, EngineWorker
from net import events as ev
from net.validation import ValidationError

log = logging.getLogger(__name__)

#: Events handled per tick of the drain loop, and how soon the next tick comes.
BATCH = 50
BUSY_TICK_MS = 5
IDLE_TICK_MS = 50
_SERVER_KEY_CODES = {"server_key_unknown", "server_key_changed"}

Then = Callable[[Any], None]
Failed = Callable[[str, str], None]


def _default_engine(profiles_root: Path | None) -> EngineFactory:
    def make(emit: Callable[[ev.Event], None]) -> Any:
        from net.messenger import Messenger

        return Messenger(profiles_root, emit)

    return make


class App:
    def __init__(
        self,
        *,
        profiles_root: Path | None = None,
        config_dir: Path | None = None,
        local_server_dir: Path | None = None,
        make_engine: EngineFactory | None = None,
        root: tk.Tk | None = None,
    ) -> None:
        self.root = root or tk.Tk(className="Parley")
        self.root.title("Parley")
        self.root.geometry("1120x740")
        self.root.minsize(820, 560)
        self.config_dir = (
            config_dir if config_dir is not None else platformdirs.user_config_path("Parley", False)
        )
        data = platformdirs.user_data_path("Parley", False)
        self.local_server = LocalServer(local_server_dir or data / "local-server")
        self.prefs = preferences.load(self.config_dir)
        self.fonts = make_fonts(self.root)
        self.palette = PALETTES[self.prefs.theme]
        apply_theme(self.root, self.palette, self.fonts)

        self.worker = EngineWorker(make_engine or _default_engine(profiles_root))
        self._tags = itertools.count(1)
        self._pending: dict[str, tuple[Then | None, Failed | None, str | None]] = {}
        self._after_id: str | None = None
        self._closed = False
        self.profile_name: str | None = None
        self.phone: str | None = None
        self.server = self.prefs.server
        self._key_question = False

        self.welcome = WelcomeView(self.root)
        self.server_key = ServerKeyView(self.root)
        self.registration = RegistrationView(self.root)
        self.main = MainView(self.root, self.palette, self.fonts)
        self.chat = ChatController(self)
        self._screen: tk.Widget = self.welcome
        self._wire()
        self._restyle()
        self.root.protocol("WM_DELETE_WINDOW", self.close)
        self.welcome.pack(fill="both", expand=True)

        self.worker.start()
        self._after_id = self.root.after(IDLE_TICK_MS, self._drain)
        self.show_welcome()

    # ------------------------------------------------------------------ plumbing

    def run(self) -> None:
        self.root.mainloop()

    def close(self) -> None:
        """Stop the drain loop, the worker (and with it the engine) and a local server we started."""
        if self._closed:
            return
        self._closed = True
        if self._after_id is not None:
            self.root.after_cancel(self._after_id)
            self._after_id = None
        self.chat.close()
        self.worker.stop()
        self.local_server.stop()
        self.root.destroy()

    def do(
        self,
        what: str,
        call: Callable[[Any], object],
        then: Then | None = None,
        *,
        failed: Failed | None = None,
        busy: str | None = None,
        polls: bool | None = None,
    ) -> None:
        """Run ``call(engine)`` on the worker; ``then(result)`` or ``failed(code, text)`` run here later."""
        tag = f"{what}#{next(self._tags)}"
        self._pending[tag] = (then, failed, busy)
        if busy:
            self._set_busy(busy)
        self.worker.submit(Command(tag, call, polls))

    @property
    def busy(self) -> bool:
        return any(busy for _, _, busy in self._pending.values())

    def _drain(self) -> None:
        self._after_id = None
        handled = 0
        while handled < BATCH:
            try:
                event = self.worker.events.get_nowait()
            except Exception:  # queue.Empty
                break
            handled += 1
            try:
                self._dispatch(event)
            except Exception:
                log.exception("handling %s failed", type(event).__name__)
                self.report("internal", "")
        self.chat.flush()
        if not self._closed:
            more = not self.worker.events.empty()
            self._after_id = self.root.after(BUSY_TICK_MS if more else IDLE_TICK_MS, self._drain)

    def _dispatch(self, event: object) -> None:
        if isinstance(event, CommandDone | CommandFailed):
            then, failed, busy = self._pending.pop(event.tag, (None, None, None))
            if busy and not self.busy:
                self._set_busy(None)
            if isinstance(event, CommandDone):
                if then is not None:
                    then(event.result)
            elif failed is not None:
                failed(event.code, error_text(event.code, event.message))
            else:
                self.report(event.code, event.message)
            return
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)
        else:
            self.chat.handle(event)

    def report(self, code: str, message: str) -> None:
        """Show an error in the window, wherever the person is looking now."""
        text = error_text(code, message)
        if self._screen is self.main:
            self.main.show_notice(text)
        else:
            self._screen.show_error(text)  # type: ignore[attr-defined]

    def _set_busy(self, text: str | None) -> None:
        for view in (self.welcome, self.server_key, self.registration, self.main):
            view.set_busy(text if view is self._screen else None)

    def show_screen(self, screen: tk.Widget) -> None:
        if screen is not self._screen:
            self._screen.pack_forget()
            screen.pack(fill="both", expand=True)
            self._screen = screen
        self._set_busy(next((b for _, _, b in self._pending.values() if b), None))

    @property
    def screen(self) -> tk.Widget:
        return self._screen

    def update_title(self) -> None:
        self.root.title(window_title(self.chat.model.total_unread, self.profile_name))

    def set_theme(self, name: str) -> None:
        self.palette = PALETTES.get(name, self.palette)
        self.prefs.theme = self.palette.name
        preferences.save(self.config_dir, self.prefs)
        apply_theme(self.root, self.palette, self.fonts)
        self._restyle()

    def _restyle(self) -> None:
        p = self.palette
        self.welcome.profiles.configure(
            background=p.field,
            foreground=p.text,
            selectbackground=p.selection,
            selectforeground=p.text,
            font=self.fonts.body,
            highlightbackground=p.border,
            highlightcolor=p.accent,
        )
        self.main.restyle(p)
        self.chat.refresh_list()

    def _wire(self) -> None:
        self._handlers: dict[type, Callable[[Any], None]] = {
            ev.ServerKeyUnknown: self._server_key_unknown,
            ev.ServerKeyChanged: self._server_key_changed,
            ev.CodeSent: self._code_sent,
            ev.Registered: lambda e: None,
            ev.LoggedIn: self._logged_in,
            ev.ErrorReported: lambda e: self.report(e.code, e.message),
        }
        self.welcome.on_unlock = self.unlock
        self.welcome.on_create = self.create_profile
        self.welcome.on_start_server = self.start_local_server
        self.server_key.on_accept = self.accept_server_key
        self.server_key.on_cancel = self.refuse_server_key
        self.registration.on_send_code = self.send_code
        self.registration.on_finish = self.finish_registration
        self.registration.on_cancel = self.lock
        self.root.bind("<Control-n>", lambda _e: self._shortcut(self.main.open_new_form))
        self.root.bind("<Control-f>", lambda _e: self._shortcut(self._focus_search))
        self.root.bind("<Control-comma>", lambda _e: self._shortcut(self.chat.open_settings))

    def _shortcut(self, action: Callable[[], None]) -> str | None:
        if self._screen is not self.main:
            return None
        action()
        return "break"

    def _focus_search(self) -> None:
        if self.main.pane is self.main.conversation:
            self.main.conversation.search.focus_set()

    # ------------------------------------------------------------------ welcome

    def show_welcome(self, message: str = "") -> None:
        self.profile_name = self.phone = None
        self._key_question = False
        self.chat.reset()
        self.update_title()
        running = running_address(self.local_server.data_dir)
        self.welcome.server_var.set(self.local_server.address or running or self.server)
        if running and not self.local_server.running:
            self.welcome.server_note.configure(
                text=f"A local server started by another Parley window runs at {running}."
            )
        self.welcome.show_error(message)
        self.show_screen(self.welcome)
        self.do("list_profiles", lambda engine: engine.list_profiles(), self.welcome.show_profiles)

    def _server_address(self) -> tuple[str, int] | None:
        try:
            host, port = parse_server_address(self.welcome.server_var.get())
        except ValidationError as exc:
            self.welcome.show_error(str(exc))
            return None
        self.server = format_server_address(host, port)
        self.prefs.server = self.server
        preferences.save(self.config_dir, self.prefs)
        return host, port

    def unlock(self, profile_id: str, passphrase: str) -> None:
        address = self._server_address()
        if address is None:
            return
        self.welcome.show_error("")

        def call(engine: Any) -> tuple[str, str | None]:
            engine.unlock(profile_id, passphrase)
            return engine.profile_name, engine.phone

        def failed(code: str, text: str) -> None:
            self.welcome.show_error(text)
            if code == "wrong_passphrase":
                self.welcome.passphrase.error(text)
                self.welcome.passphrase.entry.select_range(0, "end")

        self.do(
            "unlock", call, lambda r: self._opened(*r, address), failed=failed, busy="Opening your profile…"
        )

    def create_profile(self, form: NewProfileForm) -> None:
        try:
            name, passphrase = form.cleaned()
        except FormInvalid as exc:
            self.welcome.show_form_errors(exc.errors)
            return
        self.welcome.show_form_errors({})
        address = self._server_address()
        if address is None:
            return

        def call(engine: Any) -> tuple[str, str | None]:
            engine.create_profile(name, passphrase)
            return engine.profile_name or name, engine.phone

        self.do(
            "create_profile",
            call,
            lambda r: self._opened(*r, address),
            failed=lambda _c, t: self.welcome.show_error(t),
            busy="Creating your profile…",
        )

    def _opened(self, name: str, phone: str | None, address: tuple[str, int]) -> None:
        self.welcome.clear_secrets()
        self.profile_name, self.phone = name, phone
        self.update_title()
        host, port = address

        def call(engine: Any) -> str | None:
            engine.set_server(host, port)
            engine.connect()
            return engine.phone

        self.do(
            "connect",
            call,
            self._connected,
            failed=self._connect_failed,
            busy=f"Connecting to {self.server}…",
            polls=True,
        )

    def _connected(self, phone: str | None) -> None:
        self.phone = phone
        if self._key_question:
            return  # the server's key waits for the person's decision; that decides what comes next
        if phone is None:
            self.registration.reset(self.server)
            self.show_screen(self.registration)
        else:
            self.enter_main()

    def _connect_failed(self, code: str, text: str) -> None:
        if code in _SERVER_KEY_CODES:
            return  # the server-key screen, shown by its event, explains it
        if self.phone is not None:
            self.enter_main()
            self.main.show_notice(f"{text} Parley keeps trying in the background.")
            self.chat.connection(ev.ConnectionChanged(ev.ConnectionState.OFFLINE))
            self.do("retry_connect", lambda engine: None, polls=True)
        else:
            self.do("lock", lambda engine: engine.lock(), lambda _r: self.show_welcome(text), polls=False)

    # ------------------------------------------------------------------ the server's key

    def _server_key_unknown(self, event: ev.ServerKeyUnknown) -> None:
        self._key_question = True
        matches = _same_fingerprint(self.local_server.fingerprint, event.fingerprint)
        self.server_key.first_contact(event.address, event.fingerprint, matches_local=matches)
        self.show_screen(self.server_key)

    def _server_key_changed(self, event: ev.ServerKeyChanged) -> None:
        self._key_question = True
        self.server_key.changed(event.address, event.pinned, event.presented)
        self.show_screen(self.server_key)

    def accept_server_key(self, fingerprint: str) -> None:
        self._key_question = False

        def call(engine: Any) -> str | None:
            engine.accept_server_key(fingerprint)
            engine.connect()
            return engine.phone

        self.do(
            "accept_server_key",
            call,
            self._connected,
            failed=self._connect_failed,
            busy="Connecting…",
            polls=True,
        )

    def refuse_server_key(self) -> None:
        self._key_question = False
        message = "Parley did not connect: you stopped at the server's key. Your profile is locked again."
        self.do("lock", lambda engine: engine.lock(), lambda _r: self.show_welcome(message), polls=False)

    # ------------------------------------------------------------------ registration

    def send_code(self, form: RegistrationForm) -> None:
        try:
            phone, email = form.details()
        except FormInvalid as exc:
            form.server_errors = exc.errors
            self.registration.show_stage()
            return
        self.registration.show_stage()
        self.do(
            "register_start",
            lambda engine: engine.register_start(phone, email),
            failed=self._refused,
            busy="Asking the server for a code…",
        )

    def _code_sent(self, event: ev.CodeSent) -> None:
        self.registration.form.code_sent(event)
        self.registration.show_stage()

    def finish_registration(self, form: RegistrationForm) -> None:
        try:
            code = form.checked_code()
        except FormInvalid as exc:
            self.registration.code.error(exc.errors["code"])
            return

        def call(engine: Any) -> str | None:
            engine.register_finish(code)
            return engine.phone

        self.do(
            "register_finish",
            call,
            self._connected,
            failed=self._refused,
            busy="Creating your keys and registering…",
            polls=True,
        )

    def _refused(self, code: str, text: str) -> None:
        self.registration.form.refused(code, text)
        self.registration.show_stage()

    def _logged_in(self, event: ev.LoggedIn) -> None:
        self.phone = event.phone
        if self._screen is self.registration:
            self.enter_main()
        self.chat.connection(ev.ConnectionChanged(ev.ConnectionState.CONNECTED))

    # ------------------------------------------------------------------ main window and profile

    def enter_main(self) -> None:
        self.main.set_profile(self.profile_name or "", self.phone or "")
        if self._screen is not self.main:
            self.show_screen(self.main)
            self.chat.load()

    def lock(self) -> None:
        self.do("lock", lambda engine: engine.lock(), lambda _r: self.show_welcome(), polls=False)

    # ------------------------------------------------------------------ the local server

    def start_local_server(self) -> None:
        running = running_address(self.local_server.data_dir)
        if running and not self.local_server.running:
            self.welcome.server_var.set(running)
            self.welcome.server_note.configure(
                text=f"Using the local server another Parley window started, at {running}."
            )
            return

        def started(address: object) -> None:
            self.welcome.server_var.set(str(address))
            self.welcome.server_note.configure(
                text=f"A local server runs at {address} until you close this window. For a second profile, "
                "open Parley again (python main.py): it finds this server by itself."
            )

        def call(_engine: Any) -> str:
            try:
                return self.local_server.start()
            except LocalServerError as exc:
                raise _Refusal("local_server", str(exc)) from None

        self.welcome.local_button.configure(state="disabled")
        self.do(
            "local_server", call, started, failed=self._local_server_failed, busy="Starting a local server…"
        )

    def _local_server_failed(self, _code: str, text: str) -> None:
        self.welcome.local_button.configure(state="normal")
        self.welcome.show_error(text)


def _same_fingerprint(ours: str | None, theirs: str) -> bool:
    def bare(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch in "0123456789abcdef")

    return ours is not None and hmac.compare_digest(bare(ours), bare(theirs))


class _Refusal(Exception):
    """An error with a code and words for a person, shaped like the engine's own."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def run(profiles_root: Path | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app = App(profiles_root=profiles_root)
    except tk.TclError as exc:  # no screen to open a window on (e.g. over ssh without X forwarding)
        print(f"parley: the app needs a graphical display and could not open one ({exc}).", file=sys.stderr)
        return 1
    app.run()
    return 0
