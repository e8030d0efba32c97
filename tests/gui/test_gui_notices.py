"""Desktop notifications from the real window to a real receiver on a private D-Bus session bus.

The receiver (tests/notification_service.py) owns org.freedesktop.Notifications
on a dbus-daemon of the test's own; the app finds it through
DBUS_SESSION_BUS_ADDRESS, as on a desktop. "No notification" is proved without a
clock: the app's notifier then shows a marker, and its one thread keeps order,
so once the marker is at the receiver anything asked for before it is too.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from gui_support import (
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    register_peer,
    start_conversation,
    wait_until,
)
from notification_service import NotificationReceiver

from gui.app import App
from gui.notifications import NO_SERVICE
from gui.tooling.peer import HeadlessPeer
from gui.view_models.notification_text import unavailable_text
from gui.view_models.wording import window_title
from gui.worker import Command
from net.client.core.privacy import NotificationContent


@pytest.fixture
def receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NotificationReceiver]:
    found = NotificationReceiver(tmp_path / "dbus")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", found.start())
    yield found
    found.stop()


def test_a_message_to_an_unfocused_window_notifies_per_setting_and_activating_opens_it(
    display: object,
    tmp_path: Path,
    server_factory: Callable[..., InProcessServer],
    receiver: NotificationReceiver,
) -> None:
    server = server_factory(dev_codes=True)
    app = App(
        profiles_root=tmp_path / "alice", config_dir=tmp_path / "config", local_server_dir=tmp_path / "ls"
    )
    bob, carol = HeadlessPeer.with_profiles(tmp_path / "bob"), HeadlessPeer.with_profiles(tmp_path / "carol")
    other = tk.Tk(className="Elsewhere")
    entry = tk.Entry(other)
    entry.pack()
    try:
        wait_until(app.root, lambda: not app.busy, "the profile list")
        alice_phone, bob_phone, carol_phone = fresh_phone(), fresh_phone(), fresh_phone()
        create_and_register(app, server, alice_phone)
        register_peer(bob, server, bob_phone, "Bob")
        register_peer(carol, server, carol_phone, "Carol")
        start_conversation(app, carol_phone, "Carol")
        start_conversation(app, bob_phone, "Bob")
        bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
        carol.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
        wait_until(app.root, lambda: not app.busy, "the settings loaded")

        def away() -> None:
            entry.focus_force()
            wait_until(app.root, lambda: not app.chat.presence.looked_at(), "the window without focus")

        def arrives(peer: HeadlessPeer, text: str) -> None:
            peer.call(lambda engine: engine.send_text(alice_phone, text))
            wait_until(
                app.root,
                lambda: any(view.last_text == text for view in app.chat.model.conversations.values()),
                f"{text!r} in the window",
            )

        def none_since(count: int, marker: str) -> None:
            app.notices.desktop.show(marker, marker, marker)
            receiver.wait_for(lambda: any(s.summary == marker for s in receiver.shown), "the marker")
            assert [s.summary for s in receiver.shown[count:]] == [marker]

        # Unfocused: Carol's message raises a notification with her name and text, and a default action.
        app.chat.open(carol_phone)
        away()
        arrives(carol, "Lunch tomorrow?")
        receiver.wait_for(lambda: len(receiver.shown) == 1, "Carol's notification")
        first = receiver.shown[0]
        assert (first.app_name, first.summary, first.body) == ("Parley", "Carol", "Lunch tomorrow?")
        assert "default" in first.actions[::2]

        # Bob writes twice: one notification for his conversation, replaced, counting.
        arrives(bob, "Dinner at 8?")
        arrives(bob, "Or 9")
        receiver.wait_for(lambda: len(receiver.shown) == 3, "Bob's second notification")
        assert [(s.summary, s.body) for s in receiver.shown[1:]] == [
            ("Bob", "Dinner at 8?"),
            ("Bob", "Or 9\n(1 more message)"),
        ]
        assert receiver.closed == [receiver.shown[1].id]  # the first of Bob's was withdrawn, not Carol's

        # Activating Bob's opens his conversation and brings the window forward. (Only once the app
        # has the service's answer for it: a click on a notification it does not know yet is lost.)
        wait_until(app.root, lambda: app.notices.desktop.dispatched == 3, "the notification's id back")
        receiver.activate(receiver.shown[2].id)
        wait_until(app.root, lambda: app.chat.model.open_contact == bob_phone, "Bob's conversation opened")
        assert app.main.pane is app.main.conversation
        wait_until(app.root, app.chat.presence.looked_at, "the window with the focus")

        # Focused on Bob's conversation: his next message raises none.
        count = len(receiver.shown)
        arrives(bob, "See you")
        none_since(count, "marker one")

        # Name only: the text never reaches the desktop.
        app.settings.open_settings()
        app.main.settings.privacy.content_buttons[NotificationContent.NAME_ONLY].invoke()
        app.chat.back()
        away()
        arrives(bob, "the secret plan")
        receiver.wait_for(lambda: receiver.shown[-1].summary == "Bob", "Bob's name-only notification")
        assert receiver.shown[-1].body == "New message"
        assert all("secret" not in s.body for s in receiver.shown)

        # Nothing: no notification at all.
        app.main.settings.privacy.content_buttons[NotificationContent.NOTHING].invoke()
        count = len(receiver.shown)
        arrives(carol, "Are you there?")
        none_since(count, "marker two")
    finally:
        bob.stop()
        carol.stop()
        app.close()
        other.destroy()


def test_a_request_notifies_only_that_there_is_one_and_a_blocked_number_raises_nothing(
    display: object,
    tmp_path: Path,
    server_factory: Callable[..., InProcessServer],
    receiver: NotificationReceiver,
) -> None:
    server = server_factory(dev_codes=True)
    app = App(
        profiles_root=tmp_path / "alice", config_dir=tmp_path / "config", local_server_dir=tmp_path / "ls"
    )
    sam, olga = HeadlessPeer.with_profiles(tmp_path / "sam"), HeadlessPeer.with_profiles(tmp_path / "olga")
    other = tk.Tk(className="Elsewhere")
    entry = tk.Entry(other)
    entry.pack()
    try:
        wait_until(app.root, lambda: not app.busy, "the profile list")
        alice_phone, sam_phone, olga_phone = fresh_phone(), fresh_phone(), fresh_phone()
        create_and_register(app, server, alice_phone)
        for peer, phone, name in ((sam, sam_phone, "Sam"), (olga, olga_phone, "Olga")):
            register_peer(peer, server, phone, name)
            peer.call(lambda engine: engine.add_contact(alice_phone))
        wait_until(app.root, lambda: not app.busy, "the settings loaded")
        listing = app.main.conversations

        def away() -> None:
            entry.focus_force()
            wait_until(app.root, lambda: not app.chat.presence.looked_at(), "the window without focus")

        def messages_of(phone: str) -> int:
            found: list[int] = []
            app.do(
                Command(
                    "requests",
                    lambda engine: next((r.messages for r in engine.requests() if r.phone == phone), 0),
                    found.append,
                )
            )
            wait_until(app.root, lambda: bool(found), "the engine's requests")
            return found[0]

        def none_since(count: int, marker: str) -> None:
            app.notices.desktop.show(marker, marker, marker)
            receiver.wait_for(lambda: any(s.summary == marker for s in receiver.shown), "the marker")
            assert [s.summary for s in receiver.shown[count:]] == [marker]

        away()
        sam.call(lambda engine: engine.send_text(alice_phone, "a secret offer"))
        wait_until(app.root, lambda: listing.requests_title == "Message requests · 1", "the request")
        receiver.wait_for(lambda: len(receiver.shown) == 1, "the request's notification")
        first = receiver.shown[0]
        assert (first.summary, first.body) == (
            "New message request",
            "From a number not in your contacts. Nothing goes back until you accept.",
        )
        assert "default" in first.actions[::2]
        # More from the same stranger, a flood even: still the one notification.
        for text in ("more secrets", "and more"):
            sam.call(lambda engine, text=text: engine.send_text(alice_phone, text))
        wait_until(app.root, lambda: messages_of(sam_phone) == 3, "Sam's three messages in the requests")
        none_since(1, "marker one")

        # A second stranger: the same notification, replaced, counting the requests.
        olga.call(lambda engine: engine.send_text(alice_phone, "hi, it's Olga"))
        wait_until(app.root, lambda: listing.requests_title == "Message requests · 2", "the second request")
        receiver.wait_for(lambda: len(receiver.shown) == 3, "the second request's notification")
        assert receiver.shown[2].summary == "2 new message requests"
        assert receiver.closed == [first.id]
        for shown in receiver.shown:  # never who, nor what
            words = shown.summary + shown.body
            for secret in ("Sam", "Olga", "secret", "hi, it", sam_phone, olga_phone, sam_phone[-4:]):
                assert secret not in words

        # Activating it opens the requests window.
        wait_until(app.root, lambda: app.notices.desktop.dispatched == 3, "the notification's id back")
        receiver.activate(receiver.shown[2].id)
        wait_until(app.root, lambda: app.requests.dialog is not None, "the requests window")
        dialog = app.requests.dialog
        assert dialog is not None
        wait_until(app.root, lambda: dialog.listbox.size() == 2 and not app.busy, "both requests listed")
        dialog.selected = sam_phone
        dialog.block_button.invoke()
        wait_until(app.root, lambda: dialog.listbox.size() == 1 and not app.busy, "Sam blocked")

        # A blocked number raises nothing, focused or not.
        away()
        count = len(receiver.shown)
        sam.call(lambda engine: engine.send_text(alice_phone, "you cannot block me"))
        wait_until(
            app.root, lambda: "1 message from blocked numbers dropped" in listing.requests_line, "dropped"
        )
        none_since(count, "marker two")
    finally:
        sam.stop()
        olga.stop()
        app.close()
        other.destroy()


def test_with_no_notification_service_settings_says_so_beside_the_choice_and_the_title_still_counts(
    display: object,
    tmp_path: Path,
    server_factory: Callable[..., InProcessServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bus = NotificationReceiver(tmp_path / "dbus")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.start(serve=False))  # a bus nobody receives on
    server = server_factory(dev_codes=True)
    app = App(
        profiles_root=tmp_path / "alice", config_dir=tmp_path / "config", local_server_dir=tmp_path / "ls"
    )
    bob = HeadlessPeer.with_profiles(tmp_path / "bob")
    other = tk.Tk(className="Elsewhere")
    entry = tk.Entry(other)
    entry.pack()
    try:
        wait_until(app.root, lambda: not app.busy, "the profile list")
        alice_phone, bob_phone = fresh_phone(), fresh_phone()
        create_and_register(app, server, alice_phone)
        register_peer(bob, server, bob_phone, "Bob", knows=alice_phone)
        start_conversation(app, bob_phone, "Bob")
        app.main.settings_button.invoke()
        privacy = app.main.settings.privacy
        said = unavailable_text(NO_SERVICE)
        assert said.startswith("Desktop notifications are not available on this computer: no notification")
        wait_until(
            app.root, lambda: str(privacy.unavailable.cget("text")) == said, "the sentence in Settings"
        )
        row = privacy.content_buttons[NotificationContent.NAME_AND_TEXT].master
        wait_until(app.root, privacy.unavailable.winfo_ismapped, "the sentence drawn")
        assert privacy.unavailable.winfo_rooty() > row.winfo_rooty()  # just below the choice

        # Bob writes while the window is not looked at: no notification can show, the title counts it.
        app.chat.back()
        app.chat.open(bob_phone)
        entry.focus_force()
        wait_until(app.root, lambda: not app.chat.presence.looked_at(), "the window without focus")
        bob.call(lambda engine: engine.send_text(alice_phone, "Are you there?"))
        wait_until(app.root, lambda: app.root.title() == window_title(1, app.session.profile_name), "(1)")
        assert bus.shown == [] and str(privacy.unavailable.cget("text")) == said
    finally:
        bob.stop()
        app.close()
        other.destroy()
        bus.stop()
