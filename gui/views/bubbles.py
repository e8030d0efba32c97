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
from tkinter import ttk

from gui.views.bubble_items import MARGIN, Drawn, Painter, tk_index
from gui.views.theme import Fonts, Palette
from net.client.core.events import MessageStatus, MessageView

#: How long a revealed message's bubble stays outlined.
FLASH_MS = 1500


class MessageList(ttk.Frame):
    def __init__(self, master: tk.Misc, palette: Palette, fonts: Fonts) -> None:
        super().__init__(master, style="Surface.TFrame")
        self.palette, self.fonts = palette, fonts
        self.on_retry: Callable[[str], None] = lambda _id: None
        self.on_need_older: Callable[[str], None] = lambda _id: None
        self.canvas = tk.Canvas(self, highlightthickness=0, borderwidth=0, background=palette.background)
        self.scrollbar = ttk.Scrollbar(self, orient="vertical", command=self._scroll)
        self.canvas.configure(yscrollcommand=self._scrolled)
        self.painter = Painter(self.canvas, palette, fonts)
        self.painter.on_retry = lambda message_id: self.on_retry(message_id)
        self.painter.on_copy = self.copy
        self.canvas.grid(row=0, column=0, sticky="nsew")
        self.scrollbar.grid(row=0, column=1, sticky="ns")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self._drawn: list[Drawn] = []
        self._by_id: dict[str, Drawn] = {}
        self._bottom = float(MARGIN)
        self._width = 0
        self._has_older = False
        self._asked_older = False
        self._relayout_pending = False
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
        self._drawn = [Drawn(m) for m in reversed(newest_first)]
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
        fresh = [Drawn(m) for m in reversed(newest_first) if m.message_id not in self._by_id]
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
        drawn = Drawn(message)
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
            painter, message = self.painter, drawn.message
            self.canvas.itemconfigure(
                drawn.meta_item, text=painter.meta(message), fill=painter.meta_colour(message)
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

    def message_ids(self) -> list[str]:
        return [d.message.message_id for d in self._drawn]

    def shown(self) -> list[MessageView]:
        """The messages in the list, oldest first, with their current status."""
        return [d.message for d in self._drawn]

    def restyle(self, palette: Palette) -> None:
        self.palette = self.painter.palette = palette
        self.canvas.configure(
            background=palette.background,
            selectbackground=palette.warning,
            selectforeground=palette.on_warning,
        )
        self._relayout()

    # ------------------------------------------------------------------ drawing

    def _draw(self, drawn: Drawn, previous: MessageView | None) -> None:
        m = drawn.message
        if previous is None or time.localtime(previous.timestamp)[:3] != time.localtime(m.timestamp)[:3]:
            self._bottom = self.painter.day_heading(m.timestamp, self._bottom, self._width)
        self._bottom = self.painter.bubble(drawn, self._bottom, self._width)

    def _relayout(self) -> None:
        self._relayout_pending = False
        self.canvas.delete("all")
        self._bottom = float(MARGIN)
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
        if end > start:
            c.select_from(drawn.text_item, tk_index(text, start))
            c.select_to(drawn.text_item, tk_index(text, end) - 1)
        if not self._reveal_pending:
            return
        self._reveal_pending = False
        _x0, y0, _x1, y1 = c.bbox(drawn.bubble_item)
        height = max(self._bottom + MARGIN, c.winfo_height(), 1.0)
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
        height = max(self._bottom + MARGIN, self.canvas.winfo_height())
        self.canvas.configure(scrollregion=(0, 0, self._width, height))

    # ------------------------------------------------------------------ scrolling

    def _resized(self, event: tk.Event) -> None:
        if event.width != self._width:
            at_bottom = self.canvas.yview()[1] >= 0.98 and not self._reveal_pending
            self._relayout()
            if at_bottom:
                self.canvas.yview_moveto(1.0)

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
        if (
            float(first) <= 0.0
            and float(last) < 1.0
            and self._has_older
            and not self._asked_older
            and self._drawn
        ):
            self._asked_older = True
            self.on_need_older(self._drawn[0].message.message_id)
