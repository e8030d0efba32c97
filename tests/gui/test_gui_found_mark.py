"""The found message's mark on a real canvas: its own items, kept when something else is selected."""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Iterator
from tkinter import ttk

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    wait_until,
)

from gui.views.bubbles import MessageList
from gui.views.found_mark import MARK_TAG
from gui.views.theme import LIGHT, apply_theme, make_fonts
from net.client.core.events import MessageStatus, MessageView

BOB = "+442079460958"
ZEBRA = "Mind the zebra crossing on the way"
LONG = " ".join(f"word{i}" for i in range(60))  # several lines in a bubble


@pytest.fixture
def messages(display: None) -> Iterator[MessageList]:
    root = tk.Tk()
    root.geometry("700x400")
    fonts = make_fonts(root)
    apply_theme(root, LIGHT, fonts)
    widget = MessageList(root, LIGHT, fonts)
    widget.pack(fill="both", expand=True)
    root.update()
    wait_until(root, lambda: widget.canvas.winfo_width() > 1, "the canvas to get its size")
    yield widget
    root.destroy()


def conversation(*texts: str) -> list[MessageView]:
    """Messages m0, m1, … with these texts, newest first (as pages come)."""
    now = time.time()
    views = [
        MessageView(f"m{i}", BOB, i % 2 == 1, text, now - 100 + i, MessageStatus.READ)
        for i, text in enumerate(texts)
    ]
    return list(reversed(views))


def marked_characters(messages: MessageList, message_id: str) -> set[int]:
    """The characters of the message's text under the mark's boxes, as the canvas finds them by position."""
    c = messages.canvas
    item = c.find_withtag(f"msg:{message_id}")
    text_item = next(i for i in item if c.type(i) == "text" and MARK_TAG not in c.gettags(i))
    under = set()
    for box in c.find_withtag(MARK_TAG):
        if c.type(box) == "rectangle":
            x0, y0, x1, y1 = c.coords(box)
            for x in range(int(x0) + 3, int(x1) - 2, 2):
                under.add(int(c.index(text_item, f"@{x},{(y0 + y1) / 2}")))
    return under


def test_the_match_is_marked_with_its_own_items_and_another_selection_leaves_it(
    messages: MessageList,
) -> None:
    messages.show(conversation("Hello there", ZEBRA, "Another bubble to select in"), has_older=False)
    messages.reveal("m1", (9, 14))
    messages.update()
    assert messages.found() == ("m1", "zebra")
    under = marked_characters(messages, "m1")
    assert under <= set(range(9, 14)) and len(under) > 2  # the boxes are over "zebra", not beside it
    c = messages.canvas
    box = next(i for i in c.find_withtag(MARK_TAG) if c.type(i) == "rectangle")
    word = next(i for i in c.find_withtag(f"{MARK_TAG}-text"))
    assert c.itemcget(box, "fill") == LIGHT.warning and c.itemcget(word, "fill") == LIGHT.on_warning

    # text chosen in another bubble takes the canvas's selection, not the mark
    other = next(i for i in c.find_withtag("msg:m2") if c.type(i) == "text")
    c.select_from(other, 0)
    c.select_to(other, 6)
    messages.update()
    assert c.select_item() and messages.found() == ("m1", "zebra")

    # a later dialog whose field selects its text takes the display's selection: the mark stays
    dialog = tk.Toplevel(messages)
    field = ttk.Entry(dialog)
    field.pack()
    field.insert(0, "a name typed in a dialog")
    field.selection_range(0, "end")
    dialog.update()
    assert not c.select_item()  # the canvas lost its selection to the field
    assert messages.found() == ("m1", "zebra")
    dialog.destroy()


def test_a_match_over_several_lines_is_marked_on_each(messages: MessageList) -> None:
    messages.show(conversation(LONG), has_older=False)
    messages.reveal("m0", (0, len(LONG)))
    messages.update()
    c = messages.canvas
    boxes = [c.coords(i) for i in c.find_withtag(MARK_TAG) if c.type(i) == "rectangle"]
    assert len(boxes) >= 3 and len({round(b[1]) for b in boxes}) == len(boxes)  # one box a line
    assert messages.found() == ("m0", LONG)
    assert marked_characters(messages, "m0") >= {0, len(LONG) // 2, len(LONG) - 2}


def test_the_mark_stays_across_redraws_and_goes_with_the_block(messages: MessageList) -> None:
    messages.show(conversation("first", ZEBRA), has_older=False)
    messages.reveal("m1", (9, 14))
    messages.update()
    assert messages.flashing == "m1"
    messages.restyle(LIGHT)  # everything drawn again
    messages.append(MessageView("m9", BOB, False, "a new one", time.time(), MessageStatus.RECEIVED))
    messages.update()
    assert messages.found() == ("m1", "zebra")
    wait_until(messages, lambda: messages.flashing is None, "the outline to go")
    messages.show(conversation("the newest page"), has_older=False)  # the person left the result
    messages.update()
    assert messages.found() is None and not messages.canvas.find_withtag(MARK_TAG)


def test_a_text_reordered_right_to_left_is_only_outlined(messages: MessageList) -> None:
    hebrew = "שלום zebra עולם"
    messages.show(conversation(hebrew), has_older=False)
    messages.reveal("m0", (5, 10))
    messages.update()
    assert messages.flashing == "m0"
    assert messages.found() is None and not messages.canvas.find_withtag(MARK_TAG)
