"""The timer mark on a bubble: nothing without a timer; a clock and "1h" with one, its size returned."""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
)

from gui.views.theme import LIGHT, apply_theme, make_fonts
from gui.views.timer_mark import draw_timer_mark, timer_tag
from net.client.core.events import MessageStatus, MessageView


@pytest.fixture
def canvas(display: None) -> Iterator[tk.Canvas]:
    root = tk.Tk()
    apply_theme(root, LIGHT, make_fonts(root))
    widget = tk.Canvas(root)
    yield widget
    root.destroy()


def test_a_message_under_a_timer_gets_the_mark_and_one_without_none(canvas: tk.Canvas) -> None:
    fonts = make_fonts(canvas)
    plain = MessageView("m1", "+1", True, "hi", time.time(), MessageStatus.SENT)
    assert draw_timer_mark(canvas, plain, fonts, "black", "msg:m1") == (0.0, 0.0)
    assert canvas.find_withtag(timer_tag("m1")) == ()

    timed = MessageView("m2", "+1", True, "hi", time.time(), MessageStatus.SENT, timer=3600)
    width, height = draw_timer_mark(canvas, timed, fonts, "black", "msg:m2")
    items = canvas.find_withtag(timer_tag("m2"))
    assert [canvas.itemcget(i, "text") for i in items if canvas.type(i) == "text"] == ["1h"]
    assert {canvas.type(i) for i in items} == {"oval", "line", "text"}
    _x0, y0, x1, y1 = canvas.bbox(timer_tag("m2"))
    assert width > 0 and height > 0 and x1 <= width + 1 and y1 - y0 <= height + 1
    assert all("msg:m2" in canvas.gettags(i) for i in items)  # it goes with its bubble
