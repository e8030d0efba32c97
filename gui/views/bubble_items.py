"""Drawing one conversation item on the message canvas: a bubble, a day heading, the unread divider, a notice.

:class:`MessageList` (in :mod:`gui.views.bubbles`) decides what goes where and
when to redraw; this module only knows how each item looks, so the look can
change without touching scrolling or paging.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass

from gui.view_models.action_text import DELETED_TEXT, EDITED
from gui.view_models.group_text import (
    capitalised,
    compact_receipts,
    notice_sentence,
    receipts_sentence,
    sender_colour,
)
from gui.view_models.timeline_model import (
    HELD_MARK,
    NOTICE_ACTION,
    held_line,
    notice_text,
    shown_time,
    time_details,
)
from gui.view_models.timer_text import notice_words
from gui.view_models.wording import FAILED_NOTE, TICKS, clock, day_heading
from gui.views.action_marks import chips_tag, draw_chips, draw_quote, quote_tag
from gui.views.file_bubble import FileDrawer, FileItems
from gui.views.theme import Fonts, Palette
from gui.views.timer_mark import draw_timer_mark, timer_tag
from net.client.core.events import MessageStatus, MessageView

#: Space around the items, in pixels.
MARGIN = 16
_PAD_X, _PAD_Y = 12, 8
_GAP = 6
_RADIUS = 14
#: Between a disappearing message's timer mark and its time (less reads as one word: "1h21:47").
_TIMER_GAP = 10
_MAX_FRACTION = 0.68
_DAY_GAP = 34


def tk_index(text: str, index: int) -> int:
    """A character index as Tcl 8.6 counts it: a character beyond the BMP takes two places there."""
    if tk.TclVersion >= 9:
        return index
    return index + sum(1 for char in text[:index] if ord(char) > 0xFFFF)


def python_index(text: str, tcl_index: int) -> int:
    """The character index in ``text`` of a Tcl index (which counts a character beyond the BMP twice)."""
    if tk.TclVersion >= 9:
        return min(tcl_index, len(text))
    count = 0
    for index, char in enumerate(text):
        count += 2 if ord(char) > 0xFFFF else 1
        if count > tcl_index:
            return index
    return len(text)


@dataclass
class Drawn:
    message: MessageView
    meta_item: int = 0
    text_item: int = 0
    bubble_item: int = 0
    #: Where its drawing starts and ends on the canvas (set when drawn).
    top: float = 0.0
    bottom: float = 0.0
    #: Its times in full are shown under it (a click on its time).
    expanded: bool = False
    #: Its picture's or file's items, when it carries one (:mod:`gui.views.file_bubble`).
    file: FileItems | None = None
    #: The width its text was wrapped to (for mapping a selection back to the stored text).
    wrap: int = 0


def rounded(
    canvas: tk.Canvas,
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    r: float,
    *,
    fill: str,
    outline: str,
    tags: tuple[str, ...],
) -> int:
    points = [
        x0 + r,
        y0,
        x1 - r,
        y0,
        x1,
        y0,
        x1,
        y0 + r,
        x1,
        y1 - r,
        x1,
        y1,
        x1 - r,
        y1,
        x0 + r,
        y1,
        x0,
        y1,
        x0,
        y1 - r,
        x0,
        y0 + r,
        x0,
        y0,
    ]
    return canvas.create_polygon(points, smooth=True, splinesteps=12, fill=fill, outline=outline, tags=tags)


class Painter:
    """Draws items on ``canvas`` at a given height and width; callbacks go to the list that owns it."""

    def __init__(self, canvas: tk.Canvas, palette: Palette, fonts: Fonts) -> None:
        self.canvas, self.palette, self.fonts = canvas, palette, fonts
        self.on_retry: Callable[[str], None] = lambda _id: None
        self.on_details: Callable[[str], None] = lambda _id: None
        #: A bubble was laid out, with its colour (its links are drawn over its text then).
        self.on_drawn: Callable[[Drawn, str], None] = lambda _drawn, _fill: None
        self.on_notice: Callable[[str], None] = lambda _kind: None
        #: The contact's name while texts to them are held after a key change, else None.
        self.held_for: str | None = None
        #: The contact's name, for notices.
        self.name = ""
        #: How a group names a person (a phone), for senders and notes: "you" for us.
        self.name_of: Callable[[str], str] = lambda phone: phone
        #: Who got our group messages and when, as lines, by message id (asked for when details open).
        self.receipts: dict[str, list[str]] = {}
        #: Draws the pictures and files inside bubbles; its ``on_action`` is the list's.
        self.files = FileDrawer(canvas, palette, fonts)

    def meta(self, message: MessageView, *, expanded: bool = False) -> str:
        """The line under a message: its time and ticks (with why it is held, and its times in full)."""
        if message.status == MessageStatus.FAILED:
            return FAILED_NOTE
        held = self.held_for is not None and message.outgoing and message.status == MessageStatus.QUEUED
        tick = HELD_MARK if held else TICKS[message.status] if message.outgoing else ""
        if message.recipients and message.status not in (MessageStatus.QUEUED, MessageStatus.FAILED):
            tick = compact_receipts(message)  # a group message: delivered to k of n, read by k of n
        edited = f"{EDITED}  " if message.edited and not message.deleted else ""
        line = f"{edited}{clock(shown_time(message))}  {tick}".rstrip()
        if held and self.held_for is not None:
            line = f"{held_line(self.held_for)}\n{line}"
        if not expanded:
            return line
        details = [time_details(message)]
        if message.outgoing and message.recipients:
            details += [receipts_sentence(message), *self.receipts.get(message.message_id, ())]
        return "\n".join([*details, line])

    def meta_colour(self, message: MessageView) -> str:
        p = self.palette
        if message.status == MessageStatus.FAILED:
            return p.danger
        if not message.outgoing:
            return p.muted
        return "#8ff0c8" if message.status == MessageStatus.READ else p.mine_muted

    def divider(self, text: str, top: float, width: int) -> float:
        """The unread divider: a rule across with the count in the middle; returns the height below it."""
        c, p, y = self.canvas, self.palette, top + 14
        label = c.create_text(
            width / 2, y, text=text, fill=p.accent, font=self.fonts.small, tags=("divider", "divider-text")
        )
        x0, _y0, x1, _y1 = c.bbox(label)
        c.create_line(MARGIN, y, x0 - 10, y, fill=p.accent, tags=("divider",))
        c.create_line(x1 + 10, y, width - MARGIN, y, fill=p.accent, tags=("divider",))
        return top + 30

    def notice(self, drawn: Drawn, top: float, width: int) -> float:
        """A notice in the middle (a changed safety number), with its link; returns the height below it."""
        c, p, m = self.canvas, self.palette, drawn.message
        tag, y = f"msg:{m.message_id}", top + 14
        if m.notice == "timer_changed":  # who set the disappearing timer, and to what
            by = (self.name_of(m.notice_by) if m.group_id else self.name) if m.notice_by else ""
            words = notice_words(m, by)
        elif m.group_id:  # a group's note names who did what; only a changed key is a warning
            sentence = capitalised(notice_sentence(m, self.name_of))
            words = f"⚠  {sentence}" if m.notice == "key_changed" else sentence
        else:
            words = f"⚠  {notice_text(m.notice, self.name)}"
        action = "" if m.group_id and m.notice != "key_changed" else NOTICE_ACTION.get(m.notice, "")
        text = c.create_text(width / 2, y, text=words, fill=p.muted, font=self.fonts.small, tags=(tag,))
        drawn.text_item = text
        if action:
            link = c.create_text(
                0, y, text=action, fill=p.accent, font=self.fonts.small, anchor="w", tags=(tag, "notice-link")
            )
            _x0, _y0, x1, _y1 = c.bbox(text)
            shift = (c.bbox(link)[2] - c.bbox(link)[0] + 8) / 2
            c.move(text, -shift, 0)
            c.coords(link, x1 - shift + 8, y)
            kind = f"{m.notice}:{m.notice_who}" if m.group_id else m.notice
            c.tag_bind(link, "<Button-1>", lambda _e: self.on_notice(kind))
            drawn.meta_item = link
        return top + 30

    def day_heading(self, timestamp: float, top: float, width: int) -> float:
        """A heading naming the day; returns the height below it."""
        self.canvas.create_text(
            width / 2,
            top + 16,
            text=day_heading(timestamp, time.time()),
            fill=self.palette.muted,
            font=self.fonts.small,
        )
        return top + _DAY_GAP

    def bubble(self, drawn: Drawn, top: float, width: int) -> float:
        """A message's bubble at ``top``; returns the height below it."""
        drawn.top = top
        p, c, m = self.palette, self.canvas, drawn.message
        max_text = max(120, int(width * _MAX_FRACTION) - 2 * _PAD_X)
        text_colour = p.on_mine if m.outgoing else p.on_theirs
        tag = f"msg:{m.message_id}"
        block = self._attachment(drawn, max_text)
        # Right-to-left lines reordered for display (the message itself, and a copy, keep the stored order).
        body = DELETED_TEXT if m.deleted else m.text
        shown, rtl = self.fonts.text.bubble(body, self.fonts.body.measure, max_text)
        drawn.wrap = max_text
        body_font = self.fonts.body
        text = c.create_text(
            0,
            0,
            text=shown,
            anchor="nw",
            width=int(block.width) if block is not None and block.image_item else max_text,
            font=(body_font.cget("family"), body_font.cget("size"), "italic") if m.deleted else body_font,
            fill=text_colour,
            justify="right" if rtl else "left",
            tags=(tag,),
        )
        meta = c.create_text(
            0,
            0,
            text=self.meta(m, expanded=drawn.expanded),
            anchor="ne",
            justify="right",
            font=self.fonts.small,
            fill=self.meta_colour(m),
            tags=(tag,),
        )
        sender = 0
        if m.group_id and m.sender and not m.outgoing:  # whose message it is, in their own colour
            sender = c.create_text(
                0,
                0,
                text=self.fonts.text.show(self.name_of(m.sender)),
                anchor="nw",
                font=self.fonts.bold,
                fill=sender_colour(m.sender, self.palette.name),
                tags=(tag, "sender"),
            )
        sx0, sy0, sx1, sy1 = c.bbox(sender) if sender else (0, 0, 0, -2)
        tx0, ty0, tx1, ty1 = c.bbox(text) if body else (0, 0, 0, -2)
        mx0, my0, mx1, my1 = c.bbox(meta)
        block_w, block_h = (block.width, block.height + 6) if block is not None else (0.0, 0.0)
        quote_w, quote_h = draw_quote(c, m, p, self.fonts, self.name_of, max_text, tag)
        timer_w, _timer_h = draw_timer_mark(c, m, self.fonts, self.meta_colour(m), tag)
        meta_w = mx1 - mx0 + (timer_w + _TIMER_GAP if timer_w else 0.0)
        inner_w = max(tx1 - tx0, meta_w, sx1 - sx0, block_w, quote_w)
        above = (sy1 - sy0) + 2 + block_h + (quote_h + 4 if quote_h else 0.0)
        inner_h = above + (ty1 - ty0) + 2 + (my1 - my0)
        bubble_w, bubble_h = inner_w + 2 * _PAD_X, inner_h + 2 * _PAD_Y
        x0 = width - MARGIN - bubble_w if m.outgoing else MARGIN
        y0 = top
        if sender:
            c.coords(sender, x0 + _PAD_X, y0 + _PAD_Y)
        if block is not None:  # under the sender's name, above the caption
            c.move(f"att:{m.message_id}", x0 + _PAD_X, y0 + _PAD_Y + (sy1 - sy0) + 2)
        if quote_h:  # under the name and the picture, above the text
            c.move(quote_tag(m.message_id), x0 + _PAD_X, y0 + _PAD_Y + (sy1 - sy0) + 2 + block_h)
        c.coords(text, x0 + _PAD_X, y0 + _PAD_Y + above)
        c.coords(meta, x0 + bubble_w - _PAD_X, y0 + _PAD_Y + above + (ty1 - ty0) + 2)
        if timer_w:  # left of the time
            meta_x = x0 + bubble_w - _PAD_X - (mx1 - mx0)
            meta_y = y0 + _PAD_Y + above + (ty1 - ty0) + 2
            c.move(timer_tag(m.message_id), meta_x - timer_w - _TIMER_GAP, meta_y)
        fill = p.mine if m.outgoing else p.theirs
        outline = fill if m.outgoing else p.border
        bubble = rounded(
            c, x0, y0, x0 + bubble_w, y0 + bubble_h, _RADIUS, fill=fill, outline=outline, tags=(tag,)
        )
        c.tag_lower(bubble, text)
        if block is not None:
            c.tag_raise(f"att:{m.message_id}", bubble)
        if quote_h:
            c.tag_raise(quote_tag(m.message_id), bubble)
        chips_w, chips_h = draw_chips(c, m, p, self.fonts, tag)
        if chips_h:  # under the bubble, at its outer side
            x = x0 + bubble_w - _PAD_X - chips_w if m.outgoing else x0 + _PAD_X
            c.move(chips_tag(m.message_id), x, y0 + bubble_h - 4)
            bubble_h += chips_h - 4
        drawn.meta_item, drawn.text_item, drawn.bubble_item = meta, text, bubble
        self.on_drawn(drawn, fill)
        message_id = m.message_id
        if m.status == MessageStatus.FAILED:
            c.tag_bind(tag, "<Button-1>", lambda _e: self.on_retry(message_id))
        else:  # a click on the time shows the times in full (sent, and arrived)
            c.tag_bind(meta, "<Button-1>", lambda _e: self.on_details(message_id))
        return y0 + bubble_h + _GAP

    def _attachment(self, drawn: Drawn, widest: int) -> FileItems | None:
        """The message's picture or file drawn at the origin (moved into the bubble later), if it has one."""
        if drawn.message.attachment is None:
            drawn.file = None
            return None
        self.files.palette = self.palette
        drawn.file = self.files.draw(drawn.message, widest)
        return drawn.file
