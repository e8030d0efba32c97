"""A real message list's context menu: right-click on a bubble, the Menu key and Shift+F10, its entries."""

from __future__ import annotations

import subprocess
import time
import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    wait_until,
)

from gui.view_models.message_actions import REACTIONS, MenuAction
from gui.views.bubbles import MessageList
from gui.views.message_menu import MORE
from gui.views.theme import LIGHT, apply_theme, make_fonts
from net.client.core.events import MessageStatus, MessageView

BOB = "+442079460958"


@pytest.fixture
def messages(display: None) -> Iterator[MessageList]:
    root = tk.Tk()
    root.geometry("800x600")
    fonts = make_fonts(root)
    apply_theme(root, LIGHT, fonts)
    widget = MessageList(root, LIGHT, fonts)
    widget.pack(fill="both", expand=True)
    root.update()
    wait_until(root, lambda: widget.canvas.winfo_width() > 1, "the canvas to get its size")
    yield widget
    widget.menu.close()
    root.destroy()


def theirs() -> MessageView:
    return MessageView(
        "in1", BOB, False, "are we still on for Tuesday?", time.time() - 60, MessageStatus.RECEIVED
    )


def ours() -> MessageView:
    now = time.time()
    return MessageView("out1", BOB, True, "yes, at noon", now - 30, MessageStatus.SENT, sent_at=now - 30)


def right_click(messages: MessageList, message_id: str) -> None:
    c = messages.canvas
    x0, y0, x1, y1 = c.bbox(messages.block.by_id[message_id].bubble_item)
    top = c.canvasy(0)
    c.event_generate("<Button-3>", x=int((x0 + x1) / 2), y=int((y0 + y1) / 2 - top))
    messages.update()


def invoke(messages: MessageList, label: str) -> None:
    menu = messages.menu.menu
    assert menu is not None
    last = menu.index("end") or 0
    [index] = [
        i for i in range(last + 1) if menu.type(i) == "command" and menu.entrycget(i, "label") == label
    ]
    menu.invoke(index)


def test_right_click_on_their_bubble_offers_no_edit_and_no_delete_for_everyone(messages: MessageList) -> None:
    messages.show([ours(), theirs()], has_older=False)
    messages.update()
    right_click(messages, "in1")
    assert messages.menu.message_id == "in1"
    assert messages.menu.labels() == [
        "Reply",
        *(messages.fonts.text.show(f"{e}  React") for e in REACTIONS),
        MORE,
        "Copy text",
        "Delete for me",
        "Details",
    ]
    right_click(messages, "out1")
    assert messages.menu.message_id == "out1"
    assert messages.menu.labels()[-4:] == ["Edit", "Delete for me", "Delete for everyone", "Details"]


def test_a_chosen_entry_goes_out_with_the_message_and_the_emoji(messages: MessageList) -> None:
    chosen: list[tuple[str, MenuAction, str]] = []
    messages.menu.on_action = lambda m, action, emoji: chosen.append((m.message_id, action, emoji))
    messages.show([ours(), theirs()], has_older=False)
    messages.update()
    right_click(messages, "in1")
    invoke(messages, messages.fonts.text.show(f"{REACTIONS[1]}  React"))
    assert chosen == [("in1", MenuAction.REACT, REACTIONS[1])]
    assert messages.menu.menu is None  # a choice closes it
    right_click(messages, "out1")
    invoke(messages, "Delete for everyone")
    assert chosen[-1] == ("out1", MenuAction.DELETE_FOR_EVERYONE, "")


def test_our_own_reaction_is_offered_as_taken_back(messages: MessageList) -> None:
    reacted = MessageView(
        "in1", BOB, False, "hi", time.time(), MessageStatus.RECEIVED, reactions=((REACTIONS[0], 2, True),)
    )
    messages.show([reacted], has_older=False)
    messages.update()
    right_click(messages, "in1")
    assert messages.menu.labels()[1] == messages.fonts.text.show(f"{REACTIONS[0]}  Take back")
    assert messages.menu.labels()[2] == messages.fonts.text.show(f"{REACTIONS[1]}  React")


@pytest.mark.parametrize("sequence", ["<KeyPress-Menu>", "<Shift-F10>"])
def test_the_menu_key_opens_it_for_the_newest_message_in_view(messages: MessageList, sequence: str) -> None:
    messages.show([ours(), theirs()], has_older=False)  # newest first: ours is the newest
    c = messages.canvas
    c.focus_force()
    messages.update()
    c.event_generate(sequence)
    messages.update()
    assert messages.menu.message_id == "out1" and messages.menu.labels()


def test_a_message_changed_redraws_its_bubble_and_one_deleted_for_us_goes(messages: MessageList) -> None:
    messages.show([ours(), theirs()], has_older=False)
    messages.update()
    edited = MessageView("in1", BOB, False, "Wednesday instead?", time.time() - 60, MessageStatus.RECEIVED)
    messages.changed(edited)
    assert messages.drawn_text("in1") == "Wednesday instead?"
    messages.changed(ours(), removed=True)
    assert messages.message_ids() == ["in1"]
    assert messages.block.total == 1


def test_the_menu_key_opens_it_for_the_ringed_message_rather_than_the_newest(messages: MessageList) -> None:
    messages.show([ours(), theirs()], has_older=False)
    c = messages.canvas
    c.focus_force()
    messages.update()
    messages.ring.focused = "in1"  # the ring is around the older message
    c.event_generate("<Shift-F10>")
    messages.update()
    assert messages.menu.message_id == "in1"


def test_a_right_click_off_the_bubbles_opens_no_menu(messages: MessageList) -> None:
    messages.show([theirs()], has_older=False)
    messages.update()
    messages.canvas.event_generate("<Button-3>", x=messages.canvas.winfo_width() - 5, y=5)
    messages.update()
    assert messages.menu.menu is None


def xdotool(messages: MessageList, *args: str) -> None:
    """Real input through the X server (as a person's keys and mouse), then the loop runs a little."""
    subprocess.run(["xdotool", *args], check=True, timeout=10)
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        messages.update()


def keyboard_in(messages: MessageList, widget: tk.Misc) -> bool:
    return messages.focus_get() is widget


def test_the_menu_is_driven_by_real_keys_many_times_in_a_row(messages: MessageList) -> None:
    chosen: list[tuple[str, MenuAction, str]] = []
    messages.menu.on_action = lambda m, action, emoji: chosen.append((m.message_id, action, emoji))
    messages.show([ours(), theirs()], has_older=False)
    c = messages.canvas
    c.focus_force()
    messages.update()
    for round_ in range(3):
        xdotool(messages, "key", "shift+F10")
        menu = messages.menu.menu
        assert menu is not None and keyboard_in(messages, menu), f"round {round_}: the menu has the keyboard"
        xdotool(messages, "key", "Down")  # the first entry: Reply
        xdotool(messages, "key", "Return")
        wait_until(messages, lambda n=round_ + 1: len(chosen) == n, "the chosen entry")
        assert chosen[-1] == ("out1", MenuAction.REPLY, "")
        assert messages.menu.menu is None
        wait_until(messages, lambda: keyboard_in(messages, c), "the keyboard back in the list")
    xdotool(messages, "key", "Menu")
    assert messages.menu.menu is not None
    xdotool(messages, "key", "Escape")
    wait_until(messages, lambda: messages.menu.menu is None, "Esc to close the menu")
    wait_until(messages, lambda: keyboard_in(messages, c), "the keyboard back in the list after Esc")
    assert len(chosen) == 3  # Esc chose nothing


def test_the_menu_is_driven_by_the_real_mouse_many_times_in_a_row(messages: MessageList) -> None:
    chosen: list[tuple[str, MenuAction, str]] = []
    messages.menu.on_action = lambda m, action, emoji: chosen.append((m.message_id, action, emoji))
    messages.show([ours(), theirs()], has_older=False)
    messages.update()
    c = messages.canvas
    for round_, message_id in enumerate(["in1", "out1", "in1", "out1"]):
        x0, y0, x1, y1 = c.bbox(messages.block.by_id[message_id].bubble_item)
        x, y = c.winfo_rootx() + int((x0 + x1) / 2), c.winfo_rooty() + int((y0 + y1) / 2 - c.canvasy(0))
        xdotool(messages, "mousemove", str(x), str(y))
        xdotool(messages, "click", "3")
        menu = messages.menu.menu
        assert menu is not None and messages.menu.message_id == message_id, f"round {round_}: a menu"
        last = menu.index("end") or 0
        [details] = [
            i
            for i in range(last + 1)
            if menu.type(i) == "command" and menu.entrycget(i, "label") == "Details"
        ]
        ex, ey = menu.winfo_rootx() + 20, menu.winfo_rooty() + menu.yposition(details) + 5
        xdotool(messages, "mousemove", str(ex), str(ey))
        xdotool(messages, "click", "1")
        wait_until(messages, lambda n=round_ + 1: len(chosen) == n, "the clicked entry")
        assert chosen[-1] == (message_id, MenuAction.DETAILS, "")
    # a click outside closes an open menu without choosing
    xdotool(messages, "mousemove", str(c.winfo_rootx() + 400), str(c.winfo_rooty() + 40))
    xdotool(messages, "click", "3")
    xdotool(messages, "mousemove", str(c.winfo_rootx() + 5), str(c.winfo_rooty() + 5))
    right_click(messages, "in1")
    assert messages.menu.menu is not None
    xdotool(messages, "click", "1")
    wait_until(messages, lambda: messages.menu.menu is None, "a click outside to close the menu")
    assert len(chosen) == 4
