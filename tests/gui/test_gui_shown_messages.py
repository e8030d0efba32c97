"""The message list read back as a person sees it: what is in view, the divider, a copied message."""

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


def page(count: int) -> list[MessageView]:
    now = time.time()
    views = [
        MessageView(f"m{i:04d}", BOB, False, f"Message {i}", now - 1000 + i, MessageStatus.RECEIVED)
        for i in range(count)
    ]
    return list(reversed(views))


def test_what_is_in_view_and_the_divider_are_read_from_the_canvas(messages: MessageList) -> None:
    messages.show(page(60), has_older=False, unread_from="m0030", unread_count=30)
    messages.update()
    assert messages.divider_text() == "30 unread messages" and messages.divider_in_view()
    seen = messages.visible_ids()
    assert "m0030" in seen and "m0059" not in seen and "m0000" not in seen
    assert messages.status_of("m0030") == MessageStatus.RECEIVED
    assert messages.drawn_text("m0030") == "Message 30"
    sent = messages.shown()[30].timestamp
    assert messages.meta_text("m0030") == time.strftime("%H:%M", time.localtime(sent))
    messages.canvas.yview_moveto(1.0)
    messages.update()
    assert not messages.divider_in_view() and "m0059" in messages.visible_ids()
    assert messages.status_of("nothing") is None and messages.meta_text("nothing") == ""


def test_a_double_click_selects_a_word_and_copy_takes_the_whole_message(messages: MessageList) -> None:
    messages.show(
        [MessageView("in1", BOB, False, "Meet at 7, gate B", time.time(), MessageStatus.RECEIVED)],
        has_older=False,
    )
    messages.clipboard_clear()
    messages.clipboard_append("before")
    c = messages.canvas
    x0, y0, _x1, y1 = c.bbox(messages.block.by_id["in1"].text_item)
    x, y = int(x0 + messages.fonts.body.measure("Me")), int((y0 + y1) / 2)
    for _ in range(2):  # Tk sees two quick clicks at one spot as a double click
        for kind in ("<ButtonPress-1>", "<ButtonRelease-1>"):
            c.event_generate(kind, x=x, y=y)
    messages.update()
    assert messages.selected_text() == "Meet"
    assert messages.clipboard_get() == "before"  # a double click no longer copies
    messages.copy("out-of-view")  # not drawn: nothing happens
    messages.selection.clear()
    messages.copy("in1")
    assert messages.clipboard_get() == "Meet at 7, gate B"
