"""Settings, "Server", in a real window: the profile's server and key shown, a bad address refused, a move."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import InProcessServer, fresh_phone
from gui_support import (
    address,
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    type_into,
    wait_until,
)

from gui.app import App


def test_the_server_section_shows_the_server_refuses_a_bad_address_and_moves_without_asking_again(
    display: object, server_factory: Callable[..., InProcessServer], tmp_path: Path
) -> None:
    first = server_factory(dev_codes=True, data_dir=tmp_path / "server")
    app = App(profiles_root=tmp_path / "p", config_dir=tmp_path / "c", local_server_dir=tmp_path / "ls")
    try:
        wait_until(app.root, lambda: not app.busy, "the profile list")
        create_and_register(app, first, fresh_phone())
        app.main.settings_button.invoke()
        section = app.main.settings.server
        wait_until(app.root, lambda: address(first) in str(section.address.cget("text")), "the server shown")
        assert first.fingerprint.hex().upper()[:4] in str(section.fingerprint.cget("text"))

        type_into(section.field.entry, "no port here")
        section.change_button.invoke()
        assert str(section.field.note.cget("text")).startswith("Enter the server as host:port")

        first.stop()
        moved = server_factory(dev_codes=True, data_dir=tmp_path / "server")  # the same key, another port
        type_into(section.field.entry, address(moved))
        section.change_button.invoke()
        status = app.main.status

        def connected() -> bool:
            return str(status.cget("text")).startswith("Connected") and not app.busy

        shown = section.address
        wait_until(app.root, lambda: connected() and address(moved) in str(shown.cget("text")), "moved")
        assert app.screen is app.main  # no pinning question: the key is the one pinned
        assert address(moved) in str(section.address.cget("text"))
        assert app.session.server == address(moved)

        # a server with another key asks; stopping there keeps the profile where it was, unlocked
        stranger = server_factory(dev_codes=True, data_dir=tmp_path / "stranger")
        type_into(section.field.entry, address(stranger))
        section.change_button.invoke()
        wait_until(app.root, lambda: app.screen is app.server_key and not app.busy, "the pinning question")
        assert "first time" in str(app.server_key.intro.cget("text"))
        app.server_key.cancel_button.invoke()
        wait_until(app.root, lambda: app.screen is app.main and connected(), "back at the server it had")
        assert address(moved) in app.main.notice_shown and "stays at" in app.main.notice_shown
        assert app.session.server == address(moved) and app.session.profile_name is not None
    finally:
        app.close()
