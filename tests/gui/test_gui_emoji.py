"""The emoji picker in the app: Ctrl+Shift+J and the button for the composer, "More…" for any reaction.

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
    press,
    press_return,
    register_peer,
    start_conversation,
    wait_until,
)

from gui.app import App
from gui.tooling.peer import HeadlessPeer
from gui.views.action_marks import chips_tag
from gui.views.message_menu import MORE
from net.client.core import events as ev


def type_into(widget: tk.Misc, text: str) -> None:
    for char in text:
        press(widget, "<KeyPress-space>" if char == " " else f"<KeyPress-{char}>")


def test_ctrl_shift_j_and_the_button_type_the_chosen_emoji_into_the_composer(
    app: App, bob: HeadlessPeer, dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    create_and_register(app, dev_server, alice_phone)
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    start_conversation(app, bob_phone, "Bob")
    pane, picker = app.main.conversation, app.chat.emoji.picker

    pane.composer.set("on my way ")
    press(pane.text, "<Control-Shift-J>")
    assert picker.window is not None
    wait_until(app.root, lambda: app.root.focus_get() is picker.field, "the picker's field")
    type_into(picker.field, "rocket")
    press_return(picker.field)
    assert picker.window is None and pane.composer.value == "on my way 🚀"
    wait_until(app.root, lambda: app.root.focus_get() is pane.text, "the keyboard back in the composer")

    pane.composer.emoji_button.invoke()
    wait_until(app.root, lambda: app.root.focus_get() is picker.field, "the picker's field")
    assert picker.shown[0].char == "🚀"  # the recently used first
    press_return(picker.field)
    press_return(pane.text)  # sent as text, as typed
    received = bob.wait_for(lambda e: isinstance(e, ev.MessageReceived))
    assert isinstance(received, ev.MessageReceived) and received.message.text == "on my way 🚀🚀"


def test_more_in_the_message_menu_reacts_with_any_emoji_from_the_picker(
    app: App, bob: HeadlessPeer, dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    create_and_register(app, dev_server, alice_phone)
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    start_conversation(app, bob_phone, "Bob")
    pane, messages, picker = app.main.conversation, app.main.conversation.messages, app.chat.emoji.picker
    pane.text.insert("1.0", "the cat is back")
    press_return(pane.text)
    wait_until(app.root, lambda: len(messages.message_ids()) == 1, "Alice's bubble")
    [sent_id] = messages.message_ids()
    received = bob.wait_for(lambda e: isinstance(e, ev.MessageReceived))
    assert isinstance(received, ev.MessageReceived)

    c = messages.canvas
    x0, y0, x1, y1 = c.bbox(messages.block.by_id[sent_id].bubble_item)
    c.event_generate("<Button-3>", x=int((x0 + x1) / 2), y=int((y0 + y1) / 2 - c.canvasy(0)))
    messages.update()
    menu = messages.menu.menu
    assert menu is not None and MORE in messages.menu.labels()
    [index] = [
        i
        for i in range((menu.index("end") or 0) + 1)
        if menu.type(i) == "command" and menu.entrycget(i, "label") == MORE
    ]
    menu.invoke(index)
    assert picker.window is not None
    wait_until(app.root, lambda: app.root.focus_get() is picker.field, "the picker's field")
    type_into(picker.field, "smiling cat")
    press(picker.field, "<Right>")  # the second: 😺 "smiling cat face with open mouth"
    press_return(picker.field)

    wait_until(app.root, lambda: bool(c.find_withtag(chips_tag(sent_id))), "Alice's reaction chip")
    assert messages.block.by_id[sent_id].message.reactions == (("😺", 1, True),)
    reacted = bob.wait_for(lambda e: isinstance(e, ev.MessageChanged) and bool(e.message.reactions))
    assert isinstance(reacted, ev.MessageChanged) and reacted.message.reactions == (("😺", 1, False),)


def test_the_recently_used_emoji_go_when_the_profile_closes(
    app: App, bob: HeadlessPeer, dev_server: InProcessServer
) -> None:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    create_and_register(app, dev_server, alice_phone)
    register_peer(bob, dev_server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    start_conversation(app, bob_phone, "Bob")
    pane, picker = app.main.conversation, app.chat.emoji.picker
    pane.composer.emoji_button.invoke()
    type_into(picker.field, "rocket")
    press_return(picker.field)
    assert picker.recent == ["🚀"]
    pane.composer.emoji_button.invoke()
    app.onboarding.lock()
    wait_until(app.root, lambda: app.screen is not app.main, "the profile locked")
    assert picker.recent == [] and picker.window is None
