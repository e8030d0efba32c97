"""Message actions in the app end to end: a real window under Xvfb, the real engine, a real server.

Alice uses the window through its widgets (a right-click on a bubble, the menu's entries, the
composer); Bob is a profile without a window. His reaction reaches her bubble as a chip, her edit
and her delete for everyone reach his profile. Every wait is bounded.
"""

from __future__ import annotations

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
from gui.tooling.peer import HeadlessPeer
from gui.view_models.action_text import DELETED_TEXT
from gui.views.action_marks import chips_tag
from gui.views.bubbles import MessageList
from net.client.core import events as ev


def right_click_and_choose(messages: MessageList, message_id: str, label: str) -> None:
    c = messages.canvas
    x0, y0, x1, y1 = c.bbox(messages.block.by_id[message_id].bubble_item)
    top = c.canvasy(0)
    c.event_generate("<Button-3>", x=int((x0 + x1) / 2), y=int((y0 + y1) / 2 - top))
    messages.update()
    menu = messages.menu.menu
    assert menu is not None and label in messages.menu.labels()
    last = menu.index("end") or 0
    [index] = [
        i for i in range(last + 1) if menu.type(i) == "command" and menu.entrycget(i, "label") == label
    ]
    menu.invoke(index)


def test_a_reaction_an_edit_and_a_delete_for_everyone_cross_between_the_window_and_a_peer(
    app: App, bob: HeadlessPeer, dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    create_and_register(app, dev_server, alice_phone)
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    start_conversation(app, bob_phone, "Bob")
    pane, messages = app.main.conversation, app.main.conversation.messages

    pane.text.insert("1.0", "lunch at noon?")
    press_return(pane.text)
    wait_until(app.root, lambda: len(messages.message_ids()) == 1, "Alice's bubble")
    [sent_id] = messages.message_ids()
    received = bob.wait_for(lambda e: isinstance(e, ev.MessageReceived))
    assert isinstance(received, ev.MessageReceived)

    # Bob reacts: the chip appears under Alice's bubble, not hers (not outlined as ours)
    bob.call(lambda engine: engine.react(received.message.message_id, "👍", contact=alice_phone))
    wait_until(app.root, lambda: bool(messages.canvas.find_withtag(chips_tag(sent_id))), "Bob's reaction")
    assert messages.block.by_id[sent_id].message.reactions == (("👍", 1, False),)
    assert not messages.canvas.find_withtag("chip-mine")

    # Alice edits through the menu and the composer: her bubble says "edited", Bob's profile has the text
    right_click_and_choose(messages, sent_id, "Edit")
    assert pane.composer.value == "lunch at noon?"
    pane.composer.set("lunch at one?")
    press_return(pane.text)
    wait_until(app.root, lambda: messages.drawn_text(sent_id) == "lunch at one?", "the edited bubble")
    assert messages.meta_text(sent_id).startswith("edited")
    changed = bob.wait_for(lambda e: isinstance(e, ev.MessageChanged) and e.message.edited)
    assert isinstance(changed, ev.MessageChanged) and changed.message.text == "lunch at one?"

    # Alice deletes it for everyone: both sides say it was deleted
    right_click_and_choose(messages, sent_id, "Delete for everyone")
    question = app.chat.actions.question
    assert question is not None  # it asks first
    question.confirm_button.invoke()
    wait_until(app.root, lambda: messages.drawn_text(sent_id) == DELETED_TEXT, "the deleted bubble")
    gone = bob.wait_for(lambda e: isinstance(e, ev.MessageChanged) and e.message.deleted)
    assert isinstance(gone, ev.MessageChanged) and gone.message.text == ""
    history = bob.call(lambda engine: engine.history(alice_phone))
    assert [m.text for m in history] == [""] and history[0].deleted
