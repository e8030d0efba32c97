"""The message list: bubbles on a canvas, mine on the right and theirs on the left.

Only the pages of history that were asked for are drawn; scrolling to the top
asks for the next older page (``on_need_older``), which is then prepended with
the view kept in place. New messages are appended without redrawing the rest,
so a long backlog arrives at the cost of its own bubbles only.

A message found by a search is revealed: scrolled to the middle of the view,
its match marked with the canvas's selection (in the theme's warning colours,
which read on both kinds of bubble) for as long as it is shown, and its bubble
outlined for a moment.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from tkinter import ttk

from gui.view_models.wording import FAILED_NOTE, TICKS, clock, day_heading
from gui.views.theme import Fonts, Palette
from net.client.core.events import MessageStatus, MessageView

_MARGIN = 16
_PAD_X, _PAD_Y = 12, 8
_GAP = 6
_RADIUS = 14
_MAX_FRACTION = 0.68
_DAY_GAP = 34
#: How long a revealed message's bubble stays outlined.
FLASH_MS = 1500


def _tk_index(text: str, index: int) -> int:
    """A character index as Tcl 8.6 counts it: a character beyond the BMP takes two places there."""
    if tk.TclVersion >= 9:
        return index
    return index + sum(1 for char in text[:index] if ord(char) > 0xFFFF)


@dataclass
class _Drawn:
    message: MessageView
    meta_item: int = 0
    text_item: int = 0
    bubble_item: int = 0


def _rounded(
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


class MessageList(ttk.Frame):
    def __init__(self, master: tk.Misc, palette: Palette, fonts: Fonts) -> None:
        super().__init__(master, style="Surface.TFrame")
        self.palette, self.fonts = palette, fonts
        self.on_retry: Callable[[str], None] = lambda _id: None
        self.on_need_older: Callable[[str], None] = lambda _id: None
        #: The part of the list on screen changed (scrolled, resized, drawn): what was seen may have changed.
        self.on_moved: Callable[[], None] = lambda: None
        self.canvas = tk.Canvas(self, highlightthickness=0, borderwidth=0, background=palette.background)
        self.scrollbar = ttk.Scrollbar(self, orient="vertical", command=self._scroll)
        self.canvas.configure(yscrollcommand=self._scrolled)
        self.canvas.grid(row=0, column=0, sticky="nsew")
        self.scrollbar.grid(row=0, column=1, sticky="ns")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self._drawn: list[_Drawn] = []
        self._by_id: dict[str, _Drawn] = {}
        self._bottom = float(_MARGIN)
        self._width = 0
        self._has_older = False
        self._asked_older = False
        self._relayout_pending = False
        #: Whether the newest message was in view before the last resize; the canvas height then.
        self._pinned, self._view_height = True, 0
        self.empty_text = ""
        #: The message found by a search, and the span of its text to mark; kept across redraws.
        self._found: tuple[str, int, int] | None = None
        self._reveal_pending = False
        self._flashing: str | None = None
        self.canvas.bind("<Configure>", self._resized)
        for sequence in ("<MouseWheel>", "<Button-4>", "<Button-5>"):
            self.canvas.bind(sequence, self._wheel)

    # ------------------------------------------------------------------ public

    def show(self, newest_first: list[MessageView], *, has_older: bool, empty_text: str = "") -> None:
        """Replace the list with one page (as the engine returns history: newest first)."""
        self._drawn = [_Drawn(m) for m in reversed(newest_first)]
        self._by_id = {d.message.message_id: d for d in self._drawn}
        self._has_older, self._asked_older = has_older, False
        self.empty_text = empty_text
        self._found, self._reveal_pending = None, False
        self._relayout()
        self.canvas.yview_moveto(1.0)

    def reveal(self, message_id: str, span: tuple[int, int] | None) -> None:
        """Scroll to a shown message, mark ``span`` of its text, and outline its bubble for a moment."""
        if message_id not in self._by_id:
            return
        start, end = span if span is not None else (0, 0)
        self._found, self._reveal_pending = (message_id, start, end), True
        if self._width:
            self._show_found()

    def found(self) -> tuple[str, str] | None:
        """The revealed message and the part of its text the canvas shows marked, as the person sees it."""
        item = self.canvas.select_item()
        if self._found is None or not item:
            return None
        drawn = self._by_id.get(self._found[0])
        if drawn is None or drawn.text_item != int(item):
            return None
        first, last = self.canvas.index(item, "sel.first"), self.canvas.index(item, "sel.last")
        return drawn.message.message_id, str(self.canvas.itemcget(item, "text"))[first : last + 1]

    @property
    def flashing(self) -> str | None:
        """The message whose bubble is outlined just now."""
        return self._flashing

    def prepend(self, newest_first: list[MessageView], *, has_older: bool) -> None:
        """Older messages arrived for the top of the list; the visible part stays where it is."""
        fresh = [_Drawn(m) for m in reversed(newest_first) if m.message_id not in self._by_id]
        old_height = self._bottom
        self._drawn = fresh + self._drawn
        self._by_id.update((d.message.message_id, d) for d in fresh)
        self._has_older, self._asked_older = has_older, False
        top_before = self.canvas.yview()[0] * old_height
        self._relayout()
        self.canvas.yview_moveto((top_before + self._bottom - old_height) / max(self._bottom, 1.0))

    def append(self, message: MessageView) -> None:
        if message.message_id in self._by_id:
            self.set_status(message.message_id, message.status)
            return
        at_bottom = self.canvas.yview()[1] >= 0.98 or message.outgoing
        previous = self._drawn[-1].message if self._drawn else None
        drawn = _Drawn(message)
        self._drawn.append(drawn)
        self._by_id[message.message_id] = drawn
        if not self._width:
            return  # drawn at the first layout
        if len(self._drawn) == 1:
            self.canvas.delete("empty")
        self._draw(drawn, previous)
        self._update_region()
        if at_bottom:
            self.canvas.yview_moveto(1.0)

    def set_status(self, message_id: str, status: MessageStatus) -> None:
        drawn = self._by_id.get(message_id)
        if drawn is None or drawn.message.status == status:
            return
        was_failed = drawn.message.status == MessageStatus.FAILED
        drawn.message = MessageView(**{**drawn.message.__dict__, "status": status})
        if was_failed or status == MessageStatus.FAILED:
            self._schedule_relayout()  # the bubble's width changes with the retry note
        elif drawn.meta_item:
            self.canvas.itemconfigure(
                drawn.meta_item, text=self._meta(drawn.message), fill=self._meta_colour(drawn.message)
            )

    def copy(self, message_id: str) -> None:
        """Put a message's text on the clipboard (a double click on its bubble)."""
        drawn = self._by_id.get(message_id)
        if drawn is not None:
            self.clipboard_clear()
            self.clipboard_append(drawn.message.text)

    def status_of(self, message_id: str) -> MessageStatus | None:
        drawn = self._by_id.get(message_id)
        return drawn.message.status if drawn else None

    def meta_text(self, message_id: str) -> str:
        """The time and ticks drawn under a message, as the person sees them."""
        drawn = self._by_id.get(message_id)
        if drawn is None or not drawn.meta_item:
            return ""
        return str(self.canvas.itemcget(drawn.meta_item, "text"))

    def visible_ids(self) -> set[str]:
        """The messages whose bubbles are (at least partly) inside the viewport of a list on screen."""
        c = self.canvas
        if not c.winfo_viewable():
            return set()
        top = c.canvasy(0)
        bottom = top + c.winfo_height()
        seen = set()
        for drawn in self._drawn:
            box = c.bbox(drawn.bubble_item) if drawn.bubble_item else None
            if box and box[3] > top and box[1] < bottom:
                seen.add(drawn.message.message_id)
        return seen

    def drawn_text(self, message_id: str) -> str:
        """A message's text as the canvas draws it (reordered where it reads right to left)."""
        drawn = self._by_id.get(message_id)
        if drawn is None or not drawn.text_item:
            return ""
        return str(self.canvas.itemcget(drawn.text_item, "text"))

    def message_ids(self) -> list[str]:
        return [d.message.message_id for d in self._drawn]

    def shown(self) -> list[MessageView]:
        """The messages in the list, oldest first, with their current status."""
        return [d.message for d in self._drawn]

    def restyle(self, palette: Palette) -> None:
        self.palette = palette
        self.canvas.configure(
            background=palette.background,
            selectbackground=palette.warning,
            selectforeground=palette.on_warning,
        )
        self._relayout()

    # ------------------------------------------------------------------ drawing

    def _meta(self, message: MessageView) -> str:
        if message.status == MessageStatus.FAILED:
            return FAILED_NOTE
        tick = TICKS[message.status] if message.outgoing else ""
        return f"{clock(message.timestamp)}  {tick}".rstrip()

    def _meta_colour(self, message: MessageView) -> str:
        p = self.palette
        if message.status == MessageStatus.FAILED:
            return p.danger
        if not message.outgoing:
            return p.muted
        return "#8ff0c8" if message.status == MessageStatus.READ else p.mine_muted

    def _draw(self, drawn: _Drawn, previous: MessageView | None) -> None:
        p, c, m = self.palette, self.canvas, drawn.message
        now = time.time()
        if previous is None or time.localtime(previous.timestamp)[:3] != time.localtime(m.timestamp)[:3]:
            self._bottom += 6
            c.create_text(
                self._width / 2,
                self._bottom + 10,
                text=day_heading(m.timestamp, now),
                fill=p.muted,
                font=self.fonts.small,
            )
            self._bottom += _DAY_GAP - 6
        max_text = max(120, int(self._width * _MAX_FRACTION) - 2 * _PAD_X)
        text_colour = p.on_mine if m.outgoing else p.on_theirs
        tag = f"msg:{m.message_id}"
        # Right-to-left lines reordered for display (the message itself, and a copy, keep the stored order).
        shown, rtl = self.fonts.text.bubble(m.text, self.fonts.body.measure, max_text)
        text = c.create_text(
            0,
            0,
            text=shown,
            anchor="nw",
            width=max_text,
            font=self.fonts.body,
            fill=text_colour,
            justify="right" if rtl else "left",
            tags=(tag,),
        )
        meta = c.create_text(
            0,
            0,
            text=self._meta(m),
            anchor="ne",
            font=self.fonts.small,
            fill=self._meta_colour(m),
            tags=(tag,),
        )
        tx0, ty0, tx1, ty1 = c.bbox(text)
        mx0, my0, mx1, my1 = c.bbox(meta)
        inner_w = max(tx1 - tx0, mx1 - mx0)
        inner_h = (ty1 - ty0) + 2 + (my1 - my0)
        bubble_w, bubble_h = inner_w + 2 * _PAD_X, inner_h + 2 * _PAD_Y
        x0 = self._width - _MARGIN - bubble_w if m.outgoing else _MARGIN
        y0 = self._bottom
        c.coords(text, x0 + _PAD_X, y0 + _PAD_Y)
        c.coords(meta, x0 + bubble_w - _PAD_X, y0 + _PAD_Y + (ty1 - ty0) + 2)
        fill = p.mine if m.outgoing else p.theirs
        outline = fill if m.outgoing else p.border
        bubble = _rounded(
            c, x0, y0, x0 + bubble_w, y0 + bubble_h, _RADIUS, fill=fill, outline=outline, tags=(tag,)
        )
        c.tag_lower(bubble, text)
        drawn.meta_item, drawn.text_item, drawn.bubble_item = meta, text, bubble
        message_id = m.message_id
        if m.status == MessageStatus.FAILED:
            c.tag_bind(tag, "<Button-1>", lambda _e: self.on_retry(message_id))
        c.tag_bind(tag, "<Double-Button-1>", lambda _e: self.copy(message_id))
        self._bottom = y0 + bubble_h + _GAP

    def _relayout(self) -> None:
        self._relayout_pending = False
        self.canvas.delete("all")
        self._bottom = float(_MARGIN)
        self._width = self.canvas.winfo_width()
        if self._width <= 1:
            self._width = 0
            return
        previous = None
        for drawn in self._drawn:
            self._draw(drawn, previous)
            previous = drawn.message
        if not self._drawn and self.empty_text:
            self.canvas.create_text(
                self._width / 2,
                80,
                text=self.empty_text,
                fill=self.palette.muted,
                font=self.fonts.body,
                width=max(200, self._width - 80),
                justify="center",
                tags=("empty",),
            )
        self._update_region()
        if self._found is not None:
            self._show_found()

    def _show_found(self) -> None:
        """Mark the found span; the first time after :meth:`reveal`, also scroll to it and flash."""
        assert self._found is not None
        message_id, start, end = self._found
        drawn = self._by_id.get(message_id)
        if drawn is None or not drawn.text_item:
            return
        c, text = self.canvas, drawn.message.text
        # A reordered text's characters are not where the span says: its bubble is only outlined.
        if end > start and str(c.itemcget(drawn.text_item, "text")) == text:
            c.select_from(drawn.text_item, _tk_index(text, start))
            c.select_to(drawn.text_item, _tk_index(text, end) - 1)
        if not self._reveal_pending:
            return
        self._reveal_pending = False
        _x0, y0, _x1, y1 = c.bbox(drawn.bubble_item)
        height = max(self._bottom + _MARGIN, c.winfo_height(), 1.0)
        top = max(0.0, y0 - (c.winfo_height() - (y1 - y0)) / 2)
        c.yview_moveto(top / height)
        outline = c.itemcget(drawn.bubble_item, "outline")
        c.itemconfigure(drawn.bubble_item, outline=self.palette.text, width=3)
        self._flashing = message_id
        bubble = drawn.bubble_item

        def done() -> None:
            self._flashing = None
            if c.type(bubble):  # a redraw in between made a fresh bubble already
                c.itemconfigure(bubble, outline=outline, width=1)

        self.after(FLASH_MS, done)

    def _schedule_relayout(self) -> None:
        if not self._relayout_pending:
            self._relayout_pending = True
            self.after_idle(self._relayout)

    def _update_region(self) -> None:
        height = max(self._bottom + _MARGIN, self.canvas.winfo_height())
        self.canvas.configure(scrollregion=(0, 0, self._width, height))

    # ------------------------------------------------------------------ scrolling

    def _resized(self, event: tk.Event) -> None:
        # A list that was at its newest message stays there when the window changes size.
        at_bottom = self._pinned and not self._reveal_pending
        if event.width != self._width:
            self._relayout()
        if at_bottom:
            self.canvas.yview_moveto(1.0)

    def scroll(self, how: str) -> None:
        """A page "up" or "down", or to the "top" (older pages load from there) or the "bottom"."""
        if how in ("up", "down"):
            self.canvas.yview_scroll(-1 if how == "up" else 1, "pages")
        else:
            self.canvas.yview_moveto(0.0 if how == "top" else 1.0)

    def _scroll(self, *args: str) -> None:
        self.canvas.yview(*args)

    def _wheel(self, event: tk.Event) -> None:
        if event.num == 4 or getattr(event, "delta", 0) > 0:
            self.canvas.yview_scroll(-3, "units")
        else:
            self.canvas.yview_scroll(3, "units")

    def _scrolled(self, first: str | float, last: str | float) -> None:
        # Tk passes the fractions as strings; typeshed types them as floats.
        self.scrollbar.set(first, last)
        height = self.canvas.winfo_height()
        if height == self._view_height:  # a scroll, not a resize: whether the newest is in view
            self._pinned = float(last) >= 0.98
        self._view_height = height
        self.on_moved()
        if (
            float(first) <= 0.0
            and float(last) < 1.0
            and self._has_older
            and not self._asked_older
            and self._drawn
        ):
            self._asked_older = True
            self.on_need_older(self._drawn[0].message.message_id)
