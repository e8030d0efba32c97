"""Support for the GUI tests of linked devices: a second app window on a fresh profile, and a link by keys.

``new_computer`` opens a second window (a person's laptop) with a profile on the same server,
stopped at the registration screen; ``link_by_keys`` links it to the account of the first
window the way a person does it with the keyboard only: Enter on "Link to my account", the
code read off the laptop's screen and typed into Settings → Linked devices → "Link a new
computer…", Enter, then "The numbers match" on both screens.
"""

from __future__ import annotations

from pathlib import Path

from conftest import InProcessServer
from gui_support import PASSPHRASE, address, press, type_into, wait_until

from gui.app import App


def new_computer(tmp_path: Path, server: InProcessServer, name: str = "laptop") -> App:
    computer = App(
        profiles_root=tmp_path / name,
        config_dir=tmp_path / f"{name}-config",
        local_server_dir=tmp_path / "ls2",
    )
    wait_until(computer.root, lambda: not computer.busy, "the second window's profiles")
    w = computer.welcome
    type_into(w.server, address(server))
    type_into(w.display_name.entry, "Alice")
    type_into(w.new_passphrase.entry, PASSPHRASE)
    type_into(w.repeat.entry, PASSPHRASE)
    w.create_button.invoke()
    wait_until(
        computer.root, lambda: computer.screen is computer.server_key, "the second window's server key"
    )
    computer.server_key.accept_button.invoke()
    wait_until(
        computer.root,
        lambda: computer.screen is computer.registration and not computer.busy,
        "the second window's registration",
    )
    return computer


def show_link_code(computer: App) -> str:
    """Enter on "Link to my account": the code the new computer shows."""
    press(computer.registration.link_button, "<Return>")
    view = computer.link_device
    wait_until(computer.root, lambda: computer.screen is view and view.stage == "code", "the link code")
    return view.code


def open_linked_devices(app: App) -> None:
    app.main.settings_button.invoke()
    section = app.main.settings.devices
    wait_until(app.root, lambda: bool(section.devices) and not app.busy, "Settings → Linked devices")


def compare_both(app: App, computer: App, code: str) -> None:
    """Type ``code`` in the existing window's dialog and press Enter; wait for the number on both."""
    section = app.main.settings.devices
    press(section.link_button, "<Return>")
    dialog = app.devices.dialog
    assert dialog is not None
    wait_until(app.root, lambda: dialog.focus_get() is dialog.code.entry, "the cursor in the code field")
    type_into(dialog.code.entry, code.lower())  # as a person may type it
    press(dialog.code.entry, "<Return>")
    view = computer.link_device
    wait_until(app.root, lambda: dialog.stage == "compare" and view.stage == "compare", "the numbers")
    assert str(dialog.number.cget("text")) == str(view.number.cget("text"))


def link_by_keys(app: App, computer: App) -> None:
    open_linked_devices(app)
    compare_both(app, computer, show_link_code(computer))
    dialog, view = app.devices.dialog, computer.link_device
    assert dialog is not None
    press(view.match_button, "<Return>")  # the new computer: its focus is on "The numbers match"
    press(dialog.history_box, "<Tab>")  # the existing one: from the tick box to the answer
    press(dialog.match_button, "<Return>")
    wait_until(app.root, lambda: dialog.stage == "done", "Linked")
    wait_until(
        computer.root, lambda: computer.screen is computer.main and not computer.busy, "its main window"
    )
