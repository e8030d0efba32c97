"""Selecting part of a bubble's text with a real mouse, Shift+click, double-click, and Ctrl+C."""

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

from gui.views.bubbles import MessageList
from gui.views.text_selection import COPIED
from gui.views.theme import DARK, LIGHT, apply_theme, make_fonts
from net.client.core.events import MessageStatus, MessageView

BOB = "+442079460958"
TEXT = "are we still on for Tuesday?"
HEBREW = "שלום לכולם"  # drawn as "םלוכל םולש": the first drawn word is the last one typed


@pytest.fixture
def messages(display: None) -> Iterator[MessageList]:
    root = tk.Tk()
    root.geometry("800x500+0+0")
    fonts = make_fonts(root)
    apply_theme(root, LIGHT, fonts)
    widget = MessageList(root, LIGHT, fonts)
    widget.pack(fill="both", expand=True)
    root.update()
    wait_until(root, lambda: widget.canvas.winfo_width() > 1, "the canvas to get its size")
    yield widget
    root.destroy()


def message(message_id: str, text: str, *, outgoing: bool = False) -> MessageView:
    status = MessageStatus.SENT if outgoing else MessageStatus.RECEIVED
    return MessageView(message_id, BOB, outgoing, text, time.time() - 60, status)


def settle(messages: MessageList, seconds: float = 0.25) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        messages.update()


def xdotool(messages: MessageList, *args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=10)
    settle(messages)


def at_character(messages: MessageList, message_id: str, index: int) -> tuple[int, int]:
    """The screen point in the middle of a drawn character of a one-line bubble text."""
    c = messages.canvas
    item = messages.block.by_id[message_id].text_item
    shown = messages.drawn_text(message_id)
    x0, y0, _x1, y1 = c.bbox(item)
    right = x0 + messages.fonts.body.measure(shown[:index]) + messages.fonts.body.measure(shown[index]) / 2
    x, y = int(right), int((y0 + y1) / 2 - c.canvasy(0))
    assert int(c.index(item, f"@{x},{int(c.canvasy(y))}")) == index  # the point is on that character
    return c.winfo_rootx() + x, c.winfo_rooty() + y


def drag(messages: MessageList, message_id: str, first: int, last: int) -> None:
    """A real press on one character, a move to another and a release, through the X server."""
    x0, y0 = at_character(messages, message_id, first)
    x1, y1 = at_character(messages, message_id, last)
    xdotool(messages, "mousemove", str(x0), str(y0))
    xdotool(messages, "mousedown", "1")
    xdotool(messages, "mousemove", str((x0 + x1) // 2), str(y1))
    xdotool(messages, "mousemove", str(x1), str(y1))
    xdotool(messages, "mouseup", "1")


def ctrl_c(messages: MessageList) -> None:
    xdotool(messages, "key", "ctrl+c")


def test_a_drag_selects_part_of_a_text_visibly_and_ctrl_c_copies_exactly_that(messages: MessageList) -> None:
    messages.show([message("in1", TEXT)], has_older=False)
    settle(messages)
    messages.clipboard_clear()
    messages.clipboard_append("before")
    start = TEXT.index("Tuesday")
    drag(messages, "in1", start, start + len("Tuesday") - 1)
    c = messages.canvas
    assert c.select_item() == messages.block.by_id["in1"].text_item  # drawn selected, by the canvas
    assert str(c.cget("selectbackground")) == LIGHT.selection
    assert messages.selected_text() == "Tuesday"
    ctrl_c(messages)
    assert messages.clipboard_get() == "Tuesday"
    assert messages.selection.note() == COPIED  # said in words
    wait_until(messages, lambda: messages.selection.note() == "", "the note to go", timeout=5)


def test_shift_click_extends_and_a_click_elsewhere_clears(messages: MessageList) -> None:
    messages.show([message("in1", TEXT)], has_older=False)
    settle(messages)
    drag(messages, "in1", 0, 2)
    assert messages.selected_text() == "are"
    x, y = at_character(messages, "in1", TEXT.index("still") + 4)
    xdotool(messages, "mousemove", str(x), str(y))
    xdotool(messages, "keydown", "shift")
    xdotool(messages, "click", "1")
    xdotool(messages, "keyup", "shift")
    assert messages.selected_text() == "are we still"
    c = messages.canvas
    xdotool(messages, "mousemove", str(c.winfo_rootx() + 400), str(c.winfo_rooty() + 400))
    xdotool(messages, "click", "1")
    assert messages.selected_text() == "" and c.select_item() is None
    messages.clipboard_clear()
    messages.clipboard_append("kept")
    ctrl_c(messages)  # with nothing selected, Ctrl+C leaves the clipboard alone
    assert messages.clipboard_get() == "kept"


def test_a_double_click_selects_a_word_and_copies_nothing(messages: MessageList) -> None:
    messages.show([message("in1", TEXT)], has_older=False)
    settle(messages)
    messages.clipboard_clear()
    messages.clipboard_append("kept")
    x, y = at_character(messages, "in1", TEXT.index("still") + 2)
    xdotool(messages, "mousemove", str(x), str(y))
    xdotool(messages, "click", "--repeat", "2", "--delay", "80", "1")
    assert messages.selected_text() == "still"
    assert messages.clipboard_get() == "kept"
    ctrl_c(messages)
    assert messages.clipboard_get() == "still"


def test_a_right_to_left_selection_copies_the_stored_characters_in_their_stored_order(
    messages: MessageList,
) -> None:
    messages.show([message("in1", HEBREW, outgoing=True)], has_older=False)
    settle(messages)
    assert messages.drawn_text("in1") == "םלוכל םולש"
    drag(messages, "in1", 0, 4)  # the first five drawn characters: the word typed last
    assert messages.selected_text() == "לכולם"
    assert messages.selection_get() == "לכולם"  # what another program pastes from the selection, too
    ctrl_c(messages)
    assert messages.clipboard_get() == "לכולם"


def test_the_menu_copy_copies_the_selection_in_that_bubble_else_the_whole_text(messages: MessageList) -> None:
    messages.show([message("out1", "see you at noon", outgoing=True), message("in1", TEXT)], has_older=False)
    settle(messages)
    drag(messages, "in1", 0, 2)
    messages.copy("in1")  # what the menu's Copy text does
    assert messages.clipboard_get() == "are"
    messages.copy("out1")  # no selection in that one: all of it
    assert messages.clipboard_get() == "see you at noon"


def test_the_selection_stays_through_a_redraw_and_goes_with_an_edit(messages: MessageList) -> None:
    messages.show([message("in1", TEXT)], has_older=False)
    settle(messages)
    drag(messages, "in1", 0, 2)
    messages.restyle(DARK)  # everything is drawn again
    c = messages.canvas
    assert c.select_item() == messages.block.by_id["in1"].text_item
    assert str(c.cget("selectbackground")) == DARK.selection and messages.selected_text() == "are"
    messages.changed(message("in1", "something else entirely"))
    assert messages.selected_text() == "" and c.select_item() is None
