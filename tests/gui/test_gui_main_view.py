"""The main window's frame in a real window under Xvfb: our own name and number above the list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from gui_support import (
    create_and_register,
    display_for_tests,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    wait_until,
)

from gui.app import App
from gui.view_models.names import formatted_number


@pytest.fixture(scope="session")
def display() -> Iterator[None]:
    yield from display_for_tests()


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
