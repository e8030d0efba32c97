"""The app end to end: a real Tk window under Xvfb, the real engine, a real server over TLS on loopback.

Alice uses the window, driven through its widgets; Bob is a second profile
without a window (the same engine on the same worker class). Every wait is on
an event or a condition with a timeout.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import InProcessServer, fresh_phone
from disk_support import SmallDisk
from gui_support import (
    PASSPHRASE,
    app_knows,
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
    press_return,
    register_peer,
    start_conversation,
    type_into,
    wait_until,
)
from PIL import Image

from gui import preferences
from gui.app import App
from gui.controllers.chat import PAGE
from gui.controllers.files import FilePickers
from gui.local_server import NOTE_NAME
from gui.tooling.peer import HeadlessPeer
from gui.view_models.file_model import FileAction
from gui.view_models.names import formatted_number
from gui.view_models.wording import TICKS, key_change_warning
from gui.worker import Command
from net.client.core import events as ev
from net.client.core.engine_error import EngineError


@pytest.fixture
def make_app(display: object, tmp_path: Path) -> Iterator[Callable[[str], App]]:
    apps: list[App] = []

    def make(name: str = "alice") -> App:
        app = App(
            profiles_root=tmp_path / name,
            config_dir=tmp_path / f"{name}-config",
            local_server_dir=tmp_path / "ls",
        )
        apps.append(app)
        wait_until(app.root, lambda: not app.busy, "the profile list")
        return app

    yield make
    for app in apps:
        app.close()
    apps.clear()


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[Callable[[str], HeadlessPeer]]:
    started: list[HeadlessPeer] = []

    def make(name: str) -> HeadlessPeer:
        started.append(HeadlessPeer.with_profiles(tmp_path / name))
        return started[-1]

    yield make
    for peer in started:
        peer.stop()


def test_two_people_register_and_chat_with_ticks_typing_search_and_a_key_change(
    make_app: Callable[[str], App], peers: Callable[[str], HeadlessPeer], dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    app = make_app("alice")
    create_and_register(app, dev_server, alice_phone)
    assert app.main.profile_phone.cget("text") == formatted_number(alice_phone)
    wait_until(
        app.root, lambda: str(app.main.status.cget("text")).startswith("Connected"), "the connected status"
    )

    bob = peers("bob")
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    start_conversation(app, bob_phone, "Bob")
    pane, messages = app.main.conversation, app.main.conversation.messages

    # Alice writes; Enter sends, Shift+Enter breaks the line
    pane.text.insert("1.0", "Hi Bob!")
    press(pane.text, "<Shift-Return>")
    pane.text.insert("end-1c", "Friday?")
    press_return(pane.text)
    wait_until(app.root, lambda: len(messages.message_ids()) == 1, "Alice's bubble")
    sent_id = messages.message_ids()[0]
    assert pane.text.get("1.0", "end-1c") == ""
    received = bob.wait_for(lambda e: isinstance(e, ev.MessageReceived))
    assert received.message.text == "Hi Bob!\nFriday?"
    wait_until(
        app.root, lambda: messages.status_of(sent_id) == ev.MessageStatus.DELIVERED, "the delivered ticks"
    )
    assert messages.meta_text(sent_id).endswith(TICKS[ev.MessageStatus.DELIVERED])
    bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    bob.call(lambda engine: engine.mark_read(alice_phone))
    wait_until(app.root, lambda: messages.status_of(sent_id) == ev.MessageStatus.READ, "the read ticks")

    # Alice starts typing again: Bob sees a notice
    press(pane.text, "<KeyPress-H>")
    notice = bob.wait_for(lambda e: isinstance(e, ev.TypingChanged))
    assert notice == ev.TypingChanged(alice_phone, True)
    pane.text.delete("1.0", "end")

    # Bob types, then answers
    bob.call(lambda engine: engine.set_typing(alice_phone, True))
    wait_until(app.root, lambda: pane.typing.cget("text") == "Bob is typing…", "Bob's typing notice")
    bob.call(lambda engine: engine.send_text(alice_phone, "Yes, seven o'clock"))
    wait_until(app.root, lambda: len(messages.message_ids()) == 2, "Bob's bubble")
    assert app.main.conversations.row_text(bob_phone) == ("Bob", "Yes, seven o'clock", 0)
    assert pane.typing.cget("text") == ""

    # search in the conversation, then back to everything
    type_into(pane.search, "seven")
    press_return(pane.search)
    wait_until(app.root, lambda: len(messages.message_ids()) == 1, "the search result")
    assert "1 message" in str(pane.search_label.cget("text"))
    pane.clear_search()
    wait_until(app.root, lambda: len(messages.message_ids()) == 2, "the whole conversation again")

    # the contact details (safety number, verified, the name) are test_gui_details.py's

    # Bob reinstalls: a new identity key for the same number
    bob.stop()
    new_bob = peers("bob-reinstalled")
    register_peer(new_bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    new_bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    new_bob.call(lambda engine: engine.send_text(alice_phone, "New phone, same Bob"))
    wait_until(app.root, lambda: pane.key_warning_shown, "the key-change warning")
    assert str(pane.banner_text.cget("text")).endswith(key_change_warning("Bob"))
    assert not app.chat.model.contacts[bob_phone].verified

    # a message written now waits until Alice accepts the change; then it goes out
    pane.text.insert("1.0", "Is that really you?")
    press_return(pane.text)
    wait_until(app.root, lambda: messages.shown()[-1].text == "Is that really you?", "the held message")
    held = messages.message_ids()[-1]
    assert messages.status_of(held) == ev.MessageStatus.QUEUED
    pane.accept_button.invoke()
    wait_until(app.root, lambda: not pane.key_warning_shown, "the warning to go")
    out = (ev.MessageStatus.SENT, ev.MessageStatus.DELIVERED, ev.MessageStatus.READ)
    wait_until(app.root, lambda: messages.status_of(held) in out, "the held message to go out")
    got = new_bob.wait_for(
        lambda e: isinstance(e, ev.MessageReceived) and e.message.text == "Is that really you?"
    )
    assert got.message.contact == alice_phone


def test_a_wrong_passphrase_says_so_and_the_right_one_opens_the_profile(
    make_app: Callable[[str], App], dev_server: InProcessServer
) -> None:
    app = make_app("alice")
    create_and_register(app, dev_server, fresh_phone())
    app.main.settings_button.invoke()
    app.main.settings.on_lock()
    wait_until(
        app.root, lambda: app.screen is app.welcome and app.welcome.profiles.size() == 1, "the welcome screen"
    )

    w = app.welcome
    type_into(w.passphrase.entry, "not my passphrase at all")
    press_return(w.passphrase.entry)
    wait_until(
        app.root, lambda: w.passphrase.note.cget("text") and not app.busy, "the wrong-passphrase message"
    )
    assert "passphrase" in str(w.passphrase.note.cget("text")).lower()
    assert app.screen is w

    type_into(w.passphrase.entry, PASSPHRASE)
    w.unlock_button.invoke()
    wait_until(app.root, lambda: app.screen is app.main and not app.busy, "the main window")
    assert w.passphrase.value == ""  # no passphrase left in a widget


def test_an_unknown_number_is_explained_in_the_new_conversation_form(
    make_app: Callable[[str], App], dev_server: InProcessServer
) -> None:
    app = make_app("dan")
    create_and_register(app, dev_server, fresh_phone(), name="Dan")
    m = app.main
    press(m.conversations.canvas, "<Control-n>")  # the keyboard way to the new-conversation form
    assert m.new_form.winfo_manager()
    type_into(m.new_phone.entry, "12")
    m.start_button.invoke()
    assert "phone number" in str(m.new_phone.note.cget("text"))
    type_into(m.new_phone.entry, fresh_phone())
    m.start_button.invoke()
    wait_until(app.root, lambda: m.new_phone.note.cget("text") and not app.busy, "the unknown-number message")
    assert app.chat.model.open_contact is None
    press(m.new_phone.entry, "<Escape>")
    assert not m.new_form.winfo_manager()


def test_an_engine_refusal_without_a_form_of_its_own_shows_in_the_window(
    make_app: Callable[[str], App], peers: Callable[[str], HeadlessPeer], dev_server: InProcessServer
) -> None:
    bob_phone = fresh_phone()
    app = make_app("alice")
    create_and_register(app, dev_server, fresh_phone())
    register_peer(peers("bob"), dev_server, bob_phone, "Bob")
    start_conversation(app, bob_phone, "Bob")
    app.chat.retry("a-message-that-never-failed")  # what a stale click on a "Retry" would do
    wait_until(app.root, lambda: app.main.notice_shown, "the notice")
    assert app.main.notice_shown == "Only a message that failed can be sent again."


def test_the_local_server_button_starts_a_server_that_the_app_stops_on_close(
    make_app: Callable[[str], App],
) -> None:
    app: Any = make_app("erin")
    app.welcome.local_button.invoke()
    wait_until(app.root, lambda: app.local_server.address and not app.busy, "the local server")
    assert app.welcome.server_var.get() == app.local_server.address
    assert app.local_server.address in str(app.welcome.server_note.cget("text"))
    # the app knows the fingerprint its own server printed, and says so at first contact
    type_into(app.welcome.display_name.entry, "Erin")
    type_into(app.welcome.new_passphrase.entry, PASSPHRASE)
    type_into(app.welcome.repeat.entry, PASSPHRASE)
    app.welcome.create_button.invoke()
    wait_until(app.root, lambda: app.screen is app.server_key, "the server's fingerprint")
    assert "local server that Parley started" in str(app.server_key.advice.cget("text"))
    process = app.local_server._process
    app.close()
    assert process.poll() is not None


def test_a_message_in_another_conversation_rings_and_counts_in_the_title_until_read(
    make_app: Callable[[str], App], peers: Callable[[str], HeadlessPeer], dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone, carol_phone = fresh_phone(), fresh_phone(), fresh_phone()
    app = make_app("alice")
    rings: list[int] = []
    app.root.bell = lambda *args, **kwargs: rings.append(1)  # type: ignore[method-assign]
    create_and_register(app, dev_server, alice_phone)
    bob, carol = peers("bob"), peers("carol")
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    register_peer(carol, dev_server, carol_phone, "Carol", knows=alice_phone)
    app_knows(app, carol_phone)
    start_conversation(app, carol_phone, "Carol")

    bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    sent = bob.call(lambda engine: engine.send_text(alice_phone, "Psst, it's Bob"))
    wait_until(app.root, lambda: app.main.conversations.row_text(bob_phone) is not None, "Bob's conversation")
    assert app.main.conversations.row_text(bob_phone)[1:] == ("Psst, it's Bob", 1)
    assert app.root.title() == "(1) Parley — Alice"
    assert rings == [1]
    assert app.main.conversations.contacts()[0] == bob_phone  # newest first

    app.main.conversation.text.insert("1.0", "Dear Carol, about")  # a draft, left for Bob's message
    app.main.conversations.on_select(bob_phone)
    wait_until(app.root, lambda: len(app.main.conversation.messages.message_ids()) == 1, "Bob's message")
    assert app.main.conversation.text.get("1.0", "end-1c") == ""
    assert app.root.title() == "Parley — Alice"
    assert app.main.conversations.row_text(bob_phone)[2] == 0
    bob.wait_for(
        lambda e: (
            isinstance(e, ev.MessageStatusChanged)
            and e.message_id == sent.message_id
            and e.status == ev.MessageStatus.READ
        )
    )
    app.main.conversations.on_select(carol_phone)
    assert app.main.conversation.text.get("1.0", "end-1c") == "Dear Carol, about"


def test_settings_change_the_passphrase_log_out_and_in_and_delete_the_account(
    make_app: Callable[[str], App], dev_server: InProcessServer
) -> None:
    app = make_app("alice")
    create_and_register(app, dev_server, fresh_phone())
    settings = app.main.settings
    app.main.settings_button.invoke()
    assert app.main.pane is settings
    settings.theme_buttons["dark"].invoke()
    assert app.palette.name == "dark"
    assert preferences.load(app.config_dir).theme == "dark"
    settings.theme_buttons["light"].invoke()

    new_passphrase = "an even longer and happier passphrase"
    type_into(settings.old.entry, "this is not it at all")
    type_into(settings.new.entry, new_passphrase)
    type_into(settings.repeat.entry, new_passphrase)
    settings._change()
    wait_until(
        app.root, lambda: settings.old.note.cget("text") and not app.busy, "the wrong-passphrase message"
    )
    type_into(settings.old.entry, PASSPHRASE)
    settings._change()
    wait_until(app.root, lambda: settings.passphrase_note.cget("text") and not app.busy, "the change")
    assert settings.old.value == settings.new.value == ""

    settings.on_logout()
    wait_until(app.root, lambda: app.main.reconnect_button.winfo_manager(), "the logged-out status")
    assert str(app.main.status.cget("text")).startswith("Logged out")
    app.main.reconnect_button.invoke()
    wait_until(app.root, lambda: str(app.main.status.cget("text")).startswith("Connected"), "the login")

    app.main.settings_button.invoke()
    settings._ask_delete()
    settings.delete_button.invoke()
    wait_until(app.root, lambda: app.screen is app.registration and not app.busy, "the registration screen")
    assert "deleted" in str(app.registration.error.cget("text"))

    app.registration.cancel_link.invoke()
    wait_until(
        app.root, lambda: app.screen is app.welcome and app.welcome.profiles.size() == 1, "the welcome"
    )
    type_into(app.welcome.passphrase.entry, new_passphrase)
    app.welcome.unlock_button.invoke()
    wait_until(app.root, lambda: app.screen is app.registration and not app.busy, "the unregistered profile")


def test_a_server_that_comes_back_with_another_key_is_a_blocking_warning_with_both_fingerprints(
    make_app: Callable[[str], App], server_factory: Callable[..., InProcessServer], tmp_path: Path
) -> None:
    first = server_factory(dev_codes=True, data_dir=tmp_path / "first-server")
    app = make_app("alice")
    create_and_register(app, first, fresh_phone())
    port = first.address[1]
    first.stop()
    wait_until(
        app.root, lambda: str(app.main.status.cget("text")).startswith("Reconnecting"), "the status bar"
    )
    impostor = server_factory(dev_codes=True, data_dir=tmp_path / "other-server", port=port)
    assert impostor.fingerprint != first.fingerprint

    wait_until(app.root, lambda: app.screen is app.server_key, "the changed-key warning", timeout=120)
    view = app.server_key
    assert "changed" in str(view.title.cget("text"))
    shown = [
        str(label.cget("text")).replace(" ", "").replace("\n", "").lower()
        for label in view.prints.winfo_children()
        if str(label.cget("style")) == "Card.Digits.TLabel"
    ]
    assert shown == [first.fingerprint.hex(), impostor.fingerprint.hex()]
    assert "Nothing was sent" in str(view.intro.cget("text"))

    view.cancel_button.invoke()
    wait_until(app.root, lambda: app.screen is app.welcome and not app.busy, "the welcome screen")
    assert "server's key" in str(app.welcome.error.cget("text"))


def test_a_second_window_finds_the_local_server_the_first_one_started(
    make_app: Callable[[str], App], tmp_path: Path
) -> None:
    (tmp_path / "ls").mkdir()
    note = {"pid": os.getpid(), "address": "127.0.0.1:45678"}  # a live process: this one
    (tmp_path / "ls" / NOTE_NAME).write_text(json.dumps(note), encoding="utf-8")
    app = make_app("frank")
    assert app.welcome.server_var.get() == "127.0.0.1:45678"
    assert "Parley's local server runs on this computer" in str(app.welcome.server_note.cget("text"))
    assert str(app.welcome.local_button.cget("text")) == "Use the local server on this computer"
    app.welcome.local_button.invoke()  # no second server: it uses the running one
    assert not app.local_server.running


def test_older_messages_load_when_the_conversation_is_scrolled_to_the_top(
    make_app: Callable[[str], App], peers: Callable[[str], HeadlessPeer], dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    app = make_app("alice")
    create_and_register(app, dev_server, alice_phone)
    bob = peers("bob")
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    bob.call(lambda engine: [engine.send_text(alice_phone, f"Story part {i}") for i in range(PAGE + 10)])
    row = app.main.conversations.row_text
    wait_until(
        app.root, lambda: row(bob_phone) is not None and row(bob_phone)[2] == PAGE + 10, "the unread count"
    )

    app.main.conversations.on_select(bob_phone)  # opens at the first unread one (see test_gui_timeline)
    messages = app.main.conversation.messages
    wait_until(app.root, lambda: messages.divider_text() is not None, "the unread divider")
    # Read is what was seen in a focused window: the newest message must come into view.
    app.root.focus_force()
    messages.jump_to_bottom()
    wait_until(app.root, lambda: row(bob_phone)[2] == 0, "the conversation read")
    app.main.conversations.on_select(bob_phone)  # all read now: it opens at the newest page
    wait_until(
        app.root,
        lambda: len(messages.message_ids()) == PAGE and messages.divider_text() is None,
        "the newest page",
    )
    assert messages.shown()[-1].text == f"Story part {PAGE + 9}"
    messages.canvas.yview_moveto(0.0)
    wait_until(app.root, lambda: len(messages.message_ids()) == PAGE + 10, "the older page")
    assert [m.text for m in messages.shown()] == [f"Story part {i}" for i in range(PAGE + 10)]


def test_a_profile_opened_while_its_server_is_down_waits_in_the_main_window_and_reconnects(
    make_app: Callable[[str], App], server_factory: Callable[..., InProcessServer], tmp_path: Path
) -> None:
    server = server_factory(dev_codes=True, data_dir=tmp_path / "server")
    app = make_app("alice")
    create_and_register(app, server, fresh_phone())
    port = server.address[1]
    app.onboarding.lock()
    wait_until(app.root, lambda: app.welcome.profiles.size() == 1, "the welcome screen")
    server.stop()

    type_into(app.welcome.passphrase.entry, PASSPHRASE)
    app.welcome.unlock_button.invoke()
    wait_until(app.root, lambda: app.screen is app.main and app.main.notice_shown, "the offline notice")
    assert "could not reach the server" in app.main.notice_shown
    assert not str(app.main.status.cget("text")).startswith("Connected")

    server_factory(dev_codes=True, data_dir=tmp_path / "server", port=port)
    status = app.main.status
    wait_until(
        app.root, lambda: str(status.cget("text")).startswith("Connected"), "the reconnection", timeout=120
    )


def test_an_engine_that_cannot_start_is_explained_and_nothing_waits_for_it(
    display: None, tmp_path: Path
) -> None:
    def broken(emit: Callable[[ev.Event], None]) -> Any:
        raise EngineError("profile_error", "Parley cannot open its profiles folder.")

    app = App(config_dir=tmp_path / "config", local_server_dir=tmp_path / "ls", make_engine=broken)
    try:
        wait_until(app.root, lambda: app.welcome.error.cget("text"), "the start error")
        type_into(app.welcome.display_name.entry, "Alice")
        type_into(app.welcome.new_passphrase.entry, PASSPHRASE)
        type_into(app.welcome.repeat.entry, PASSPHRASE)
        app.welcome.create_button.invoke()
        wait_until(app.root, lambda: "not running" in str(app.welcome.error.cget("text")), "the refusal")
        assert not app.busy
    finally:
        app.close()


def test_a_full_disk_is_shown_until_writes_work_again_and_a_refused_text_stays_in_the_composer(
    display: object, tmp_path: Path, peers: Callable[[str], HeadlessPeer], dev_server: InProcessServer
) -> None:
    with SmallDisk(tmp_path / "disk") as disk:
        app = App(
            profiles_root=disk.root / "alice", config_dir=tmp_path / "c", local_server_dir=tmp_path / "ls"
        )
        try:
            wait_until(app.root, lambda: not app.busy, "the profile list")
            alice_phone = fresh_phone()
            create_and_register(app, dev_server, alice_phone)
            bob, bob_phone = peers("bob"), fresh_phone()
            register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
            start_conversation(app, bob_phone, "Bob")
            pane, main = app.main.conversation, app.main

            def on_engine(action: Callable[[Any], None]) -> None:  # the profile belongs to the worker thread
                done: list[object] = []
                app.do(Command("disk", lambda engine: action(engine._ctx.profile._vault.conn), done.append))
                wait_until(app.root, lambda: done, "the disk step")

            on_engine(disk.fill)
            refused = ""
            for n in range(200):  # the last free pages fill up first
                text = f"filling {n} " + "x" * 2000
                pane.text.insert("1.0", text)
                press_return(pane.text)
                wait_until(
                    app.root,
                    lambda n=n: len(pane.messages.message_ids()) > n or main.notice_shown,
                    "the send",
                )
                if main.notice_shown:
                    refused = text
                    break
            assert refused and "disk is full" in main.notice_shown
            wait_until(app.root, lambda: pane.text.get("1.0", "end-1c") == refused, "the refused text back")

            on_engine(disk.free)
            press_return(pane.text)
            wait_until(app.root, lambda: not main.notice_shown, "the notice to go")
            wait_until(app.root, lambda: len(pane.messages.message_ids()) == n + 1, "the text sent")
            received = bob.wait_for(
                lambda e: isinstance(e, ev.MessageReceived) and e.message.text == refused, timeout=60
            )
            assert received is not None
        finally:
            app.close()


def test_pictures_and_files_cross_in_the_window_with_progress_pause_open_and_save(
    make_app: Callable[[str], App],
    peers: Callable[[str], HeadlessPeer],
    dev_server: InProcessServer,
    tmp_path: Path,
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    app = make_app("alice")
    create_and_register(app, dev_server, alice_phone)
    bob = peers("bob")
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    start_conversation(app, bob_phone, "Bob")
    pane, messages = app.main.conversation, app.main.conversation.messages
    files = app.chat.files
    sent = tmp_path / "minutes.txt"
    sent.write_bytes(b"the minutes of Tuesday\n" * 1000)
    opened: list[Path] = []
    saved_to = tmp_path / "saved" / "photo.png"
    saved_to.parent.mkdir()
    files.pickers = FilePickers(
        choose_files=lambda _parent: [sent], opener=opened.append, save_as=lambda _p, _name: saved_to
    )

    # Alice: Ctrl+U, the dialog's file staged, a caption, Enter
    press(pane.text, "<Control-u>")
    assert pane.composer.staged.lines() == ["minutes.txt · 22 KB"]
    pane.text.insert("1.0", "for Friday")
    press_return(pane.text)
    wait_until(app.root, lambda: len(messages.message_ids()) == 1, "Alice's file bubble")
    mine = messages.message_ids()[0]
    done = ev.TransferState.DONE
    wait_until(app.root, lambda: messages.attachment(mine).state == done, "the upload done")  # type: ignore[union-attr]
    got = bob.wait_for(lambda e: isinstance(e, ev.MessageReceived) and e.message.attachment is not None)
    assert isinstance(got, ev.MessageReceived) and got.message.text == "for Friday"
    bob.wait_for(
        lambda e: (
            isinstance(e, ev.TransferProgress)
            and e.message_id == got.message.message_id
            and e.attachment.state == done
        )
    )
    assert bob.call(lambda engine: engine.file_bytes(got.message.message_id, 1 << 20)) == sent.read_bytes()

    # Bob: a picture and a large file; Alice's window shows the picture inline and the file moving
    photo = tmp_path / "photo.png"
    Image.new("RGB", (1200, 800), (30, 120, 200)).save(photo, format="PNG")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(12 * 1024 * 1024))
    seen: list[ev.AttachmentView] = []
    shown = messages.set_attachment

    def watch(message_id: str, attachment: ev.AttachmentView) -> None:
        seen.append(attachment)
        shown(message_id, attachment)

    messages.set_attachment = watch  # type: ignore[method-assign]
    bob.call(lambda engine: engine.send_file(photo, contact=alice_phone))
    wait_until(app.root, lambda: len(messages.message_ids()) == 2, "Bob's picture")
    picture_id = messages.message_ids()[1]
    wait_until(app.root, lambda: messages.attachment(picture_id).state == done, "the picture downloaded")  # type: ignore[union-attr]
    [thumb] = messages.canvas.find_withtag(f"att:{picture_id}&&thumbnail")
    assert messages.canvas.type(thumb) == "image"
    x0, y0, x1, y1 = messages.canvas.bbox(thumb)
    assert abs((x1 - x0) / (y1 - y0) - 1.5) < 0.02
    messages.canvas.event_generate("<Button-1>", x=(x0 + x1) // 2, y=int(y0 - messages.canvas.canvasy(0)) + 5)
    wait_until(app.root, lambda: picture_id in files.viewers, "the picture viewer")
    assert files.viewers[picture_id].picture.size == (1200, 800)
    files.viewers[picture_id].save_button.invoke()
    wait_until(app.root, lambda: saved_to.exists() and not app.busy, "the picture saved")
    assert saved_to.read_bytes() == photo.read_bytes()
    files.viewers[picture_id].destroy()

    bob.call(lambda engine: engine.send_file(big, contact=alice_phone, caption="the big one"))
    wait_until(app.root, lambda: len(messages.message_ids()) == 3, "Bob's large file")
    big_id = messages.message_ids()[2]
    moving = (ev.TransferState.WAITING, ev.TransferState.DOWNLOADING)
    wait_until(app.root, lambda: messages.canvas.find_withtag(f"att:{big_id}&&file-bar-fill"), "its bar")
    assert messages.attachment(big_id).state in moving  # type: ignore[union-attr]
    messages.on_file_action(big_id, FileAction.PAUSE)  # what the Pause link does
    paused = ev.TransferState.PAUSED
    wait_until(app.root, lambda: messages.attachment(big_id).state == paused, "the download paused")  # type: ignore[union-attr]
    assert [
        str(messages.canvas.itemcget(i, "text"))
        for i in messages.canvas.find_withtag(f"att:{big_id}&&file-link")
    ] == [
        "Resume",
        "Cancel",
    ]
    messages.on_file_action(big_id, FileAction.RESUME)
    wait_until(app.root, lambda: messages.attachment(big_id).state == done, "the large file downloaded")  # type: ignore[union-attr]
    progress = [
        a.transferred
        for a in seen
        if a.state == ev.TransferState.DOWNLOADING and a.size == big.stat().st_size
    ]
    assert progress and progress == sorted(progress)  # the bar only moved forward
    assert not messages.canvas.find_withtag(f"att:{big_id}&&file-bar")  # done: no bar, Open and Save as
    messages.on_file_action(big_id, FileAction.OPEN)
    wait_until(app.root, lambda: opened, "the file handed to the system's opener")
    assert opened[0].read_bytes() == big.read_bytes()
    assert app.main.conversations.row_text(bob_phone)[1] == "the big one"
