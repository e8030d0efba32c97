"""The app: the window, its screens, the session, and the traffic between the controllers and the worker.

The window never waits. Every engine call goes to the worker as a typed
:class:`~gui.worker.Command` with a continuation (``then``) that runs back on
the Tk thread (:mod:`gui.command_loop` sends them and drains the worker's events
in bounded batches). Errors always end up in the window, in words a person understands.

The app is the controllers' :class:`~gui.controllers.host.Host`. It builds the views and
the controllers, wires what one controller's action means for another, and is
the only writer of the :class:`~gui.window_session.WindowSession`.
"""

from __future__ import annotations

import logging
import sys
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import platformdirs

from gui import preferences
from gui.activation import Activation
from gui.appearance import Appearance
from gui.command_loop import CommandLoop
from gui.controllers.backup import BackupController, Choosers
from gui.controllers.blocked import BlockedController
from gui.controllers.chat import ChatController
from gui.controllers.devices import DevicesController, is_unlinked
from gui.controllers.groups import GroupsController
from gui.controllers.notices import Notices
from gui.controllers.onboarding import Onboarding
from gui.controllers.privacy import PrivacyController
from gui.controllers.profile_picture import ProfilePictureController
from gui.controllers.requests import RequestsController
from gui.controllers.search import SearchController
from gui.controllers.server_choice import ServerChoice
from gui.controllers.settings_actions import SettingsController
from gui.engine import Engine
from gui.local_server import FIRST_PORT, LocalServer
from gui.notifications import DesktopNotices
from gui.shortcuts import Shortcuts
from gui.view_models.wording import error_text, window_title
from gui.views import keyboard
from gui.views.link_device import LinkDeviceView
from gui.views.main_view import MainView
from gui.views.registration import RegistrationView
from gui.views.server_key import ServerKeyView
from gui.views.theme import Palette
from gui.views.welcome import WelcomeView
from gui.window_session import WindowSession
from gui.worker import (
    Command,
    EngineFactory,
    EngineWorker,
)
from net.client.core import events as ev

T = TypeVar("T")


def _default_engine(profiles_root: Path | None) -> EngineFactory:
    def make(emit: Callable[[ev.Event], None]) -> Engine:
        from net.client.messenger import Messenger

        return Messenger(profiles_root, emit)

    return make


class App:
    def __init__(
        self,
        *,
        profiles_root: Path | None = None,
        config_dir: Path | None = None,
        local_server_dir: Path | None = None,
        local_server_port: int = FIRST_PORT,
        make_engine: EngineFactory | None = None,
        root: tk.Tk | None = None,
        choosers: Choosers | None = None,
    ) -> None:
        self.root = root or tk.Tk(className="Parley")
        self.root.title("Parley")
        self.config_dir = (
            config_dir if config_dir is not None else platformdirs.user_config_path("Parley", False)
        )
        data = platformdirs.user_data_path("Parley", False)
        local_dir = local_server_dir or data / "local-server"
        self.local_server = LocalServer(local_dir, first_port=local_server_port)
        self.prefs = preferences.load(self.config_dir)
        self.look = Appearance(self.root, self.config_dir, self.prefs)
        keyboard.install(self.root)
        self.fonts = self.look.fonts

        self.worker = EngineWorker(make_engine or _default_engine(profiles_root))
        self.commands = CommandLoop(
            self.root,
            self.worker,
            show_busy=self._set_busy,
            report=self.report,
            handle=self._handle,
            after_batch=self._after_batch,
        )
        self._closed = False
        self._session = WindowSession(self.prefs.server)

        self.welcome = WelcomeView(self.root)
        self.server_key = ServerKeyView(self.root)
        self.registration = RegistrationView(self.root)
        self.link_device = LinkDeviceView(self.root)
        self.main = MainView(self.root, self.palette, self.fonts)
        self.chat = ChatController(self, self.root, self.main)
        m = self.main
        self.groups = GroupsController(self, m, self.chat.model, m.new_group, m.members)
        self.search = SearchController(self, self.root, self.main)
        self.requests = RequestsController(self, self.root, self.main.conversations)
        self.settings = SettingsController(self, self.main)
        self.notices = Notices(self.chat.presence, self.chat.model, DesktopNotices())
        self.privacy = PrivacyController(self, self.main.settings.privacy, self.notices)
        self.blocked = BlockedController(self, self.main.settings.blocked)
        self.devices = DevicesController(self, self.main, self.main.settings.devices)
        choosers = choosers or Choosers.platform()
        self.picture = ProfilePictureController(self, self.main.settings.picture, choosers.open_picture)
        self.onboarding = Onboarding(
            self,
            welcome=self.welcome,
            server_key=self.server_key,
            registration=self.registration,
            link=self.link_device,
            main=self.main,
            local_server=self.local_server,
        )
        self.server_choice = ServerChoice(self, self.main.settings.server)
        self.backup = BackupController(self, self.main, self.welcome, choosers=choosers)
        self.keys = Shortcuts(
            self,
            self.root,
            self.main,
            self.chat,
            self.search,
            new_group=self.groups.new_group,
            open_settings=self._open_settings,
            zoom=self.zoom,
        )
        self.activation = Activation(self, self.root, self.main, self.chat, self.requests)
        self._screen: tk.Widget = self.welcome
        self._wire()
        self.look.on_restyle = self._restyle
        self._restyle()
        self.root.protocol("WM_DELETE_WINDOW", self.close)
        self.welcome.pack(fill="both", expand=True)

        self.commands.start()
        self.onboarding.show_welcome()

    def zoom(self, step: int) -> None:
        """Ctrl+plus (1), Ctrl+minus (-1), Ctrl+0 (0): every font and spacing of the window, remembered."""
        self.look.zoom(step)

    # ------------------------------------------------------------------ plumbing

    def run(self) -> None:
        self.root.mainloop()

    def close(self) -> None:
        """Stop the drain loop, the worker (and with it the engine) and a local server we started."""
        if self._closed:
            return
        self._closed = True
        self.look.remember_window()
        self.commands.stop()
        self.chat.close()
        self.devices.close()
        self.search.close()
        self.notices.close()
        self.worker.stop()
        self.local_server.stop()
        self.root.destroy()

    def do(self, command: Command[T], *, busy: str | None = None) -> None:
        """Run ``command`` on the worker; its ``then(result)`` or ``failed(code, text)`` run here later."""
        self.commands.do(command, busy=busy)

    @property
    def busy(self) -> bool:
        return self.commands.busy

    @property
    def session(self) -> WindowSession:
        return self._session

    @property
    def palette(self) -> Palette:
        return self.look.palette

    def _handle(self, event: ev.Event) -> None:
        """An engine event that is no command's outcome: the first controller that knows it takes it."""
        if not any(c.handle(event) for c in (self.onboarding, self.devices, self.requests, self.groups)):
            self.chat.handle(event)

    def _after_batch(self) -> None:
        """After each batch of events: what the controllers gathered is drawn once."""
        self.chat.flush()
        self.notices.poll()
        self.requests.flush()

    def report(self, code: str, message: str) -> None:
        """Show an error in the window, wherever the person is looking now."""
        if is_unlinked(code, message):
            self.devices.unlinked()  # for good, and said as such, whichever way the server said it
            return
        text = error_text(code, message)
        if self._screen is self.main:
            self.main.show_notice(text)
        else:
            self._screen.show_error(text)  # type: ignore[attr-defined]

    def _set_busy(self, text: str | None) -> None:
        for view in (self.welcome, self.server_key, self.registration, self.link_device, self.main):
            view.set_busy(text if view is self._screen else None)

    def show_screen(self, screen: tk.Widget) -> None:
        if screen is not self._screen:
            self._screen.pack_forget()
            screen.pack(fill="both", expand=True)
            self._screen = screen
        self._set_busy(self.commands.busy_text)

    @property
    def screen(self) -> tk.Widget:
        return self._screen

    def update_title(self) -> None:
        self.root.title(window_title(self.chat.model.total_unread, self._session.profile_name))

    def set_theme(self, name: str) -> None:
        self.look.set_theme(name)

    def _restyle(self) -> None:
        """After a zoom or a change of theme: what draws its own colours is drawn again."""
        self.welcome.restyle(self.look.palette, self.fonts.body)
        self.main.restyle(self.look.palette)
        self.main.settings.picture.restyle()
        self.chat.refresh_list()

    def _wire(self) -> None:
        """What one controller's action means for the others (the window's keys: :mod:`gui.shortcuts`)."""
        o, s, chat = self.onboarding, self.settings, self.chat
        o.on_closed, o.on_server_chosen, o.on_opened = self._closed_profile, self._server_chosen, self._opened
        o.on_phone, o.on_main_entered, o.on_online = self._phone_known, self._main_entered, chat.online
        chat.on_incoming, chat.on_seen = self.notices.message, self.notices.seen
        chat.presence.on_attention = self.notices.attention
        o.on_profile_server, o.on_profile_unlocked = self._profile_server, self._profile_unlocked
        o.last_profile = self.prefs.last_profile
        self.requests.on_accepted = self._request_accepted
        self.requests.on_group_accepted = self._group_joined
        self.requests.on_changed = self._blocked_changed
        self.requests.on_request, self.requests.on_opened = self.notices.request, self.notices.requests_seen
        act = self.activation
        self.notices.on_open, self.notices.on_open_requests = act.conversation, act.requests
        self.notices.on_unavailable = self.main.settings.privacy.show_unavailable
        s.on_logged_out, s.on_reconnecting, s.on_account_deleted = (
            chat.logged_out,
            chat.reconnecting,
            self._account_deleted,
        )
        pane = self.main.settings
        pane.on_back, pane.on_theme, pane.on_lock = chat.back, self.set_theme, o.lock
        self.search.on_open, self.search.on_leave = chat.open_found, self.keys.leave_search
        g = self.groups
        g.on_open, g.on_back, chat.group_subtitle = self._group_opened, chat.back, g.subtitle
        self.main.on_new_group = g.new_group
        self.server_choice.on_server = self._profile_server
        self.server_choice.on_moving = lambda server: setattr(o, "moving_from", server)
        self.server_choice.on_not_known = o.registering.register_here
        o.on_unlinked = self.devices.unlinked
        self.devices.on_unlinked = self._unlinked
        self.main.on_settings = self._open_settings
        self.keys.install()

    def _open_settings(self) -> None:
        self.settings.open_settings()
        self.server_choice.refresh()
        self.blocked.refresh()
        self.devices.refresh()
        self.picture.refresh()

    def _blocked_changed(self) -> None:
        """Blocked or unblocked elsewhere (the requests window): Settings, if shown, lists it at once."""
        if self._screen is self.main and self.main.pane is self.main.settings:
            self.blocked.refresh()

    # ------------------------------------------------------------------ the session: written here only

    def _main_entered(self) -> None:
        # The keyboard starts in the conversation list: Down and Enter open a conversation at once.
        self.main.conversations.canvas.focus_set()
        self.chat.model.me = self._session.phone or ""
        self.chat.load()
        self.groups.load()
        self.privacy.load()
        self.requests.load()
        self.notices.check()  # Settings says at once if this desktop cannot show notifications

    def _group_joined(self, group: ev.GroupView) -> None:
        self.chat.model.set_group(group)
        self._group_opened(group.group_id)

    def _group_opened(self, group_id: str) -> None:
        self.chat.refresh_list()
        self.chat.open(group_id)

    def _request_accepted(self, contact: ev.ContactView) -> None:
        """An accepted request is a conversation now: load the list again and open it."""
        self.chat.load()
        self.chat.open(contact.phone)

    def _closed_profile(self) -> None:
        # The profile's own server goes with it: a new profile starts from the app's default again.
        self._session = self._session.closed().with_server(self.prefs.server)
        self.search.reset()
        self.notices.reset()
        self.requests.reset()
        self.chat.reset()
        self.update_title()

    def _server_chosen(self, server: str) -> None:
        """The default for a new profile (the local server's address too: it keeps its port)."""
        self._session = self._session.with_server(server)
        self.prefs.server = server
        preferences.save(self.config_dir, self.prefs)

    def _profile_server(self, server: str) -> None:
        """The open profile's own server: shown in this window, never made the default of others."""
        self._session = self._session.with_server(server)

    def _profile_unlocked(self, profile_id: str) -> None:
        self.prefs.last_profile = profile_id
        preferences.save(self.config_dir, self.prefs)

    def _opened(self, profile_name: str, phone: str | None) -> None:
        self._session = self._session.opened(profile_name, phone)
        self.update_title()

    def _phone_known(self, phone: str | None) -> None:
        self._session = self._session.with_phone(phone)

    def _unlinked(self) -> None:
        """Unlinked: the status says so, without the Log in button (the server refuses this computer)."""
        self.main.set_status("Unlinked from your account", self.palette.muted)

    def _account_deleted(self) -> None:
        self._session = self._session.with_phone(None)
        self.search.reset()
        self.requests.reset()
        self.chat.reset()
        self.onboarding.register_again()


def run(profiles_root: Path | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app = App(profiles_root=profiles_root)
    except tk.TclError as exc:  # no screen to open a window on (e.g. over ssh without X forwarding)
        print(f"parley: the app needs a graphical display and could not open one ({exc}).", file=sys.stderr)
        return 1
    app.run()
    return 0
