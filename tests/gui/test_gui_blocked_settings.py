"""Settings, "Blocked numbers", in the real app under Xvfb: listed, counted, unblocked by keyboard alone.

Alice uses the window; Mallory is a registered profile without a window who
writes to her. Blocking goes through the requests window's own button, the
unblocking through Settings, by Tab and Enter. Every wait has a timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import InProcessServer, fresh_phone
from gui_support import (
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
    register_peer,
    wait_until,
)

from gui.app import App
from gui.tooling.peer import HeadlessPeer
from gui.view_models.names import formatted_number
from gui.worker import Command
from net.client.core.privacy import NotificationContent


def test_blocked_numbers_are_listed_with_what_was_dropped_and_unblocked_by_keyboard(
    display: object, tmp_path: Path, server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    app = App(profiles_root=tmp_path / "p", config_dir=tmp_path / "c", local_server_dir=tmp_path / "ls")
    mallory = HeadlessPeer.with_profiles(tmp_path / "mallory")
    try:
        alice_phone, mallory_phone = fresh_phone(), fresh_phone()
        create_and_register(app, server, alice_phone)
        register_peer(mallory, server, mallory_phone, "Mallory")
        mallory.call(lambda engine: engine.add_contact(alice_phone))
        listing = app.main.conversations

        def block_the_request() -> None:
            wait_until(app.root, lambda: listing.requests_title == "Message requests · 1", "the request")
            app.requests.open()
            dialog = app.requests.dialog
            assert dialog is not None
            wait_until(app.root, lambda: dialog.selected == mallory_phone, "the request chosen")
            dialog.block_button.invoke()
            wait_until(app.root, lambda: app.requests.dialog is None and not app.busy, "the request blocked")
            app.requests._closed()

        mallory.call(lambda engine: engine.send_text(alice_phone, "buy now"))
        block_the_request()
        for text in ("buy now!", "last chance"):
            mallory.call(lambda engine, text=text: engine.send_text(alice_phone, text))
        wait_until(
            app.root, lambda: "2 messages from blocked numbers dropped" in listing.requests_line, "drops"
        )

        app.main.settings_button.invoke()
        section = app.main.settings.blocked
        line = f"{formatted_number(mallory_phone)} — “Mallory”"
        wait_until(app.root, lambda: section.shown() == [line], "Mallory among the blocked numbers")
        summary = str(section.summary.cget("text"))
        assert summary.startswith("1 blocked number") and "2 messages from blocked numbers dropped" in summary

        # By keyboard: Tab from the last choice above reaches Mallory's Unblock; Enter presses it.
        focused = app.main.settings.privacy.content_buttons[NotificationContent.NOTHING]
        for _ in range(3):
            press(focused, "<Tab>")
            focused = app.root.focus_get()
            if focused is section.buttons[mallory_phone]:
                break
        assert focused is section.buttons[mallory_phone]
        press(focused, "<Return>")
        wait_until(app.root, lambda: section.shown() == [] and not app.busy, "the number unblocked")
        assert str(section.summary.cget("text")).startswith("You have not blocked any number.")
        found: list[list[object]] = []
        app.do(Command("blocked", lambda engine: engine.blocked(), found.append))
        wait_until(app.root, lambda: bool(found), "the engine's list")
        assert found == [[]]

        # Unblocked, Mallory is a stranger again: the next message is a request, not dropped.
        mallory.call(lambda engine: engine.send_text(alice_phone, "hello again"))
        # Blocked again from the requests window while Settings is open: the list follows at once.
        block_the_request()
        wait_until(app.root, lambda: section.shown() == [line], "the list following the requests window")
        assert app.main.pane is app.main.settings
    finally:
        mallory.stop()
        app.close()
