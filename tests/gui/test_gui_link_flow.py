"""Linking by keys between two real app windows under Xvfb, on a real server (the engine's link underneath).

The new window chooses "Link to my account" and shows a code and its QR code; the first window
types the code into Settings → Linked devices; both show the same number; "The numbers match"
on both brings the account over and the new window opens its main window as the same number.
"They don't match" on either side links nothing and says so, with a way to start again.
"""

from __future__ import annotations

from pathlib import Path

import segno
from conftest import InProcessServer, fresh_phone
from gui_linking import compare_both, link_by_keys, new_computer, open_linked_devices, show_link_code
from gui_support import (
    PASSPHRASE,
    address,
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
    type_into,
    wait_until,
)

from gui.app import App
from gui.view_models.devices_text import QR_PREFIX


def test_a_new_window_links_to_the_account_by_keys_and_opens_as_the_same_number(
    app: App, dev_server: InProcessServer, tmp_path: Path
) -> None:
    phone = fresh_phone()
    create_and_register(app, dev_server, phone)
    laptop = new_computer(tmp_path, dev_server)
    try:
        link_by_keys(app, laptop)
        assert laptop.session.phone == phone
        section = app.main.settings.devices
        wait_until(app.root, lambda: len(section.devices) == 2, "two computers in the list")
        assert [d.current for d in section.devices].count(True) == 1
    finally:
        laptop.close()


def test_the_link_screen_shows_the_code_and_a_qr_code_of_it_from_the_server(
    app: App, dev_server: InProcessServer
) -> None:
    """The window of a fresh profile is a new computer: the code is the server's, the QR code its text."""
    w = app.welcome
    type_into(w.server, address(dev_server))
    type_into(w.display_name.entry, "Alice")
    type_into(w.new_passphrase.entry, PASSPHRASE)
    type_into(w.repeat.entry, PASSPHRASE)
    w.create_button.invoke()
    wait_until(app.root, lambda: app.screen is app.server_key, "the server's key")
    app.server_key.accept_button.invoke()
    wait_until(app.root, lambda: app.screen is app.registration and not app.busy, "the registration")
    code = show_link_code(app)
    plain = code.replace("-", "")
    assert len(code) == 19 and len(plain) == 16 and set(plain) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    view = app.link_device
    assert view.qr.text == QR_PREFIX + plain
    assert view.qr.drawn_modules() == tuple(
        tuple(bool(c) for c in row) for row in segno.make(view.qr.text, error="m", micro=False).matrix
    )
    # Escape goes back to registration and cancels the code.
    press(view.copy_button, "<Escape>")
    wait_until(app.root, lambda: app.screen is app.registration and not app.busy, "back to registration")


def test_they_dont_match_on_the_existing_computer_links_nothing_and_both_say_so(
    app: App, dev_server: InProcessServer, tmp_path: Path
) -> None:
    create_and_register(app, dev_server, fresh_phone())
    laptop = new_computer(tmp_path, dev_server)
    try:
        open_linked_devices(app)
        compare_both(app, laptop, show_link_code(laptop))
        dialog, view = app.devices.dialog, laptop.link_device
        assert dialog is not None
        press(dialog.mismatch_button, "<Return>")
        assert dialog.stage == "failed" and "nothing was sent" in str(dialog.failure.cget("text"))
        wait_until(laptop.root, lambda: view.stage == "failed", "the failure on the new computer")
        assert "nothing was linked" in str(view.failure.cget("text")).lower()
        assert laptop.screen is view and laptop.session.phone is None
        # Start again gives a new code.
        press(view.again_button, "<Return>")
        wait_until(laptop.root, lambda: view.stage == "code", "a new code")
        press(dialog.again_button, "<Escape>")
        assert dialog.closed
        section = app.main.settings.devices
        app.devices.refresh()
        wait_until(app.root, lambda: not app.busy, "the list again")
        assert len(section.devices) == 1
    finally:
        laptop.close()
