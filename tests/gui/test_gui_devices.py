"""Settings → Linked devices with two real app windows under Xvfb on a real server.

The list shows both computers; Unlink asks first (Cancel has the keyboard, so Enter keeps the
computer), and Tab, Enter unlinks; the unlinked window says so in words and offers no Log in;
"Rename this computer" renames it for the other window too.
"""

from __future__ import annotations

import time
from pathlib import Path

from conftest import InProcessServer, fresh_phone
from gui_linking import link_by_keys, new_computer
from gui_support import (
    PASSPHRASE,
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
    type_into,
    wait_until,
)

from gui.app import App
from gui.view_models.devices_text import UNLINKED


def test_the_list_unlink_with_confirm_and_the_unlinked_windows_message(
    app: App, dev_server: InProcessServer, tmp_path: Path
) -> None:
    create_and_register(app, dev_server, fresh_phone())
    laptop = new_computer(tmp_path, dev_server)
    try:
        link_by_keys(app, laptop)
        dialog = app.devices.dialog
        assert dialog is not None
        press(dialog.close_button, "<Return>")
        section = app.main.settings.devices
        wait_until(app.root, lambda: len(section.devices) == 2 and not app.busy, "both computers")
        lines = section.shown()
        assert sum(line.startswith("This computer — ") for line in lines) == 1
        assert sum(" — Active in the last hour · Linked " in line for line in lines) == 1
        [other] = list(section.unlink_buttons)

        press(section.unlink_buttons[other], "<Return>")
        confirm = app.devices.confirm
        assert confirm is not None
        wait_until(app.root, lambda: confirm.focus_get() is confirm.cancel_button, "Cancel focused")
        assert "Unlink" in confirm.words
        press(confirm.cancel_button, "<Return>")  # Enter once too often keeps the computer
        assert not confirm.winfo_exists()
        assert len(section.devices) == 2

        press(section.unlink_buttons[other], "<Return>")
        confirm = app.devices.confirm
        assert confirm is not None
        wait_until(app.root, lambda: confirm.focus_get() is confirm.cancel_button, "Cancel focused")
        press(confirm.cancel_button, "<Tab>")
        press(confirm.confirm_button, "<Return>")
        wait_until(app.root, lambda: len(section.devices) == 1 and not app.busy, "one computer left")
        assert section.unlink_buttons == {}

        # The unlinked window says so, and does not try to log in again and again.
        wait_until(laptop.root, lambda: laptop.main.notice_shown == UNLINKED, "the unlinked message")
        assert "Unlinked" in str(laptop.main.status.cget("text"))
        assert not laptop.main.reconnect_button.winfo_ismapped()
    finally:
        laptop.close()


def test_rename_this_computer_shows_in_the_other_windows_list(
    app: App, dev_server: InProcessServer, tmp_path: Path
) -> None:
    create_and_register(app, dev_server, fresh_phone())
    laptop = new_computer(tmp_path, dev_server)
    try:
        link_by_keys(app, laptop)
        laptop.main.settings_button.invoke()
        mine = laptop.main.settings.devices
        wait_until(laptop.root, lambda: len(mine.devices) == 2 and not laptop.busy, "the laptop's list")
        type_into(mine.name_field.entry, "  Home   laptop ")
        press(mine.name_field.entry, "<Return>")
        wait_until(laptop.root, lambda: "Renamed" in str(mine.note.cget("text")), "renamed")
        theirs = app.main.settings.devices
        app.devices.refresh()
        wait_until(
            app.root,
            lambda: any(line.startswith("Home laptop — ") for line in theirs.shown()),
            "the new name in the other window",
        )
        type_into(mine.name_field.entry, " ")
        press(mine.name_field.entry, "<Return>")
        assert "Give this computer a name" in str(mine.name_field.note.cget("text"))
    finally:
        laptop.close()


def test_an_unlinked_profile_opened_again_says_so_and_does_not_keep_trying(
    app: App, dev_server: InProcessServer, tmp_path: Path
) -> None:
    create_and_register(app, dev_server, fresh_phone())
    laptop = new_computer(tmp_path, dev_server)
    try:
        link_by_keys(app, laptop)
    finally:
        laptop.close()
    section = app.main.settings.devices
    wait_until(app.root, lambda: len(section.unlink_buttons) == 1 and not app.busy, "the laptop in the list")
    [other] = list(section.unlink_buttons)
    app.devices.unlink(other)
    wait_until(app.root, lambda: len(section.devices) == 1 and not app.busy, "the laptop unlinked")

    again = App(
        profiles_root=tmp_path / "laptop",
        config_dir=tmp_path / "laptop-config",
        local_server_dir=tmp_path / "ls2",
    )
    try:
        w = again.welcome
        wait_until(again.root, lambda: bool(w.selected_profile()) and not again.busy, "the laptop's profile")
        type_into(w.passphrase.entry, PASSPHRASE)
        press(w.passphrase.entry, "<Return>")
        wait_until(again.root, lambda: again.main.notice_shown == UNLINKED, "the unlinked message")
        assert again.screen is again.main  # its history stays readable
        status = again.main.status
        # Refused for good: no Log in button, and no reconnecting in the background (bounded look).
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            again.root.tk.dooneevent(0)
            assert str(status.cget("text")) == "Unlinked from your account"
            assert not again.main.reconnect_button.winfo_ismapped()
    finally:
        again.close()


def test_a_mistyped_or_unknown_code_is_said_under_the_field_and_can_be_mended(
    app: App, dev_server: InProcessServer
) -> None:
    create_and_register(app, dev_server, fresh_phone())
    app.main.settings_button.invoke()
    section = app.main.settings.devices
    wait_until(app.root, lambda: len(section.devices) == 1 and not app.busy, "this computer alone")
    press(section.link_button, "<Return>")
    dialog = app.devices.dialog
    assert dialog is not None
    wait_until(app.root, lambda: dialog.focus_get() is dialog.code.entry, "the cursor in the code field")
    type_into(dialog.code.entry, "ABCD-EFGH")
    press(dialog.code.entry, "<Return>")
    assert "this one has 8" in str(dialog.code.note.cget("text"))  # said at once, nothing asked of the engine
    assert dialog.stage == "enter" and not app.busy
    type_into(dialog.code.entry, "AAAA-BBBB-CCCC-DDDD")  # a code, but no computer shows it
    press(dialog.code.entry, "<Return>")
    note = dialog.code.note
    wait_until(app.root, lambda: dialog.stage == "enter" and str(note.cget("text")), "the refusal")
    assert "this one has" not in str(note.cget("text"))  # the server's answer, in words
    assert dialog.code.value == "AAAA-BBBB-CCCC-DDDD"
    press(dialog.code.entry, "<Escape>")
    assert dialog.closed and app.devices.dialog is None
