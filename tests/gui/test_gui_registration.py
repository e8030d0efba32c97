"""The registration screen in a real window under Xvfb: Tab walks it as the eye reads it, Back last."""

from __future__ import annotations

import socket
import tkinter as tk
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from gui_support import (
    PASSPHRASE,
    address,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
    type_into,
    wait_until,
)

from gui.app import App
from gui.view_models.forms import Stage


@pytest.fixture
def app(display: object, tmp_path: Path) -> Iterator[App]:
    made = App(profiles_root=tmp_path / "p", config_dir=tmp_path / "c", local_server_dir=tmp_path / "ls")
    wait_until(made.root, lambda: not made.busy, "the profile list")
    yield made
    made.close()


def _nobody_listens() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"  # closed again: nothing listens there


def _create(app: App, server: str) -> None:
    w = app.welcome
    type_into(w.server, server)
    type_into(w.display_name.entry, "Erin")
    type_into(w.new_passphrase.entry, PASSPHRASE)
    type_into(w.repeat.entry, PASSPHRASE)
    w.create_button.invoke()


def _tab_walk(app: App, start: tk.Misc, steps: int) -> list[tk.Misc]:
    """Press Tab ``steps`` times from ``start``, as a person would; the widgets the focus went to."""
    walked = [start]
    for _ in range(steps):
        press(walked[-1], "<Tab>")
        focused = app.root.focus_get()
        assert focused is not None
        walked.append(focused)
    return walked


def _reads_downwards(widgets: list[tk.Misc]) -> bool:
    """Each widget is below the one before, or on its row to the right: the order the eye reads in."""
    places = [(w.winfo_rooty(), w.winfo_rootx()) for w in widgets]
    return all(before < after for before, after in pairwise(places))


def test_tab_walks_the_offer_of_a_local_server_before_back_to_profiles(app: App) -> None:
    r = app.registration
    _create(app, _nobody_listens())
    wait_until(app.root, lambda: app.screen is r and r.local_button.winfo_ismapped(), "the offer")
    app.root.update()
    walk = _tab_walk(app, r.phone.entry, 6)
    # the fields, the default action, "Link to my account" under it, the action the error offers,
    # then Back; and round again
    link = r.link_button
    assert walk == [
        r.phone.entry,
        r.email.entry,
        r.send_button,
        link,
        r.local_button,
        r.cancel_link,
        r.phone.entry,
    ]
    assert _reads_downwards(walk[:6])  # the focus never jumps back up the card
    error = r.error.winfo_rooty()
    assert r.send_button.winfo_rooty() < error < r.local_button.winfo_rooty()  # the offer under its cause


def test_tab_on_the_code_stage_goes_from_the_code_to_register_to_another_number_and_back_is_last(
    app: App, server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    r = app.registration
    _create(app, address(server))
    wait_until(app.root, lambda: app.screen is app.server_key and not app.busy, "the server's key")
    app.server_key.accept_button.invoke()
    wait_until(app.root, lambda: app.screen is r and not app.busy, "the registration form")
    type_into(r.phone.entry, fresh_phone())
    type_into(r.email.entry, "erin@example.com")
    r.send_button.invoke()
    wait_until(app.root, lambda: r.form.stage == Stage.CODE and not app.busy, "the code field")
    app.root.update()
    walk = _tab_walk(app, r.code.entry, 4)
    assert walk == [r.code.entry, r.finish_button, r.other_number_button, r.cancel_link, r.code.entry]
    assert _reads_downwards(walk[:4])
    assert r.cancel_link.winfo_rooty() > r.error.winfo_rooty()  # Back is the card's last line
