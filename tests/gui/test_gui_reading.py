"""The reading parts wired into the list: the keyboard ring stops at links, Enter opens the only one."""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
    wait_until,
)

from gui.views.bubbles import MessageList
from gui.views.theme import LIGHT, apply_theme, make_fonts
from net.client.core.events import MessageStatus, MessageView

BOB = "+442079460958"


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


def message(message_id: str, text: str, age: float) -> MessageView:
    return MessageView(message_id, BOB, False, text, time.time() - age, MessageStatus.RECEIVED)


def test_enter_on_a_ringed_message_opens_its_only_link_and_nothing_without_one_or_with_two(
    messages: MessageList,
) -> None:
    opened: list[str] = []
    messages.links.opener = opened.append
    page = [
        message("two", "https://a.example or https://b.example", 10),
        message("plain", "no link here", 20),
        message("one", "the plan: https://example.org/plan.", 30),
    ]
    messages.show(page, has_older=False)
    messages.update()
    c = messages.canvas
    press(c, "<Down>")  # from no ring, Down goes to the oldest it stops at
    assert messages.ring.focused == "one"
    press(c, "<Return>")
    assert opened == ["https://example.org/plan"]
    press(c, "<Down>")  # the message without a link is ringed too (its menu is a key away)
    assert messages.ring.focused == "plain"
    press(c, "<Return>")
    assert opened == ["https://example.org/plan"]
    press(c, "<Down>")
    assert messages.ring.focused == "two"
    press(c, "<Return>")  # two links: which to open is not for Enter to guess
    assert opened == ["https://example.org/plan"]
