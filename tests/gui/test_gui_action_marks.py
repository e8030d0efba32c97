"""A real message list draws a reply's quote, reaction chips, "edited" and a deleted message in italics."""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Iterator
from dataclasses import replace

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    wait_until,
)

from gui.view_models.action_text import DELETED_TEXT
from gui.views.action_marks import chips_tag, quote_tag
from gui.views.bubbles import MessageList
from gui.views.theme import LIGHT, apply_theme, make_fonts
from net.client.core.actions import ReplyView
from net.client.core.events import MessageStatus, MessageView

BOB = "+442079460958"


@pytest.fixture
def messages(display: None) -> Iterator[MessageList]:
    root = tk.Tk()
    root.geometry("800x600")
    fonts = make_fonts(root)
    apply_theme(root, LIGHT, fonts)
    widget = MessageList(root, LIGHT, fonts)
    widget.set_name_of({BOB: "Bob"}.get)  # type: ignore[arg-type]
    widget.pack(fill="both", expand=True)
    root.update()
    wait_until(root, lambda: widget.canvas.winfo_width() > 1, "the canvas to get its size")
    yield widget
    root.destroy()


def plain(message_id: str = "m1", text: str = "sounds good", *, outgoing: bool = False) -> MessageView:
    status = MessageStatus.SENT if outgoing else MessageStatus.RECEIVED
    return MessageView(message_id, BOB, outgoing, text, time.time() - 30, status)


def texts(messages: MessageList, tag: str) -> list[str]:
    c = messages.canvas
    return [str(c.itemcget(i, "text")) for i in c.find_withtag(tag) if c.type(i) == "text"]


def test_a_reply_shows_its_quote_between_the_top_of_the_bubble_and_its_text(messages: MessageList) -> None:
    reply = replace(plain(), reply_to=ReplyView(BOB, "m0", "are we still on for Tuesday at noon?"))
    messages.show([reply], has_older=False)
    messages.update()
    assert texts(messages, quote_tag("m1")) == ["Bob", "are we still on for Tuesday at noon?"]
    c, drawn = messages.canvas, messages.block.by_id["m1"]
    _qx0, qy0, _qx1, qy1 = c.bbox(quote_tag("m1"))
    _bx0, by0, _bx1, by1 = c.bbox(drawn.bubble_item)
    _tx0, ty0, _tx1, _ty1 = c.bbox(drawn.text_item)
    assert by0 < qy0 and qy1 <= ty0 and qy1 < by1  # inside the bubble, above its text


def test_reactions_are_chips_under_the_bubble_with_ours_marked(messages: MessageList) -> None:
    reacted = replace(plain(), reactions=(("👍", 2, True), ("😂", 1, False)))
    messages.show([reacted, plain("m0", "first")], has_older=False)
    messages.update()
    c = messages.canvas
    chips = texts(messages, chips_tag("m1"))
    assert len(chips) == 2 and chips[0].endswith(" 2") and chips[1].endswith(" 1")
    assert len(c.find_withtag("chip-mine")) == 2  # the chip's box and its words: ours is marked
    drawn = messages.block.by_id["m1"]
    assert c.bbox(chips_tag("m1"))[3] > c.bbox(drawn.bubble_item)[3]  # under the bubble
    assert drawn.bottom >= c.bbox(chips_tag("m1"))[3]  # and the next item leaves room for them


def test_edited_beside_the_time_and_a_deleted_message_in_italics(messages: MessageList) -> None:
    edited = replace(plain("m1", outgoing=True), edited=True)
    deleted = replace(plain("m2", ""), deleted=True)
    messages.show([deleted, edited], has_older=False)
    messages.update()
    assert messages.meta_text("m1").startswith("edited  ")
    assert messages.drawn_text("m2") == DELETED_TEXT
    font = str(messages.canvas.itemcget(messages.block.by_id["m2"].text_item, "font"))
    assert "italic" in font
    assert "italic" not in str(messages.canvas.itemcget(messages.block.by_id["m1"].text_item, "font"))


def test_a_message_changed_to_carry_a_reaction_is_redrawn_with_its_chip(messages: MessageList) -> None:
    messages.show([plain()], has_older=False)
    messages.update()
    assert texts(messages, chips_tag("m1")) == []
    messages.changed(replace(plain(), reactions=(("👍", 1, False),)))
    assert len(texts(messages, chips_tag("m1"))) == 1
