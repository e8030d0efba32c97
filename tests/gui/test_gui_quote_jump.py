"""A click on a reply's quote in the app: the original is scrolled to and outlined, its page loaded
when it is not drawn; once it is gone (deleted for me), the window says so in words.

A real window under Xvfb, the real engine and a real server; Bob is a profile without a window.
Every wait is bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from gui_support import (
    app_knows,
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press_return,
    register_peer,
    start_conversation,
    wait_until,
)

from gui.app import App
from gui.controllers.timeline import ORIGINAL_GONE, ORIGINAL_NOTE, PAGE
from gui.tooling.peer import HeadlessPeer
from gui.view_models.message_actions import MenuAction
from gui.views.action_marks import quote_tag
from gui.views.bubbles import MessageList
from gui.worker import Command
from net.client.core import events as ev

#: Bob's messages between the original and his reply: more than a page, so the original is not drawn.
FILLER = PAGE + 20


@pytest.fixture
def app(display: object, tmp_path: Path) -> Iterator[App]:
    app = App(
        profiles_root=tmp_path / "alice", config_dir=tmp_path / "config", local_server_dir=tmp_path / "ls"
    )
    app.root.geometry("800x600")
    wait_until(app.root, lambda: not app.busy, "the profile list")
    yield app
    app.close()


def caught_up(app: App) -> None:
    """Every command asked for so far has come back (the worker answers them in order)."""
    done: list[None] = []
    app.do(Command("probe", lambda _engine: None, done.append))
    wait_until(app.root, lambda: bool(done), "the worker to catch up")


def click_quote(messages: MessageList, reply_id: str) -> None:
    c = messages.canvas
    messages.update()
    x0, y0, x1, y1 = c.bbox(quote_tag(reply_id))
    x, y = int((x0 + x1) / 2), int((y0 + y1) / 2 - c.canvasy(0))
    c.event_generate("<Motion>", x=x, y=y)  # the canvas finds the item under the pointer
    c.event_generate("<Button-1>", x=x, y=y)
    c.event_generate("<ButtonRelease-1>", x=x, y=y)
    messages.update()


def test_a_click_on_a_quote_loads_and_outlines_the_original_or_says_it_is_gone(
    app: App, bob: HeadlessPeer, dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    create_and_register(app, dev_server, alice_phone)
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    start_conversation(app, bob_phone, "Bob")
    pane, messages = app.main.conversation, app.main.conversation.messages

    pane.text.insert("1.0", "Meet at the old mill at six")
    press_return(pane.text)
    wait_until(app.root, lambda: len(messages.message_ids()) == 1, "Alice's bubble")
    [original_id] = messages.message_ids()
    received = bob.wait_for(lambda e: isinstance(e, ev.MessageReceived))
    assert isinstance(received, ev.MessageReceived)
    bob.call(lambda engine: [engine.send_text(alice_phone, f"filler {i}") for i in range(FILLER)])
    reply = bob.call(lambda engine: engine.send_reply(original_id, "Which mill?", contact=alice_phone))
    wait_until(app.root, lambda: reply.message_id in messages.block.by_id, "Bob's reply", timeout=120)
    app.chat.timeline.load_newest()  # the newest page only: the original is more than a page back
    caught_up(app)
    assert original_id not in messages.block.by_id and messages.block.by_id[reply.message_id]

    click_quote(messages, reply.message_id)
    caught_up(app)
    assert original_id in messages.block.by_id
    assert messages.flashing == original_id  # its bubble outlined, in view
    assert pane.search_label.cget("text") == ORIGINAL_NOTE and messages.has_newer
    c = messages.canvas
    _x0, y0, _x1, y1 = c.bbox(messages.block.by_id[original_id].bubble_item)
    top = c.canvasy(0)
    assert top <= y0 and y1 <= top + c.winfo_height()

    # the keyboard's way: the reply's menu (the Menu key opens it too) has "Go to the original"
    app.chat.timeline.load_newest()
    caught_up(app)
    assert original_id not in messages.block.by_id
    c.event_generate("<Motion>", x=1, y=1)
    x0, y0, x1, y1 = c.bbox(messages.block.by_id[reply.message_id].bubble_item)
    c.event_generate("<Button-3>", x=int((x0 + x1) / 2), y=int((y0 + y1) / 2 - c.canvasy(0)))
    messages.update()
    menu = messages.menu.menu
    assert menu is not None and MenuAction.ORIGINAL.value in messages.menu.labels()
    [index] = [
        i
        for i in range((menu.index("end") or 0) + 1)
        if menu.type(i) == "command" and menu.entrycget(i, "label") == MenuAction.ORIGINAL.value
    ]
    menu.invoke(index)
    caught_up(app)
    assert original_id in messages.block.by_id and messages.flashing == original_id

    # deleted for me: the quote stays on the reply, the original is not there to go to
    app.chat.actions.chosen(messages.block.by_id[original_id].message, MenuAction.DELETE_FOR_ME, "")
    question = app.chat.actions.question
    assert question is not None
    question.confirm_button.invoke()
    wait_until(app.root, lambda: original_id not in messages.block.by_id, "the original deleted for me")
    app.chat.timeline.load_newest()
    caught_up(app)
    click_quote(messages, reply.message_id)
    caught_up(app)
    assert app.main.notice_shown == ORIGINAL_GONE
    assert original_id not in messages.block.by_id
