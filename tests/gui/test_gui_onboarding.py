"""Before the main window, in real windows under Xvfb: servers that stay found, one window per profile, forms.

Real servers (in-process, and the app's own local server as a child process that
is SIGKILLed), real profiles, real Tk; every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from gui_support import (
    PASSPHRASE,
    address,
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press_return,
    type_into,
    wait_until,
)

from gui.app import App
from gui.local_server import LocalServer
from gui.tooling.peer import HeadlessPeer
from gui.view_models.forms import Stage
from gui.view_models.wording import local_server_restarted

IN_USE = "This profile is already open in another Parley window."


def _free_base() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    return port if port < 60000 else 41000


@pytest.fixture
def first_port() -> int:
    return _free_base()


@pytest.fixture
def make_app(display: object, tmp_path: Path, first_port: int) -> Iterator[Callable[..., App]]:
    apps: list[App] = []

    def make(name: str = "alice", profiles: str | None = None) -> App:
        app = App(
            profiles_root=tmp_path / (profiles or name),
            config_dir=tmp_path / f"{name}-config",
            local_server_dir=tmp_path / "ls",
            local_server_port=first_port,
        )
        apps.append(app)
        wait_until(app.root, lambda: not app.busy, "the profile list")
        return app

    yield make
    for app in apps:
        app.close()
    apps.clear()


def _status(app: App) -> str:
    return str(app.main.status.cget("text"))


def _create(app: App, name: str) -> None:
    w = app.welcome
    type_into(w.display_name.entry, name)
    type_into(w.new_passphrase.entry, PASSPHRASE)
    type_into(w.repeat.entry, PASSPHRASE)
    w.create_button.invoke()


def _register(app: App, phone: str) -> None:
    r = app.registration
    wait_until(app.root, lambda: app.screen is r and not app.busy, "the registration form")
    type_into(r.phone.entry, phone)
    type_into(r.email.entry, "someone@example.com")
    r.send_button.invoke()
    wait_until(app.root, lambda: r.form.stage == Stage.CODE and not app.busy, "the code field")
    r.finish_button.invoke()
    wait_until(app.root, lambda: app.screen is app.main and not app.busy, "the main window")


def test_a_reopened_profile_reconnects_to_its_own_server_whatever_the_welcome_field_says(
    make_app: Callable[..., App], server_factory: Callable[..., InProcessServer], first_port: int
) -> None:
    server = server_factory(dev_codes=True)
    app = make_app("alice")
    create_and_register(app, server, fresh_phone())
    app.onboarding.lock()
    w = app.welcome
    wait_until(app.root, lambda: app.screen is w and w.profiles.size() == 1 and not app.busy, "the list")
    type_into(w.server, f"127.0.0.1:{first_port + 50}")  # the default for a new profile: not this one's
    type_into(w.passphrase.entry, PASSPHRASE)
    w.unlock_button.invoke()
    wait_until(app.root, lambda: _status(app).startswith("Connected"), "the profile's own server")
    assert app.session.server == address(server)
    assert app.screen is app.main


def test_one_profile_in_two_windows_is_refused_with_a_sentence_and_the_list_stays(
    make_app: Callable[..., App], server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    first = make_app("alice", profiles="shared")
    create_and_register(first, server, fresh_phone())
    second = make_app("alice-again", profiles="shared")
    w = second.welcome
    wait_until(second.root, lambda: w.profiles.size() == 1, "the listed profile")
    type_into(w.passphrase.entry, PASSPHRASE)
    w.unlock_button.invoke()
    wait_until(second.root, lambda: w.error.cget("text") and not second.busy, "the refusal")
    assert str(w.error.cget("text")) == IN_USE
    assert second.screen is w and second.session.profile_name is None
    assert w.profiles.get(0).endswith("— open in another window")
    # locked in the first window: the second may open it now
    first.onboarding.lock()
    wait_until(
        first.root, lambda: first.screen is first.welcome and not first.busy, "the first window locked"
    )
    type_into(w.passphrase.entry, PASSPHRASE)
    w.unlock_button.invoke()
    wait_until(
        second.root, lambda: second.screen is second.main and not second.busy, "the second window open"
    )
    assert str(w.error.cget("text")) == ""


def test_with_no_server_creating_a_profile_offers_the_local_one_and_the_error_clears(
    make_app: Callable[..., App], first_port: int
) -> None:
    app = make_app("erin")
    w, r = app.welcome, app.registration
    type_into(w.server, f"127.0.0.1:{first_port + 60}")  # nothing listens there
    _create(app, "Erin")
    wait_until(app.root, lambda: app.screen is r and not app.busy, "the registration screen")
    assert "could not reach a server" in str(r.error.cget("text"))
    assert r.local_button.winfo_manager()  # the offer stands in the error's place
    assert w.display_name.value == "" and w.new_passphrase.value == ""  # the create form is empty after use
    r.local_button.invoke()
    wait_until(app.root, lambda: app.screen is app.server_key and not app.busy, "the local server's key")
    assert "local server that Parley started" in str(app.server_key.advice.cget("text"))
    app.server_key.accept_button.invoke()
    wait_until(app.root, lambda: app.screen is r and not app.busy, "the registration form")
    assert str(r.error.cget("text")) == "" and not r.local_button.winfo_manager()  # gone with its cause
    assert app.local_server.running and app.local_server.address == f"127.0.0.1:{first_port}"


def test_a_wrong_passphrase_is_said_once_and_the_list_preselects_the_profile_last_locked(
    make_app: Callable[..., App], first_port: int
) -> None:
    app = make_app("gina")
    w = app.welcome
    type_into(w.server, f"127.0.0.1:{first_port + 70}")
    for count, name in enumerate(("Gina", "Hugo")):  # two profiles, the second created last
        wait_until(app.root, lambda count=count: w.profiles.size() == count and w.label.value, "the list")
        _create(app, name)
        wait_until(app.root, lambda: app.screen is app.registration and not app.busy, "the offer")
        app.registration.cancel_link.invoke()
        wait_until(app.root, lambda: app.screen is w and not app.busy, "the welcome screen")
    wait_until(app.root, lambda: w.profiles.size() == 2, "both profiles")
    hugo = w.selected_profile()
    assert (
        hugo == app.onboarding.last_profile and w.profiles.get(w.profiles.curselection()[0]) == "  Profile 2"
    )
    w.select_profile(w._profile_ids[0] if w._profile_ids[0] != hugo else w._profile_ids[1])
    gina = w.selected_profile()
    type_into(w.passphrase.entry, "not the passphrase at all")
    press_return(w.passphrase.entry)
    wait_until(app.root, lambda: w.passphrase.note.cget("text") and not app.busy, "the wrong passphrase")
    assert "passphrase" in str(w.passphrase.note.cget("text"))
    assert str(w.error.cget("text")) == ""  # once, under its field; not again below the card
    type_into(w.passphrase.entry, PASSPHRASE)
    w.unlock_button.invoke()
    wait_until(app.root, lambda: app.screen is app.registration and not app.busy, "the profile open")
    assert w.passphrase.note.cget("text") == ""
    app.registration.cancel_link.invoke()
    wait_until(app.root, lambda: app.screen is w and w.profiles.size() == 2 and not app.busy, "the list")
    assert w.selected_profile() == gina  # this window's last profile, not the first of the list


def test_a_local_server_that_died_is_started_again_and_both_windows_reconnect(
    make_app: Callable[..., App], first_port: int
) -> None:
    one = make_app("alice")
    one.welcome.local_button.invoke()
    wait_until(one.root, lambda: one.local_server.address and not one.busy, "the local server")
    local = f"127.0.0.1:{first_port}"
    assert one.welcome.server_var.get() == local
    _create(one, "Alice")
    wait_until(one.root, lambda: one.screen is one.server_key and not one.busy, "the key question")
    one.server_key.accept_button.invoke()
    _register(one, fresh_phone())

    two = make_app("bob")
    assert two.welcome.server_var.get() == local  # the second window finds it
    _create(two, "Bob")
    wait_until(two.root, lambda: two.screen is two.server_key and not two.busy, "the key question")
    assert "local server that Parley started" in str(two.server_key.advice.cget("text"))
    two.server_key.accept_button.invoke()
    _register(two, fresh_phone())
    for app in (one, two):
        wait_until(app.root, lambda app=app: _status(app).startswith("Connected"), "connected")

    said: dict[str, list[str]] = {"one": [], "two": []}
    for key, app in (("one", one), ("two", two)):
        shown = app.main.show_notice
        app.main.show_notice = lambda text, shown=shown, key=key: (said[key].append(text), shown(text))  # type: ignore[method-assign]
    process = one.local_server._process
    assert process is not None
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)

    dropped = {id(one): False, id(two): False}

    def pump() -> None:
        for app in (one, two):
            app.root.update()
            dropped[id(app)] = dropped[id(app)] or not _status(app).startswith("Connected")

    def restarted() -> bool:
        pump()
        return any(local_server_restarted(local) in texts for texts in said.values())

    def both_back() -> bool:
        pump()
        return all(dropped.values()) and all(_status(app).startswith("Connected") for app in (one, two))

    wait_until(one.root, restarted, "a window to start the local server again", timeout=150)
    wait_until(one.root, both_back, "both windows reconnected to the restarted server", timeout=150)
    restarters = [
        app for key, app in (("one", one), ("two", two)) if local_server_restarted(local) in said[key]
    ]
    assert len(restarters) == 1, said  # said once, by the window that started it again
    assert (
        said["one"].count(local_server_restarted(local)) + said["two"].count(local_server_restarted(local))
        == 1
    )
    assert restarters[0].local_server.address == local  # the same port: the same address
    assert one.screen is one.main and two.screen is two.main  # no key question: the same key, pinned


def test_unlocking_a_profile_of_the_local_server_while_it_is_down_starts_it_again_and_says_so(
    make_app: Callable[..., App], first_port: int
) -> None:
    app = make_app("ivy")
    app.welcome.local_button.invoke()
    wait_until(app.root, lambda: app.local_server.address and not app.busy, "the local server")
    _create(app, "Ivy")
    wait_until(app.root, lambda: app.screen is app.server_key and not app.busy, "the key question")
    app.server_key.accept_button.invoke()
    _register(app, fresh_phone())
    app.onboarding.lock()
    w = app.welcome
    wait_until(app.root, lambda: app.screen is w and w.profiles.size() == 1 and not app.busy, "the list")
    process = app.local_server._process
    assert process is not None
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)

    type_into(w.passphrase.entry, PASSPHRASE)
    w.unlock_button.invoke()
    local = f"127.0.0.1:{first_port}"
    wait_until(app.root, lambda: app.main.notice_shown == local_server_restarted(local), "the sentence")
    wait_until(app.root, lambda: _status(app).startswith("Connected"), "connected again")
    assert app.local_server.running and app.local_server.address == local


def test_a_local_server_another_window_started_that_hangs_is_stopped_and_started_again_at_unlock(
    make_app: Callable[..., App], first_port: int, tmp_path: Path
) -> None:
    other = LocalServer(tmp_path / "ls", first_port=first_port)  # another window's server
    local = other.start()
    hung = other._process
    assert hung is not None
    try:
        app = make_app("jack")
        assert app.welcome.server_var.get() == local  # found through the note
        _create(app, "Jack")
        wait_until(app.root, lambda: app.screen is app.server_key and not app.busy, "the key question")
        app.server_key.accept_button.invoke()
        _register(app, fresh_phone())
        app.onboarding.lock()
        w = app.welcome
        wait_until(app.root, lambda: app.screen is w and w.profiles.size() == 1 and not app.busy, "the list")
        os.kill(hung.pid, signal.SIGSTOP)  # it hangs, and the kernel still takes connections for it

        type_into(w.passphrase.entry, PASSPHRASE)
        w.unlock_button.invoke()
        said = local_server_restarted(local, hung=True)
        wait_until(app.root, lambda: app.main.notice_shown == said, "the sentence")
        wait_until(app.root, lambda: _status(app).startswith("Connected"), "connected again")
        assert hung.wait(30) is not None  # the hung process was stopped
        assert app.local_server.running and app.local_server.address == local  # on the same port
        assert app.screen is app.main  # the same key: no question
    finally:
        if hung.poll() is None:
            os.kill(hung.pid, signal.SIGCONT)
        other.stop()


def test_a_new_window_preselects_a_profile_no_other_window_has_open(
    make_app: Callable[..., App], server_factory: Callable[..., InProcessServer], tmp_path: Path
) -> None:
    server = server_factory(dev_codes=True)
    first = make_app("alice", profiles="shared")
    create_and_register(first, server, fresh_phone())
    other = HeadlessPeer.with_profiles(tmp_path / "shared")
    try:
        other.call(lambda engine: engine.create_profile("Zoe", PASSPHRASE))
    finally:
        other.stop()  # closed again: only Alice's stays open, in the first window
    second = make_app("second", profiles="shared")
    w = second.welcome
    wait_until(second.root, lambda: w.profiles.size() == 2, "both profiles listed")
    shown = [str(w.profiles.get(i)) for i in range(2)]
    busy = next(i for i, line in enumerate(shown) if line.endswith("— open in another window"))
    assert w.profiles.curselection() == (1 - busy,)  # the free one is chosen, not the one open elsewhere
