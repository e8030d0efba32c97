"""The message list on a real canvas: pages, older and newer pages on scroll, new messages, ticks, retry."""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    wait_until,
)

from gui.view_models.wording import FAILED_NOTE, TICKS
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


def page(first: int, count: int, *, outgoing: bool = False) -> list[MessageView]:
    """Messages first .. first+count-1, newest first (as the engine's history returns them)."""
    now = time.time()
    views = [
        MessageView(f"m{i:04d}", BOB, outgoing, f"Message {i}", now - 1000 + i, MessageStatus.RECEIVED)
        for i in range(first, first + count)
    ]
    return list(reversed(views))


def test_a_page_is_shown_oldest_at_the_top_and_scrolled_to_the_newest(messages: MessageList) -> None:
    messages.show(page(50, 50), has_older=True)
    messages.update()
    assert messages.message_ids()[0] == "m0050" and messages.message_ids()[-1] == "m0099"
    assert messages.canvas.yview()[1] == 1.0


def test_scrolling_to_the_top_asks_once_for_the_older_page_and_keeps_the_view(messages: MessageList) -> None:
    asked: list[str] = []
    messages.on_need_older = asked.append
    messages.show(page(50, 50), has_older=True)
    messages.update()
    messages.canvas.yview_moveto(0.0)
    messages.update()
    messages.canvas.yview_moveto(0.0)
    messages.update()
    assert asked == ["m0050"]
    messages.prepend(page(0, 50), has_older=False)
    messages.update()
    assert messages.message_ids()[:2] == ["m0000", "m0001"] and len(messages.message_ids()) == 100
    # still looking at m0050, not thrown to the top of the older page
    visible_top = messages.canvas.canvasy(0)
    assert abs(messages.canvas.bbox("msg:m0050")[1] - visible_top) < 80
    messages.canvas.yview_moveto(0.0)
    messages.update()
    assert asked == ["m0050"]  # nothing older exists


def test_ticks_follow_the_status_of_my_messages(messages: MessageList) -> None:
    mine = MessageView("out1", BOB, True, "Hello", time.time(), MessageStatus.QUEUED)
    messages.show([], has_older=False)
    messages.append(mine)
    assert messages.meta_text("out1").endswith(TICKS[MessageStatus.QUEUED])
    for status in (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ):
        messages.set_status("out1", status)
        assert messages.status_of("out1") == status
        assert messages.meta_text("out1").endswith(TICKS[status])
    messages.append(mine)  # the same message again changes nothing but its status
    assert messages.message_ids() == ["out1"]


def test_a_failed_message_offers_a_retry_on_click(messages: MessageList) -> None:
    retried: list[str] = []
    messages.on_retry = retried.append
    messages.show([], has_older=False)
    messages.append(MessageView("out1", BOB, True, "Hello", time.time(), MessageStatus.SENT))
    messages.set_status("out1", MessageStatus.FAILED)
    messages.update()
    assert messages.meta_text("out1") == FAILED_NOTE
    x0, y0, x1, y1 = messages.canvas.bbox("msg:out1")
    messages.canvas.event_generate("<Button-1>", x=(x0 + x1) // 2, y=(y0 + y1) // 2)
    messages.update()
    assert retried == ["out1"]


def test_an_empty_conversation_says_so(messages: MessageList) -> None:
    messages.show([], has_older=False, empty_text="No messages with Bob yet. Say hello!")
    texts = [messages.canvas.itemcget(item, "text") for item in messages.canvas.find_withtag("empty")]
    assert texts == ["No messages with Bob yet. Say hello!"]
    messages.append(MessageView("in1", BOB, False, "Hi", time.time(), MessageStatus.RECEIVED))
    assert not messages.canvas.find_withtag("empty")


def test_mine_are_on_the_right_and_theirs_on_the_left(messages: MessageList) -> None:
    now = time.time()
    messages.show(
        [
            MessageView("in1", BOB, False, "Theirs", now, MessageStatus.RECEIVED),
            MessageView("out1", BOB, True, "Mine", now - 1, MessageStatus.SENT),
        ],
        has_older=False,
    )
    width = messages.canvas.winfo_width()
    assert messages.canvas.bbox("msg:out1")[2] > width * 0.8
    assert messages.canvas.bbox("msg:in1")[0] < width * 0.2


def test_scrolling_down_past_a_gap_asks_for_newer_pages_and_the_bubble_shows_the_sent_time(
    messages: MessageList,
) -> None:
    asked: list[str] = []
    messages.on_need_newer = asked.append
    messages.show(page(0, 50), has_older=False, has_newer=True)
    messages.update()
    messages.canvas.yview_moveto(1.0)
    messages.update()
    assert asked == ["m0049"]
    messages.extend(page(50, 50), has_newer=False)
    messages.update()
    assert messages.message_ids()[-1] == "m0099" and not messages.has_newer
    arrived = time.time()
    sent = arrived - 3 * 3600
    messages.append(MessageView("in1", BOB, False, "late", arrived, MessageStatus.RECEIVED, sent_at=sent))
    assert messages.meta_text("in1") == time.strftime("%H:%M", time.localtime(sent))


def test_below_a_gap_a_new_message_is_counted_and_one_of_mine_brings_the_newest_page(
    messages: MessageList,
) -> None:
    jumps: list[None] = []
    messages.on_jump = lambda: jumps.append(None)
    messages.on_need_newer = lambda _id: None
    messages.show(page(0, 50), has_older=False, has_newer=True, older=0, total=300)
    messages.update()
    arrived = MessageView("in1", BOB, False, "new", time.time(), MessageStatus.RECEIVED)
    messages.append(arrived)
    messages.update()
    assert "in1" not in messages.message_ids() and messages.unread_below.count == 1
    assert messages.jump.shown and "1 unread" in str(messages.jump.cget("text"))
    assert messages.span().newer == 251 and jumps == []
    messages.append(MessageView("out1", BOB, True, "mine", time.time(), MessageStatus.QUEUED))
    assert jumps == [None] and "out1" not in messages.message_ids()  # the newest page shows it

    # once the newest block is loaded, new messages are drawn as they come
    messages.show(page(250, 50), has_older=True, older=250, total=302)
    messages.update()
    messages.append(MessageView("in2", BOB, False, "newer", time.time(), MessageStatus.RECEIVED))
    messages.update()
    assert messages.message_ids()[-1] == "in2" and messages.canvas.yview()[1] == 1.0


def test_each_replacement_of_the_drawn_block_counts_a_run(messages: MessageList) -> None:
    messages.show(page(100, 50), has_older=True, older=100, total=200)
    first = messages.run
    messages.prepend(page(50, 50), has_older=True)
    messages.extend(page(150, 50), has_newer=False)
    messages.append(MessageView("in1", BOB, False, "new", time.time(), MessageStatus.RECEIVED))
    assert messages.run == first  # pages and messages added to the block: the same run
    messages.moved(page(0, 50), older=0, total=201)
    assert messages.run == first + 1
    messages.show(page(0, 10), has_older=False)
    assert messages.run == first + 2


def test_a_status_line_grown_wider_than_its_bubble_redraws_the_bubble(messages: MessageList) -> None:
    mine = MessageView("g1", "", True, "Hi", time.time(), MessageStatus.QUEUED, group_id="grp", recipients=12)
    messages.show([], has_older=False)
    messages.append(mine)  # drawn around "◷": the ticks and counts to come are wider
    messages.set_status("g1", MessageStatus.SENT)
    messages.set_counts("g1", MessageStatus.DELIVERED, 12, 11)  # "✓ 12/12 · read 11/12" outgrows "Hi"

    def meta_inside() -> bool:
        drawn = messages.block.by_id["g1"]
        meta, bubble = messages.canvas.bbox(drawn.meta_item), messages.canvas.bbox(drawn.bubble_item)
        return bubble[0] <= meta[0] and meta[2] <= bubble[2]

    wait_until(messages.canvas, meta_inside, "the bubble drawn around its longer status line")
