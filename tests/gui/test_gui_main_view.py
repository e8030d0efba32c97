"""The main window's frame in a real window under Xvfb: our own name and number above the list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import InProcessServer, fresh_phone
from gui_support import (
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    wait_until,
)

from gui.app import App
from gui.view_models.names import formatted_number


def test_our_own_number_above_the_list_is_in_international_form_as_a_contacts_is(
    display: object, tmp_path: Path, server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    app = App(profiles_root=tmp_path / "p", config_dir=tmp_path / "c", local_server_dir=tmp_path / "ls")
    try:
        phone = fresh_phone()  # +442079460xxx, as the engine keeps it
        create_and_register(app, server, phone, "Alice")
        shown = str(app.main.profile_phone.cget("text"))
        assert shown == formatted_number(phone) == f"+44 20 7946 0{phone[-3:]}"
        assert str(app.main.profile_name.cget("text")) == "Alice"
        wait_until(app.root, app.main.profile_phone.winfo_ismapped, "the number drawn")
    finally:
        app.close()


def test_a_long_notice_wraps_and_keeps_its_dismiss_button_inside_an_800_by_600_window(
    display: object, tmp_path: Path, server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    app = App(profiles_root=tmp_path / "p", config_dir=tmp_path / "c", local_server_dir=tmp_path / "ls")
    try:
        create_and_register(app, server, fresh_phone(), "Alice")
        app.root.geometry("800x600")
        sentence = "The local server on this computer had stopped, so Parley started it again. " * 3
        app.main.show_notice(sentence.strip())
        main = app.main
        wait_until(app.root, lambda: main.notice.winfo_ismapped() and main.notice.winfo_width() <= 800, "it")
        app.root.update()
        dismiss = next(w for w in main.notice.winfo_children() if str(w.cget("text")) == "Dismiss")
        right = dismiss.winfo_rootx() - app.root.winfo_rootx() + dismiss.winfo_width()
        assert dismiss.winfo_ismapped() and right <= app.root.winfo_width()
        text = main.notice_text
        assert text.winfo_rootx() + text.winfo_width() <= dismiss.winfo_rootx()  # the sentence wrapped
    finally:
        app.close()


def test_a_long_own_name_is_cut_beside_the_settings_button_not_drawn_under_it(
    display: object, tmp_path: Path, server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    app = App(profiles_root=tmp_path / "p", config_dir=tmp_path / "c", local_server_dir=tmp_path / "ls")
    try:
        create_and_register(app, server, fresh_phone(), "Alice")
        main = app.main
        main.set_profile("Alexandra Montgomery-Fitzwilliam", "+442079460101")
        app.zoom(1)
        app.zoom(1)
        app.root.update()
        wait_until(app.root, lambda: str(main.profile_name.cget("text")).endswith("…"), "the name cut to fit")
        app.root.update()
        button_left = main.settings_button.winfo_rootx()
        for label in (main.profile_name, main.profile_phone):
            assert label.winfo_rootx() + label.winfo_reqwidth() <= button_left
        assert main.own_name == "Alexandra Montgomery-Fitzwilliam"
        app.zoom(0)
    finally:
        app.close()
