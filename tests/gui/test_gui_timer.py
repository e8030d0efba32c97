"""The disappearing timer in the app: the header's choice, the notices in words, the bubble's mark,
the other side's change followed, and a refused choice in a group where we are no admin.

A real window under Xvfb, the real engine and a real server; Bob is a profile without a window.
Every wait is bounded.
"""

from __future__ import annotations

import tkinter as tk

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
from gui.views.bubbles import MessageList
from gui.views.timer_choice import TITLE
from gui.views.timer_mark import timer_tag
from net.client.core import events as ev


def notices(messages: MessageList) -> list[str]:
    return [messages.drawn_text(d.message.message_id) for d in messages.block.drawn if d.message.notice]


def choose(menu: tk.Menu, label: str) -> None:
    last = menu.index("end") or 0
    [index] = [
        i for i in range(last + 1) if menu.type(i) == "radiobutton" and menu.entrycget(i, "label") == label
    ]
    menu.invoke(index)


def test_the_header_sets_the_timer_the_notices_say_it_and_the_other_sides_change_follows(
    app: App, bob: HeadlessPeer, dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    create_and_register(app, dev_server, alice_phone)
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    start_conversation(app, bob_phone, "Bob")
    pane, messages = app.main.conversation, app.main.conversation.messages
    button = pane.timer.button
    assert button.cget("text") == "Off"

    # a wide header has the button, for the keyboard's Tab too (ttk's own focus rule); a narrow one
    # folds it into the ⋯ menu, which has the same choices
    app.root.geometry("1120x740")
    wait_until(app.root, lambda: not pane.narrow and button.winfo_ismapped(), "a wide header with the button")
    assert str(button.cget("takefocus")) == "ttk::takefocus"
    app.root.geometry("640x480")
    wait_until(app.root, lambda: pane.narrow and pane.menu_button.winfo_ismapped(), "a narrow header's ⋯")
    assert not button.winfo_ismapped()
    assert f"{TITLE}: Off" in pane.menu_labels()

    choose(pane.timer.menu, "1 hour")
    wait_until(app.root, lambda: button.cget("text") == "1 hour", "the timer set")
    assert f"{TITLE}: 1 hour" in pane.menu_labels()  # folded, the ⋯ menu says what it is set to
    wait_until(app.root, lambda: "You set disappearing messages to 1 hour" in notices(messages), "our notice")
    assert notices(messages).count("You set disappearing messages to 1 hour") == 1  # drawn once
    changed = bob.wait_for(lambda e: isinstance(e, ev.TimerChanged))
    assert isinstance(changed, ev.TimerChanged) and changed.seconds == 3600 and changed.by == alice_phone

    pane.text.insert("1.0", "the plan, for an hour")
    press_return(pane.text)
    wait_until(app.root, lambda: any(not d.message.notice for d in messages.block.drawn), "Alice's bubble")
    [sent] = [d.message for d in messages.block.drawn if not d.message.notice]
    assert sent.timer == 3600
    marks = messages.canvas.find_withtag(timer_tag(sent.message_id))
    texts = [messages.canvas.itemcget(i, "text") for i in marks if messages.canvas.type(i) == "text"]
    assert texts == ["1h"]

    bob.call(lambda engine: engine.set_disappearing(0, contact=alice_phone))
    wait_until(app.root, lambda: button.cget("text") == "Off", "Bob's change in the header")
    wait_until(app.root, lambda: "Bob turned off disappearing messages" in notices(messages), "Bob's notice")
    row = app.main.conversations.row_text(bob_phone)
    assert row is not None and row[2] == 0  # a notice is no unread message

    pane.text.insert("1.0", "and this one stays")
    press_return(pane.text)
    wait_until(
        app.root, lambda: len([d for d in messages.block.drawn if not d.message.notice]) == 2, "the next"
    )
    newest = messages.block.drawn[-1].message
    assert newest.timer == 0 and not messages.canvas.find_withtag(timer_tag(newest.message_id))


def test_in_a_group_a_member_who_is_no_admin_is_refused_in_words_and_the_admins_change_follows(
    app: App, bob: HeadlessPeer, dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    create_and_register(app, dev_server, alice_phone)
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    group = bob.call(lambda engine: engine.create_group("Walkers", [alice_phone]))
    listing = app.main.conversations
    wait_until(app.root, lambda: listing.row_text(group.group_id) is not None, "the group in the list")
    listing.on_select(group.group_id)
    model, pane = app.chat.model, app.main.conversation
    wait_until(app.root, lambda: model.open_contact == group.group_id, "the group's conversation")
    button = pane.timer.button
    assert button.cget("text") == "Off"

    choose(pane.timer.menu, "1 day")
    wait_until(
        app.root, lambda: "Only an admin of the group can do that." in app.main.notice_shown, "refused"
    )
    assert button.cget("text") == "Off"

    bob.call(lambda engine: engine.set_disappearing(86400, group_id=group.group_id))
    wait_until(app.root, lambda: button.cget("text") == "1 day", "Bob's change in the header")
    wait_until(
        app.root,
        lambda: "Bob set disappearing messages to 1 day" in notices(pane.messages),
        "Bob's notice in the group",
    )
