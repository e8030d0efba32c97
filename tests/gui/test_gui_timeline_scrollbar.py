"""The message list's scrollbar on real widgets: a thumb for the whole conversation, dragged with the mouse.

The list is fed pages of a made-up conversation of 2,000 messages as the
timeline controller would feed it (the controller with the real engine is
tested in test_gui_timeline.py); the scrollbar is dragged with pointer events.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    wait_until,
)

from gui.views.bubbles import MessageList
from gui.views.theme import LIGHT, apply_theme, make_fonts
from net.client.core.events import MessageStatus, MessageView

BOB = "+442079460958"
TOTAL = 2000
PAGE = 100
START = time.time() - TOTAL * 60
CONVERSATION = [  # bubbles of one to five lines' worth of words, some mine
    MessageView(
        f"m{i:04d}",
        BOB,
        i % 3 == 0,
        f"Story {i}" + " and on" * 9 * (i % 5),
        START + 60 * i,
        MessageStatus.READ,
    )
    for i in range(TOTAL)
]


def page(first: int, count: int = PAGE) -> list[MessageView]:
    """Entries first .. first+count-1, newest first (as the engine returns pages)."""
    return list(reversed(CONVERSATION[max(0, first) : first + count]))


@pytest.fixture
def messages(display: None) -> Iterator[MessageList]:
    root = tk.Tk()
    root.geometry("700x420")
    fonts = make_fonts(root)
    apply_theme(root, LIGHT, fonts)
    widget = MessageList(root, LIGHT, fonts)
    widget.pack(fill="both", expand=True)
    root.update()
    wait_until(root, lambda: widget.canvas.winfo_width() > 1, "the canvas to get its size")
    yield widget
    root.destroy()


def newest(messages: MessageList) -> None:
    messages.show(page(TOTAL - PAGE), has_older=True, older=TOTAL - PAGE, total=TOTAL)
    messages.update()


def drag(messages: MessageList, to_y: int, steps: int = 8) -> None:
    """Press on the thumb's middle and move the pointer to ``to_y`` in steps, then let go."""
    bar = messages.scrollbar
    first, last = bar.get()[:2]
    x, y = bar.winfo_width() // 2, int((first + last) / 2 * bar.winfo_height())
    assert "thumb" in bar.identify(x, y)
    bar.event_generate("<ButtonPress-1>", x=x, y=y)
    for step in range(1, steps + 1):
        bar.event_generate("<B1-Motion>", x=x, y=y + (to_y - y) * step // steps)
        messages.update()
    bar.event_generate("<ButtonRelease-1>", x=x, y=to_y)
    messages.update()


def answer(messages: MessageList, asked: list[int]) -> int:
    """Answer the places asked for with their pages, as the controller does, until none is asked; how many."""
    answered = 0
    while answered < len(asked) and answered < 5:  # a thumb left in one place needs one or two
        offset = asked[answered]
        answered += 1
        messages.moved(page(offset), older=offset, total=TOTAL)
        messages.update()
    return answered


def test_the_thumb_is_what_is_visible_of_the_whole_conversation(messages: MessageList) -> None:
    newest(messages)
    first, last = messages.scrollbar.get()[:2]
    visible = len(messages.visible_ids())
    assert last == 1.0 and visible >= 3
    assert 0.6 < (last - first) / (visible / TOTAL) < 1.6  # about visible / total, not visible / 100


def test_an_older_page_loading_hardly_moves_the_thumb(messages: MessageList) -> None:
    asked: list[str] = []
    messages.on_need_older = asked.append
    newest(messages)
    messages.canvas.yview_moveto(0.05)  # near the top of the drawn page: the older one is asked for
    messages.update()
    assert asked == [f"m{TOTAL - PAGE:04d}"]
    before = messages.scrollbar.get()[0]
    messages.prepend(page(TOTAL - 2 * PAGE), has_older=True)
    messages.update()
    assert abs(messages.scrollbar.get()[0] - before) < 0.005  # it used to jump by a third of the bar
    assert messages.span().older == TOTAL - 2 * PAGE


def test_a_drag_to_the_top_loads_the_oldest_page_at_once(messages: MessageList) -> None:
    asked: list[int] = []
    messages.on_need_at = asked.append
    messages.on_need_older = lambda _id: None
    newest(messages)
    drag(messages, 0)
    assert messages.scrollbar.get()[0] == 0.0  # the thumb stays where it was dragged meanwhile
    assert len(asked) == 1  # one place at a time: where the pointer was when the first went out
    assert answer(messages, asked) <= 2 and asked[-1] == 0  # then the place it was left at
    assert messages.shown()[0].text == "Story 0" and messages.canvas.yview()[0] == 0.0
    assert messages.scrollbar.get()[0] == 0.0 and messages.has_newer


def test_a_drag_to_the_middle_shows_the_middle_and_on_past_it_asks_again(messages: MessageList) -> None:
    asked: list[int] = []
    messages.on_need_at = asked.append
    messages.on_need_older = messages.on_need_newer = lambda _id: None
    newest(messages)
    height = messages.scrollbar.winfo_height()
    drag(messages, height // 2)
    answer(messages, asked)
    assert len(asked) <= 2 and abs(asked[-1] - TOTAL // 2) < 60
    middle = messages.shown()[0]
    assert abs(int(middle.message_id[1:]) - TOTAL // 2) < 60
    first = messages.scrollbar.get()[0]
    assert abs(first - 0.5) < 0.03  # the view is where the thumb was left
    in_view = sorted(int(m[1:]) for m in messages.visible_ids())
    assert abs(in_view[0] / TOTAL - first) < 0.02  # and what is in view is what the thumb says

    drag(messages, height // 4)  # further up, past the page that came: its own place
    answer(messages, asked)
    assert abs(asked[-1] - TOTAL // 4) < 80 and len(asked) <= 4


def test_the_trough_pages_the_drawn_messages_and_asks_for_no_place(messages: MessageList) -> None:
    asked: list[int] = []
    messages.on_need_at = asked.append
    newest(messages)
    top = messages.canvas.canvasy(0)
    bar = messages.scrollbar
    bar.event_generate("<ButtonPress-1>", x=bar.winfo_width() // 2, y=4)  # far above the thumb
    bar.event_generate("<ButtonRelease-1>", x=bar.winfo_width() // 2, y=4)
    messages.update()
    moved = top - messages.canvas.canvasy(0)
    assert 0.5 * messages.canvas.winfo_height() < moved <= messages.canvas.winfo_height() and asked == []
