"""The app: the window, its screens, the session, and the traffic between the controllers and the worker.

The window never waits. Every engine call goes to the worker as a typed
:class:`~gui.worker.Command` with a continuation (``then``) that runs back on
the Tk thread; the worker's events are drained with ``after`` in bounded
batches. Errors always end up in the window, in words a person understands.

The app is the controllers' :class:`~gui.controllers.host.Host`. It builds the views and
the controllers, wires what one controller's action means for another, and is
the only writer of the :class:`~gui.window_session.WindowSession`.
"""

from __future__ import annotations

import logging
import queue
import sys
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import platformdirs

from gui import preferences
from gui.controllers.backup import BackupController, Choosers
from gui.controllers.blocked import BlockedController
from gui.controllers.chat import ChatController
from gui.controllers.groups import GroupsController
from gui.controllers.notices import Notices
from gui.controllers.onboarding import Onboarding
from gui.controllers.privacy import PrivacyController
from gui.controllers.requests import RequestsController
from gui.controllers.search import SearchController
from gui.controllers.server_choice import ServerChoice
from gui.controllers.settings_actions import SettingsController
from gui.engine import Engine
from gui.local_server import FIRST_PORT, LocalServer
from gui.notifications import DesktopNotices
from gui.view_models.window_geometry import MINIMUM_SIZE, first_size, restored
from gui.view_models.wording import error_text, window_title
from gui.views import keyboard
from gui.views.main_view import MainView
from gui.views.registration import RegistrationView
from gui.views.server_key import ServerKeyView
from gui.views.theme import PALETTES, Palette, apply_theme, make_fonts, set_zoom, zoom_step
from gui.views.welcome import WelcomeView
from gui.window_session import WindowSession
from gui.worker import (
    Command,
    CommandDone,
    CommandFailed,
    CommandOutcome,
    EngineFactory,
    EngineWorker,
    Submitted,
    WorkerEvent,
)
from net.client.core import events as ev

log = logging.getLogger(__name__)

#: Events handled per tick of the drain loop, and how soon the next tick comes.
EVENTS_PER_TICK = 50
BUSY_TICK_MS = 5
IDLE_TICK_MS = 50

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
        self._place_window()
        keyboard.install(self.root)
        self.fonts = make_fonts(self.root)
        set_zoom(self.root, self.fonts, self.prefs.zoom)
        self._palette = PALETTES[self.prefs.theme]
        apply_theme(self.root, self._palette, self.fonts, self.prefs.zoom)

        self.worker = EngineWorker(make_engine or _default_engine(profiles_root))
        #: Commands on the worker, each with the busy text it shows (None: it shows none).
        self._pending: dict[Submitted, str | None] = {}
        self._after_id: str | None = None
        self._closed = False
        self._session = WindowSession(self.prefs.server)

        self.welcome = WelcomeView(self.root)
        self.server_key = ServerKeyView(self.root)
        self.registration = RegistrationView(self.root)
        self.main = MainView(self.root, self._palette, self.fonts)
        self.chat = ChatController(self, self.root, self.main)
        m = self.main
        self.groups = GroupsController(self, m, self.chat.model, m.new_group, m.members)
        self.search = SearchController(self, self.root, self.main)
        self.requests = RequestsController(self, self.root, self.main.conversations)
        self.settings = SettingsController(self, self.main)
        self.notices = Notices(self.chat.presence, self.chat.model, DesktopNotices())
        self.privacy = PrivacyController(self, self.main.settings.privacy, self.notices)
        self.blocked = BlockedController(self, self.main.settings.blocked)
        self.onboarding = Onboarding(
            self,
            welcome=self.welcome,
            server_key=self.server_key,
            registration=self.registration,
            main=self.main,
            local_server=self.local_server,
        )
        self.server_choice = ServerChoice(self, self.main.settings.server)
        self.backup = BackupController(self, self.main, self.welcome, choosers=choosers)
        self._screen: tk.Widget = self.welcome
        self._wire()
        self._restyle()
        self.root.protocol("WM_DELETE_WINDOW", self.close)
        self.welcome.pack(fill="both", expand=True)

        self.worker.start()
        self._after_id = self.root.after(IDLE_TICK_MS, self._drain)
        self.onboarding.show_welcome()

    def _place_window(self) -> None:
        """The size and place of the last run, fitted to this screen; the cards scroll below their size."""
        self.root.minsize(*MINIMUM_SIZE)
        screen = (self.root.winfo_screenwidth(), self.root.winfo_screenheight())
        saved = restored(self.prefs.geometry, screen)
        self.root.geometry(saved or first_size(screen))

    def _remember_window(self) -> None:
        if self.root.wm_state() == "normal":  # a maximised or minimised window keeps the last normal size
            self.prefs.geometry = self.root.wm_geometry()
            preferences.save(self.config_dir, self.prefs)

    def zoom(self, step: int) -> None:
        """Ctrl+plus (1), Ctrl+minus (-1), Ctrl+0 (0): every font and spacing of the window, remembered."""
        level = zoom_step(self.prefs.zoom, step)
        if level == self.prefs.zoom:
            return
        self.prefs.zoom = level
        preferences.save(self.config_dir, self.prefs)
        set_zoom(self.root, self.fonts, level)
        apply_theme(self.root, self._palette, self.fonts, level)
        self._restyle()

    # ------------------------------------------------------------------ plumbing

    def run(self) -> None:
        self.root.mainloop()

    def close(self) -> None:
        """Stop the drain loop, the worker (and with it the engine) and a local server we started."""
        if self._closed:
            return
        self._closed = True
        self._remember_window()
        if self._after_id is not None:
            self.root.after_cancel(self._after_id)
            self._after_id = None
        self.chat.close()
        self.search.close()
        self.notices.close()
        self.worker.stop()
        self.local_server.stop()
        self.root.destroy()

    def do(self, command: Command[T], *, busy: str | None = None) -> None:
        """Run ``command`` on the worker; its ``then(result)`` or ``failed(code, text)`` run here later."""
        self._pending[command] = busy
        if busy:
            self._set_busy(busy)
        if not self.worker.alive:  # the engine could not start (its start error is already shown)
            text = "Parley's engine is not running, so this cannot be done. Close Parley and start it again."
            self.worker.events.put(CommandFailed(command, "engine_stopped", text))
            return
        self.worker.submit(command)

    @property
    def busy(self) -> bool:
        return any(self._pending.values())

    @property
    def session(self) -> WindowSession:
        return self._session

    @property
    def palette(self) -> Palette:
        return self._palette

    def _drain(self) -> None:
        self._after_id = None
        handled = 0
        while handled < EVENTS_PER_TICK:
            try:
                event = self.worker.events.get_nowait()
            except queue.Empty:
                break
            handled += 1
            try:
                self._dispatch(event)
            except Exception:
                log.exception("handling %s failed", type(event).__name__)
                self.report("internal", "")
        self.chat.flush()
        self.notices.poll()
        self.requests.flush()
        if not self._closed:
            more = not self.worker.events.empty()
            self._after_id = self.root.after(BUSY_TICK_MS if more else IDLE_TICK_MS, self._drain)

    def _dispatch(self, event: WorkerEvent) -> None:
        if isinstance(event, CommandOutcome):
            busy = self._pending.pop(event.command, None)
            if busy and not self.busy:
                self._set_busy(None)
            if isinstance(event, CommandDone):
                event.deliver()
            elif isinstance(event, CommandFailed) and event.command.failed is not None:
                event.command.failed(event.code, error_text(event.code, event.message))
            elif isinstance(event, CommandFailed):
                self.report(event.code, event.message)
        elif isinstance(event, ev.ErrorReported):
            self.report(event.code, event.message)
        elif not any(c.handle(event) for c in (self.onboarding, self.requests, self.groups)):
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
        self._set_busy(next((b for b in self._pending.values() if b), None))

    @property
    def screen(self) -> tk.Widget:
        return self._screen

    def update_title(self) -> None:
        self.root.title(window_title(self.chat.model.total_unread, self._session.profile_name))

    def set_theme(self, name: str) -> None:
        self._palette = PALETTES.get(name, self._palette)
        self.prefs.theme = self._palette.name
        preferences.save(self.config_dir, self.prefs)
        apply_theme(self.root, self._palette, self.fonts, self.prefs.zoom)
        self._restyle()

    def _restyle(self) -> None:
        p = self._palette
        self.welcome.profiles.configure(
            background=p.field,
            foreground=p.text,
            selectbackground=p.selection,
            selectforeground=p.text,
            font=self.fonts.body,
            highlightbackground=p.border,
            highlightcolor=p.accent,
        )
        self.welcome.unusable_colour = p.muted
        self.welcome.draw_logo(p.surface, p.accent)
        self.main.restyle(p)
        self.chat.refresh_list()

    def _wire(self) -> None:
        """What one controller's action means for the others, and the window's shortcuts."""
        o, s, chat = self.onboarding, self.settings, self.chat
        o.on_closed, o.on_server_chosen, o.on_opened = self._closed_profile, self._server_chosen, self._opened
        o.on_phone, o.on_main_entered, o.on_online = self._phone_known, self._main_entered, chat.online
        chat.on_incoming, chat.on_seen = self.notices.message, self.notices.seen
        chat.presence.on_attention, self.notices.on_open = self.notices.attention, self._open_notified
        o.on_profile_server, o.on_profile_unlocked = self._profile_server, self._profile_unlocked
        o.last_profile = self.prefs.last_profile
        self.requests.on_accepted = self._request_accepted
        self.requests.on_group_accepted = self._group_joined
        self.requests.on_changed = self._blocked_changed
        self.requests.on_request, self.requests.on_opened = self.notices.request, self.notices.requests_seen
        self.notices.on_open_requests = self._open_requests_notified
        self.notices.on_unavailable = self.main.settings.privacy.show_unavailable
        s.on_logged_out, s.on_reconnecting, s.on_account_deleted = (
            chat.logged_out,
            chat.reconnecting,
            self._account_deleted,
        )
        pane = self.main.settings
        pane.on_back, pane.on_theme, pane.on_lock = chat.back, self.set_theme, o.lock
        self.search.on_open, self.search.on_leave = chat.open_found, self._leave_search
        self.root.bind("<Control-n>", lambda _e: self._shortcut(self.main.open_new_form))
        g = self.groups
        g.on_open, g.on_back, chat.group_subtitle = self._group_opened, chat.back, g.subtitle
        self.main.on_new_group = g.new_group
        for sequence in ("<Control-Shift-N>", "<Control-Shift-n>"):
            self.root.bind(sequence, lambda _e: self._shortcut(g.new_group))
        self.root.bind("<Control-f>", lambda _e: self._shortcut(self._focus_search))
        for sequence in ("<Control-Shift-F>", "<Control-Shift-f>"):  # Shift+f is "F", or "f" with Caps Lock
            self.root.bind(sequence, lambda _e: self._shortcut(self.search.focus))
        self.server_choice.on_server = self._profile_server
        self.server_choice.on_moving = lambda server: setattr(o, "moving_from", server)
        self.server_choice.on_not_known = o.registering.register_here
        self.main.on_settings = self._open_settings
        self.root.bind("<Control-comma>", lambda _e: self._shortcut(self._open_settings))
        # The previous or next conversation from anywhere in the main window, with Telegram's keys
        # (Ctrl+Tab is not one of them here: in the composer it types a tab).
        steps = {"<Alt-Up>": -1, "<Alt-Down>": 1, "<Control-Prior>": -1, "<Control-Next>": 1}
        for sequence, step in steps.items():
            self.root.bind(sequence, self._step_key(step))
        self.root.bind("<Escape>", lambda _e: self._shortcut(self._escape))
        scrolls = {"<Prior>": "up", "<Next>": "down", "<Control-Home>": "top", "<Control-End>": "bottom"}
        for sequence, how in scrolls.items():
            self.root.bind(sequence, self._scroll_key(how))
        for sequence, how in {"<Home>": "top", "<End>": "bottom"}.items():  # in a field they move the cursor
            self.root.bind(sequence, self._scroll_key(how, outside_fields=True))
        # Zoom works on every screen, the welcome card's too.
        zooms = {"plus": 1, "equal": 1, "KP_Add": 1, "minus": -1, "KP_Subtract": -1, "0": 0, "KP_0": 0}
        for key, step in zooms.items():
            self.root.bind(f"<Control-{key}>", self._zoom_key(step))

    def _scroll_key(self, how: str, *, outside_fields: bool = False) -> Callable[[tk.Event], str | None]:
        def pressed(event: tk.Event) -> str | None:
            if outside_fields and isinstance(event.widget, tk.Entry | tk.Text):
                return None
            return self._shortcut(lambda: self._scroll(how))

        return pressed

    def _step_key(self, step: int) -> Callable[[tk.Event], str | None]:
        def pressed(_event: tk.Event) -> str | None:
            contact = self.main.conversations.neighbour(step)
            return self._shortcut(lambda: self.chat.open(contact)) if contact else None

        return pressed

    def _zoom_key(self, step: int) -> Callable[[tk.Event], str]:
        def pressed(_event: tk.Event) -> str:
            self.zoom(step)
            return "break"

        return pressed

    def _open_notified(self, contact: str) -> None:
        """A notification was activated: its conversation opens in the raised window."""
        if self._screen is not self.main:
            return  # locked since: the profile's conversations are not the window's to show
        self.root.deiconify()
        self.root.lift()
        self.root.focus_force()
        self.chat.open(contact)

    def _open_requests_notified(self) -> None:
        """The requests' notification was activated: the requests window opens over the raised window."""
        if self._screen is not self.main:
            return
        self.root.deiconify()
        self.root.lift()
        self.requests.open()

    def _open_settings(self) -> None:
        self.settings.open_settings()
        self.server_choice.refresh()
        self.blocked.refresh()

    def _blocked_changed(self) -> None:
        """Blocked or unblocked elsewhere (the requests window): Settings, if shown, lists it at once."""
        if self._screen is self.main and self.main.pane is self.main.settings:
            self.blocked.refresh()

    def _shortcut(self, action: Callable[[], None]) -> str | None:
        if self._screen is not self.main:
            return None
        action()
        return "break"

    def _escape(self) -> None:
        """Escape steps back one level: the new-conversation form, a search, the details or settings.

        With results of a search across conversations in the sidebar, Escape in the
        conversation opened from them goes back to the results (the query kept);
        Escape in the search field clears it (the field handles that key itself).
        """
        main = self.main
        if main.new_form.winfo_manager():
            main.close_new_form()
        elif main.pane in (main.details, main.settings, main.members, main.new_group):
            self.chat.back()
        elif main.search_shown and self.root.focus_get() is not main.conversation.search:
            self.search.focus()
        elif main.pane is main.conversation:
            main.conversation.clear_search()

    def _leave_search(self) -> None:
        """The search field was left with Escape: the focus goes to the open conversation's composer."""
        if self.main.pane is self.main.conversation:
            self.main.conversation.text.focus_set()
        else:
            self.main.new_button.focus_set()

    def _focus_search(self) -> None:
        """Ctrl+F: the open conversation's search (shown first in a folded header), else the sidebar's."""
        if self.main.pane is self.main.conversation:
            self.main.conversation.focus_search()
        else:
            self.search.focus()

    def _scroll(self, how: str) -> None:
        if self.main.pane is self.main.conversation:
            self.main.conversation.scroll(how)

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
