"""The timeline in the app, through its widgets: the first unread, the jump button, notices, held texts,
new messages after a search jump, and the scrollbar over a whole conversation.

A real Tk window under Xvfb and the real engine; Bob is a profile without a
window on the same real server over TLS. Every wait has a timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
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

from gui.app import App
from gui.controllers.timeline import PAGE
from gui.tooling.peer import HeadlessPeer
from gui.view_models.timeline_model import HELD_MARK, held_line, notice_text
from gui.views.bubbles import MessageList
from gui.worker import Command
from net.client.core import events as ev

BACKLOG = 2000
#: Bob's messages before the search jump; the one with the word is far enough back for a gap after it.
FILLER = 300
ZEBRA_AT = 10


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


def _worker_caught_up(app: App) -> None:
    """Wait until every command asked for so far has come back (the worker answers them in order)."""
    done: list[None] = []
    app.do(Command("probe", lambda _engine: None, done.append))
    wait_until(app.root, lambda: bool(done), "the worker to catch up")


def _jump_to_the_zebra(app: App) -> MessageList:
    """Search every conversation for "zebra" and open the hit, as a person does with the keys."""
    main, field = app.main, app.main.search_field
    press(main.conversation.text, "<Control-Shift-F>")
    if not field.value:
        field.entry.insert(0, "zebra")
    wait_until(app.root, lambda: len(main.search_results.rows()) == 2, "the search result")
    press(field.entry, "<Return>")
    messages = main.conversation.messages
    wait_until(app.root, lambda: messages.found() is not None and messages.flashing, "the found message")
    assert messages.has_newer  # the page around it ends before the newest messages
    assert "Showing the message you found" in str(main.conversation.search_label.cget("text"))
    return messages


def _texts(messages: MessageList) -> list[str]:
    return [m.text for m in messages.shown()]


def test_after_a_search_jump_new_messages_wait_below_until_the_newest_are_loaded_then_come_at_once(
    make_app: Callable[[str], App], peers: Callable[[str], HeadlessPeer], dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    app = make_app("alice")
    app.root.geometry("800x600")
    create_and_register(app, dev_server, alice_phone)
    bob = peers("bob")
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    texts = [f"filler {i}" for i in range(FILLER)]
    texts[ZEBRA_AT] = "Mind the zebra crossing on the way"
    bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    bob.call(lambda engine: [engine.send_text(alice_phone, text) for text in texts])
    row = app.main.conversations.row_text
    wait_until(app.root, lambda: (row(bob_phone) or ("", "", 0))[2] == FILLER, "Bob's messages", timeout=120)
    app.main.conversations.on_select(bob_phone)
    pane = app.main.conversation
    wait_until(app.root, lambda: pane.messages.shown(), "the conversation")

    # 1. A new message below the gap raises the count and is not drawn; scrolling down to the gap
    #    loads on to the newest, where it is.
    messages = _jump_to_the_zebra(app)
    bob.call(lambda engine: engine.send_text(alice_phone, "Are you still there?"))
    wait_until(
        app.root, lambda: "1 unread" in str(messages.jump.cget("text")), "the count on the jump button"
    )
    assert "Are you still there?" not in _texts(messages)
    assert (messages.found() or ("", ""))[1] == "zebra"  # the mark stays meanwhile
    canvas = messages.canvas
    canvas.focus_force()
    for _ in range(200):  # Page Down, as a person presses it; bounded, and each page waits for its answer
        if not messages.has_newer and canvas.yview()[1] >= 0.999:
            break
        canvas.event_generate("<Next>")
        _worker_caught_up(app)
    assert _texts(messages)[-1] == "Are you still there?" and not messages.has_newer
    wait_until(
        app.root, lambda: not messages.jump.shown and messages.unread_below.count == 0, "the count seen"
    )

    # 2. Something I write while the newest are not loaded brings them, with it at the bottom.
    messages = _jump_to_the_zebra(app)
    pane.composer.set("Yes, sorry, I was reading")
    press_return(pane.text)
    wait_until(app.root, lambda: _texts(messages)[-1] == "Yes, sorry, I was reading", "my message at the end")
    assert not messages.has_newer and messages.found() is None  # the found message was left
    wait_until(app.root, lambda: canvas.yview()[1] == 1.0, "the view at the newest")

    # 3. End (the list has the focus) loads the newest page; a page asked for the old block just after
    #    it is not mixed in; from then on a new message is drawn as it comes.
    messages = _jump_to_the_zebra(app)
    bob.call(lambda engine: engine.send_text(alice_phone, "Hello?"))
    wait_until(app.root, lambda: "1 unread" in str(messages.jump.cget("text")), "the count again")
    _worker_caught_up(app)
    canvas.focus_force()
    canvas.update()
    canvas.event_generate("<End>")  # the newest page is asked for …
    canvas.yview_moveto(1.0)  # … and, before it comes, the old block's next page too
    canvas.update_idletasks()
    assert messages.has_newer and messages.block.asked_newer
    _worker_caught_up(app)
    newest = [*texts[-(PAGE - 3) :], "Are you still there?", "Yes, sorry, I was reading", "Hello?"]
    assert _texts(messages) == newest and not messages.has_newer
    assert messages.found() is None and not pane.search_bar.winfo_manager()  # the found note went too
    wait_until(app.root, lambda: canvas.yview()[1] == 1.0 and not messages.jump.shown, "the newest in view")
    bob.call(lambda engine: engine.send_text(alice_phone, "There you are"))
    wait_until(app.root, lambda: _texts(messages)[-1] == "There you are", "the next message drawn at once")
    assert canvas.yview()[1] == 1.0


def test_the_scrollbar_stands_for_the_whole_conversation_and_a_drag_to_the_top_reaches_the_oldest(
    make_app: Callable[[str], App], peers: Callable[[str], HeadlessPeer], dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    app = make_app("alice")
    app.root.geometry("800x600")
    create_and_register(app, dev_server, alice_phone)
    bob = peers("bob")
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    stories = [f"Story {i}" + " and on" * (i % 7) for i in range(BACKLOG)]  # bubbles of different heights
    bob.call(lambda engine: [engine.send_text(alice_phone, story) for story in stories])
    row = app.main.conversations.row_text
    wait_until(app.root, lambda: (row(bob_phone) or ("", "", 0))[2] == BACKLOG, "the messages", timeout=240)
    app.main.conversations.on_select(bob_phone)
    messages = app.main.conversation.messages
    wait_until(app.root, lambda: messages.divider_text() is not None, "the conversation at its first unread")
    messages.jump.invoke()  # to the newest: 1,900 older ones are not loaded
    wait_until(app.root, lambda: _texts(messages)[-1].startswith(f"Story {BACKLOG - 1}"), "the newest page")
    _worker_caught_up(app)
    app.root.update()

    bar = messages.scrollbar
    first, last = (float(f) for f in bar.get()[:2])
    visible = len(messages.visible_ids())
    assert last == 1.0 and 0.6 < (last - first) / (visible / BACKLOG) < 1.6  # about visible / total
    assert len(messages.shown()) <= 2 * PAGE

    x, y = bar.winfo_width() // 2, int((first + last) / 2 * bar.winfo_height())
    assert "thumb" in bar.identify(x, y)
    started = time.monotonic()
    bar.event_generate("<ButtonPress-1>", x=x, y=y)
    for step in range(1, 11):  # the pointer goes up to the top in ten moves
        bar.event_generate("<B1-Motion>", x=x, y=y - y * step // 10)
        app.root.update()
    bar.event_generate("<ButtonRelease-1>", x=x, y=0)
    wait_until(
        app.root,
        lambda: _texts(messages)[0] == "Story 0" and messages.canvas.yview()[0] == 0.0,
        "the oldest message at the top",
        timeout=20,
    )
    took = time.monotonic() - started
    assert took < 10, f"the drag to the top took {took:.1f} s"
    assert len(messages.shown()) <= 2 * PAGE  # it went by its place, not through every page between
    assert float(bar.get()[0]) == 0.0
