"""The controllers' host: they run against a small recording Host, without the App, and import no peer.

Each controller gets a host that records what it is asked (commands, screens,
errors, titles) and the real views on a real Tk root; commands are run against
a small engine and their outcomes delivered by hand, the way the app's drain
loop would. The import checks read the source (ast), so a new cycle cannot creep in.
"""

from __future__ import annotations

import ast
import tkinter as tk
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
)

from gui.controllers.chat import ChatController
from gui.controllers.host import Host
from gui.controllers.onboarding import Onboarding
from gui.controllers.settings_actions import SettingsController
from gui.local_server import LocalServer
from gui.views.link_device import LinkDeviceView
from gui.views.main_view import MainView
from gui.views.registration import RegistrationView
from gui.views.server_key import ServerKeyView
from gui.views.theme import LIGHT, Palette, apply_theme, make_fonts
from gui.views.welcome import WelcomeView
from gui.window_session import WindowSession
from gui.worker import Command, CommandDone, CommandFailed
from net.client.core import events as ev

T = TypeVar("T")
GUI = Path(__file__).resolve().parents[2] / "gui"
CONTROLLERS = {
    "gui.controllers.chat",
    "gui.controllers.settings_actions",
    "gui.controllers.onboarding",
    "gui.controllers.backup",
}
ALICE, BOB = "+442079460101", "+442079460202"


class RecordingHost:
    """A Host that records what a controller asks of it; the test plays the app's part."""

    def __init__(self, session: WindowSession) -> None:
        self.session = session
        self.palette: Palette = LIGHT
        self.screen: tk.Widget | None = None
        self.commands: list[tuple[Command[Any], str | None]] = []
        self.reports: list[tuple[str, str]] = []
        self.titles = 0

    @property
    def busy(self) -> bool:
        return any(busy for _, busy in self.commands)

    def do(self, command: Command[T], *, busy: str | None = None) -> None:
        self.commands.append((command, busy))

    def show_screen(self, screen: tk.Widget) -> None:
        self.screen = screen

    def report(self, code: str, message: str) -> None:
        self.reports.append((code, message))

    def update_title(self) -> None:
        self.titles += 1


class CallRecordingEngine:
    """Records each engine call by name; returns what the controllers' commands need."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        def call(*args: object, **kwargs: object) -> None:
            self.calls.append(name)

        return call


def run(command: Command[T], engine: object) -> T:
    """What the worker and the drain loop do, in one step: run the call, deliver its result."""
    done = CommandDone(command, command.call(engine))  # type: ignore[arg-type]
    done.deliver()
    return done.result


@pytest.fixture
def root(display: None) -> Iterator[tk.Tk]:
    root = tk.Tk()
    apply_theme(root, LIGHT, make_fonts(root))
    yield root
    root.destroy()


@pytest.fixture
def main(root: tk.Tk) -> MainView:
    return MainView(root, LIGHT, make_fonts(root))


def test_the_app_class_offers_every_member_of_the_host() -> None:
    from gui.app import App

    wanted = {name for name in vars(Host) if not name.startswith("_")}
    assert wanted == {"session", "palette", "screen", "busy", "do", "show_screen", "report", "update_title"}
    assert all(hasattr(App, name) for name in wanted)


# ---------------------------------------------------------------------- settings


def test_logging_out_is_a_command_and_its_meaning_goes_out_through_a_callback(main: MainView) -> None:
    host = RecordingHost(WindowSession("localhost:7700", "Alice", ALICE))
    settings = SettingsController(host, main)
    heard: list[str] = []
    settings.on_logged_out = lambda: heard.append("logged out")
    settings.logout()
    [(command, busy)] = host.commands
    assert (command.name, command.polls, busy) == ("logout", False, None)
    assert heard == []  # nothing happens before the engine has done it
    engine = CallRecordingEngine()
    run(command, engine)
    assert engine.calls == ["logout"] and heard == ["logged out"]


def test_reconnecting_says_so_first_and_a_failure_lands_in_the_notice_bar(main: MainView) -> None:
    host = RecordingHost(WindowSession("localhost:7700", "Alice", ALICE))
    settings = SettingsController(host, main)
    heard: list[str] = []
    settings.on_reconnecting = lambda: heard.append("reconnecting")
    settings.reconnect()
    assert heard == ["reconnecting"]
    [(command, busy)] = host.commands
    assert (command.name, command.polls, busy) == ("connect", True, "Connecting…")
    assert command.failed is not None
    command.failed("connection_lost", "The server could not be reached.")
    assert main.notice_shown == "The server could not be reached."


def test_the_settings_pane_opens_on_the_host_palette(main: MainView) -> None:
    host = RecordingHost(WindowSession("localhost:7700"))
    host.palette = LIGHT
    settings = SettingsController(host, main)
    main.settings.theme_var.set("dark")
    settings.open_settings()
    assert main.pane is main.settings and main.settings.theme_var.get() == LIGHT.name


# ---------------------------------------------------------------------- chat


def test_the_chat_reads_the_own_number_from_the_session_and_asks_nothing(root: tk.Tk, main: MainView) -> None:
    host = RecordingHost(WindowSession("localhost:7700", "Alice", ALICE))
    chat = ChatController(host, root, main)
    chat.new_conversation(ALICE, "Me")
    assert host.commands == []
    assert "your own number" in str(main.new_phone.note.cget("text"))
    chat.new_conversation(BOB, "Bob")
    [(command, busy)] = host.commands
    assert command.name == "add_contact" and busy == "Setting up a secure conversation…"


def test_the_connection_line_names_the_session_server(root: tk.Tk, main: MainView) -> None:
    host = RecordingHost(WindowSession("chat.example.org:7700", "Alice", ALICE))
    chat = ChatController(host, root, main)
    chat.connection(ev.ConnectionChanged(ev.ConnectionState.CONNECTING))
    assert "chat.example.org:7700" in str(main.status.cget("text"))
    chat.logged_out()
    assert str(main.status.cget("text")).startswith("Logged out")


def test_a_refused_send_reports_through_the_host(root: tk.Tk, main: MainView) -> None:
    host = RecordingHost(WindowSession("localhost:7700", "Alice", ALICE))
    chat = ChatController(host, root, main)
    chat.open(BOB)
    host.commands.clear()
    chat.send("hello")
    [(command, _busy)] = host.commands
    assert command.name == "send" and command.failed is not None
    command.failed("disk_full", "The disk is full.")
    assert host.reports == [("disk_full", "The disk is full.")]
    assert main.conversation.text.get("1.0", "end-1c") == "hello"  # the words came back to the composer


# ---------------------------------------------------------------------- onboarding


@pytest.fixture
def onboarding(root: tk.Tk, main: MainView, tmp_path: Path) -> tuple[Onboarding, RecordingHost]:
    host = RecordingHost(WindowSession("localhost:7700"))
    views = {
        "welcome": WelcomeView(root),
        "server_key": ServerKeyView(root),
        "registration": RegistrationView(root),
        "link": LinkDeviceView(root),
    }
    return Onboarding(host, main=main, local_server=LocalServer(tmp_path / "ls"), **views), host


def test_link_to_my_account_asks_for_a_code_and_a_finished_link_brings_up_the_main_window(
    onboarding: tuple[Onboarding, RecordingHost],
) -> None:
    flow, host = onboarding
    heard: list[object] = []
    flow.on_phone = heard.append
    host.screen = flow.registration
    flow.registration.link_button.invoke()
    assert host.screen is flow.link
    [(command, _busy)] = host.commands
    engine = CallRecordingEngine()
    run(command, engine)
    assert engine.calls == ["link_start"] and command.polls is True
    assert not flow.handle(ev.LinkComparison("123 456", "existing"))  # the other end's: not this screen's
    assert flow.handle(ev.LinkCodeShown("ABCD-EFGH-IJKL-MNOP", "parley-link:ABCDEFGHIJKLMNOP"))
    assert flow.link.stage == "code" and flow.link.code == "ABCD-EFGH-IJKL-MNOP"
    assert flow.handle(ev.LinkComparison("123 456", "new"))
    assert flow.link.stage == "compare"
    assert flow.handle(ev.LinkFinished(ALICE, 2))
    assert heard == [ALICE] and host.screen is flow.main
    assert not flow.handle(ev.LinkFinished(ALICE, 3))  # no link of this computer under way any more


def test_logging_in_tells_the_app_the_phone_and_that_it_is_online(
    onboarding: tuple[Onboarding, RecordingHost],
) -> None:
    flow, host = onboarding
    heard: list[object] = []
    flow.on_phone, flow.on_online = heard.append, lambda: heard.append("online")
    host.screen = flow.registration
    assert flow.handle(ev.LoggedIn(ALICE))
    assert heard == [ALICE, "online"]
    assert host.screen is flow.main  # from the registration screen, the main window comes up


def test_events_of_the_main_window_are_left_to_the_chat(onboarding: tuple[Onboarding, RecordingHost]) -> None:
    flow, _host = onboarding
    assert not flow.handle(ev.ConnectionChanged(ev.ConnectionState.CONNECTED))
    assert flow.handle(ev.Registered(ALICE))


def test_unlock_asks_the_engine_and_a_registered_profile_keeps_its_own_server(
    onboarding: tuple[Onboarding, RecordingHost],
) -> None:
    flow, host = onboarding
    chosen: list[str] = []
    own: list[str] = []
    flow.on_server_chosen, flow.on_profile_server = chosen.append, own.append
    flow.welcome.server_var.set("chat.example.org:7700")
    flow.unlock("profile-1", "a long passphrase here")
    [(command, busy)] = host.commands
    assert command.name == "unlock" and busy == "Opening your profile…"
    assert "a long passphrase here" not in repr(command)
    # the profile is registered on its own server: the welcome field is not asked at all
    assert command.then is not None
    command.then(("Alice", "+12025550143", "home.example.org:5000"))
    assert own == ["home.example.org:5000"] and chosen == []
    assert flow.last_profile == "profile-1"


def test_a_profile_without_a_server_of_its_own_takes_the_one_chosen(
    onboarding: tuple[Onboarding, RecordingHost],
) -> None:
    flow, host = onboarding
    chosen: list[str] = []
    flow.on_server_chosen = chosen.append
    flow.welcome.server_var.set("chat.example.org:7700")
    flow.unlock("profile-1", "a long passphrase here")
    [(command, _busy)] = host.commands
    assert command.then is not None
    command.then(("Alice", None, None))
    assert chosen == ["chat.example.org:7700"]


def test_a_failed_unlock_stays_on_the_welcome_screen(onboarding: tuple[Onboarding, RecordingHost]) -> None:
    flow, host = onboarding
    flow.welcome.server_var.set("localhost:7700")
    flow.unlock("profile-1", "not it")
    [(command, _busy)] = host.commands
    assert command.failed is not None
    failure = CommandFailed(command, "wrong_passphrase", "That passphrase does not open this profile.")
    command.failed(failure.code, failure.message)
    assert str(flow.welcome.passphrase.note.cget("text")) == "That passphrase does not open this profile."


# ---------------------------------------------------------------------- imports


def _gui_imports(path: Path) -> set[str]:
    """The gui modules one file imports, at any depth (TYPE_CHECKING blocks and functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("gui."))
        elif isinstance(node, ast.ImportFrom) and node.module == "gui":
            found.update(f"gui.{a.name}" for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gui."):
            found.add(node.module)
    return found


GRAPH = {
    ".".join(p.relative_to(GUI.parent).with_suffix("").parts): _gui_imports(p)
    for p in sorted(GUI.rglob("*.py"))
    if p.stem != "__init__"
}


def test_no_controller_imports_the_app_or_another_controller() -> None:
    for controller in CONTROLLERS:
        assert GRAPH[controller] & (CONTROLLERS | {"gui.app"}) == set(), controller


def test_there_is_no_import_cycle_in_the_gui() -> None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            pytest.fail("import cycle: " + " -> ".join([*path[path.index(module) :], module]))
        if module in done or module not in GRAPH:
            return
        for imported in sorted(GRAPH[module]):
            visit(imported, [*path, module])
        done.add(module)

    for module in GRAPH:
        visit(module, [])
    assert "gui.app" in done and done >= CONTROLLERS
