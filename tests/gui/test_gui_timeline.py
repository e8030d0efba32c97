"""The timeline in the app, through its widgets: the first unread, the jump button, notices, held texts.

A real Tk window under Xvfb and the real engine; Bob is a profile without a
window on the same real server over TLS. Every wait has a timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from gui_support import (
    PASSPHRASE,
    app_knows,
    create_and_register,
    display_for_tests,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press_return,
    register_peer,
    start_conversation,
    type_into,
    wait_until,
)

from gui.app import App
from gui.tooling.peer import HeadlessPeer
from gui.view_models.timeline_model import HELD_MARK, held_line, notice_text
from net.client.core import events as ev

BACKLOG = 2000


@pytest.fixture(scope="session")
def display() -> Iterator[None]:
    yield from display_for_tests()


@pytest.fixture
def dev_server(server_factory: Callable[..., InProcessServer]) -> InProcessServer:
    return server_factory(dev_codes=True)


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


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[Callable[[str], HeadlessPeer]]:
    started: list[HeadlessPeer] = []

    def make(name: str) -> HeadlessPeer:
        started.append(HeadlessPeer.with_profiles(tmp_path / name))
        return started[-1]

    yield make
    for peer in started:
        peer.stop()


def test_a_backlog_opens_at_the_first_unread_with_the_divider_and_the_jump_button_goes_to_the_end(
    make_app: Callable[[str], App], peers: Callable[[str], HeadlessPeer], dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    app = make_app("alice")
    create_and_register(app, dev_server, alice_phone)
    bob = peers("bob")
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)  # a contact, not a message request
    bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    bob.call(lambda engine: engine.send_text(alice_phone, "Before the backlog"))
    row = app.main.conversations.row_text
    wait_until(app.root, lambda: row(bob_phone) is not None and row(bob_phone)[1], "Bob's first message")
    app.main.conversations.on_select(bob_phone)  # read it, then leave the conversation
    messages = app.main.conversation.messages
    wait_until(app.root, lambda: row(bob_phone)[2] == 0, "the first message read")
    app.main.show_pane(app.main.empty)
    app.chat.model.open_contact = None

    bob.call(lambda engine: [engine.send_text(alice_phone, f"Story {i}") for i in range(BACKLOG)])
    wait_until(app.root, lambda: row(bob_phone)[2] == BACKLOG, "the unread count", timeout=240)

    app.main.conversations.on_select(bob_phone)
    wait_until(app.root, lambda: messages.divider_text() is not None, "the unread divider")
    assert messages.divider_text() == f"{BACKLOG:,} unread messages"
    wait_until(app.root, messages.divider_in_view, "the divider in view")
    texts = [m.text for m in messages.shown()]
    assert texts[0] == "Before the backlog" and texts[1] == "Story 0"  # context above the first unread
    assert messages.has_newer  # the newest are not loaded: the page ends after the first unread
    wait_until(app.root, lambda: messages.jump.shown, "the jump button")
    below = messages.unread_below.count
    assert BACKLOG - 50 < below < BACKLOG and f"{below:,} unread" in str(messages.jump.cget("text"))

    messages.jump.invoke()
    wait_until(
        app.root,
        lambda: messages.shown() and messages.shown()[-1].text == f"Story {BACKLOG - 1}",
        "the newest message",
    )
    wait_until(app.root, lambda: not messages.jump.shown, "the jump button to go at the bottom")
    assert messages.canvas.yview()[1] == 1.0 and messages.unread_below.count == 0


def test_a_key_change_leaves_a_note_that_stays_and_a_held_text_says_why(
    make_app: Callable[[str], App], peers: Callable[[str], HeadlessPeer], dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    app = make_app("alice")
    create_and_register(app, dev_server, alice_phone)
    bob = peers("bob")
    register_peer(bob, dev_server, bob_phone, "Bob")
    start_conversation(app, bob_phone, "Bob")
    pane, messages = app.main.conversation, app.main.conversation.messages
    bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    bob.call(lambda engine: engine.send_text(alice_phone, "Old phone"))
    wait_until(app.root, lambda: len(messages.message_ids()) == 1, "Bob's first message")

    bob.stop()
    new_bob = peers("bob-reinstalled")
    register_peer(new_bob, dev_server, bob_phone, "Bob")
    new_bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    new_bob.call(lambda engine: engine.send_text(alice_phone, "New phone, same Bob"))
    wait_until(app.root, lambda: len(messages.shown()) == 3, "the note and the new message")
    assert [(m.notice, m.text) for m in messages.shown()] == [
        ("", "Old phone"),
        ("key_changed", ""),
        ("", "New phone, same Bob"),
    ]
    canvas = messages.canvas
    words = [str(canvas.itemcget(i, "text")) for i in canvas.find_all() if canvas.type(i) == "text"]
    assert any(notice_text("key_changed", "Bob") in text for text in words)

    # a text written now is held, with its own mark and the reason
    pane.text.insert("1.0", "Is that really you?")
    press_return(pane.text)
    wait_until(app.root, lambda: messages.shown()[-1].text == "Is that really you?", "the held text")
    held = messages.message_ids()[-1]
    assert messages.meta_text(held).endswith(HELD_MARK)
    assert held_line("Bob") in messages.meta_text(held)

    # the note's link opens the safety number
    x0, y0, x1, y1 = canvas.bbox("notice-link")
    canvas.event_generate("<Button-1>", x=(x0 + x1) // 2, y=int(canvas.canvasy(0) * -1) + (y0 + y1) // 2)
    wait_until(app.root, lambda: app.main.pane is app.main.details, "the contact details")
    app.main.details.on_back()

    # locked and unlocked (the engine closes the profile and opens it from disk): the note is where it was
    app.main.settings_button.invoke()
    app.main.settings.on_lock()
    wait_until(
        app.root,
        lambda: app.screen is app.welcome and app.welcome.profiles.size() == 1 and not app.busy,
        "the welcome screen",
    )
    again = app
    w = again.welcome
    type_into(w.passphrase.entry, PASSPHRASE)
    w.unlock_button.invoke()
    wait_until(again.root, lambda: again.screen is again.main and not again.busy, "the main window")
    wait_until(again.root, lambda: again.main.conversations.row_text(bob_phone) is not None, "the list")
    again.main.conversations.on_select(bob_phone)
    kept = again.main.conversation.messages
    wait_until(again.root, lambda: len(kept.shown()) == 4, "the conversation")
    assert [m.notice for m in kept.shown()] == ["", "key_changed", "", ""]
    assert kept.meta_text(held).endswith(HELD_MARK)
    again.main.conversation.accept_button.invoke()
    out = (ev.MessageStatus.SENT, ev.MessageStatus.DELIVERED, ev.MessageStatus.READ)
    wait_until(again.root, lambda: kept.status_of(held) in out, "the held text to go out")
    assert HELD_MARK not in kept.meta_text(held) and "Held" not in kept.meta_text(held)
