"""The message list: bubbles on a canvas, mine on the right and theirs on the left.

Only the pages of history that were asked for are drawn. Scrolling up asks for
the next older page (``on_need_older``) while the view is still
:data:`AHEAD_SCREENS` screens from the top, so a drag of the scrollbar meets
messages already there, and the page is prepended with the view kept in place;
scrolling down past a page that ends before the newest message (a jump to a
search result, or to the first unread) asks for the newer one (``on_need_newer``)
the same way. At most :data:`MOST_DRAWN` messages are kept: loading on one side
lets go of the far end of the other, which becomes a gap to load again. New
messages are appended without redrawing the rest, so a long backlog arrives at
the cost of its own bubbles only.

A conversation opened at its first unread message shows the unread divider
above it with a little of what came before; while the view is not at the
newest message, a jump-to-bottom button says how many unread wait below.

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

from gui.view_models.timeline_model import shown_time, unread_divider_text
from gui.views.bubble_items import MARGIN, Drawn, Painter, tk_index
from gui.views.jump import JumpButton, UnreadBelow
from gui.views.theme import Fonts, Palette
from net.client.core.events import MessageStatus, MessageView

#: How long a revealed message's bubble stays outlined.
FLASH_MS = 1500
#: The next page is asked for while the view is this many of its own heights from the loaded end.
AHEAD_SCREENS = 3.0
#: The most messages kept drawn; beyond it the far end is let go (and loaded again when scrolled to).
MOST_DRAWN = 800
#: Above the first unread message, this much of what came before stays in view (pixels).
CONTEXT_ABOVE = 90


class MessageList(ttk.Frame):
    def __init__(self, master: tk.Misc, palette: Palette, fonts: Fonts) -> None:
        super().__init__(master, style="Surface.TFrame")
        self.palette, self.fonts = palette, fonts
        self.on_retry: Callable[[str], None] = lambda _id: None
        self.on_need_older: Callable[[str], None] = lambda _id: None
        #: The part of the list on screen changed (scrolled, resized, drawn): what was seen may have changed.
        self.on_moved: Callable[[], None] = lambda: None
        self.on_need_newer: Callable[[str], None] = lambda _id: None
        #: The jump button was pressed while newer messages are not loaded: the newest page is wanted.
        self.on_jump: Callable[[], None] = lambda: None
        #: A notice's link was clicked (its kind: "key_changed" asks to verify the new safety number).
        self.on_notice: Callable[[str], None] = lambda _kind: None
        self.canvas = tk.Canvas(self, highlightthickness=0, borderwidth=0, background=palette.background)
        self.scrollbar = ttk.Scrollbar(self, orient="vertical", command=self._scroll)
        self.canvas.configure(yscrollcommand=self._scrolled)
        self.painter = Painter(self.canvas, palette, fonts)
        self.painter.on_retry = lambda message_id: self.on_retry(message_id)
        self.painter.on_copy = self.copy
        self.painter.on_details = self._toggle_details
        self.painter.on_notice = lambda kind: self.on_notice(kind)
        self.canvas.grid(row=0, column=0, sticky="nsew")
        self.scrollbar.grid(row=0, column=1, sticky="ns")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self._drawn: list[Drawn] = []
        self._by_id: dict[str, Drawn] = {}
        self._bottom = float(MARGIN)
        self._width = 0
        self._has_older = self._has_newer = False
        self._asked_older = self._asked_newer = False
        #: The unread divider goes above this message, with these words; and the view opens there once.
        self._divider: tuple[str, str] | None = None
        self._divider_top = 0.0
        self._open_at_divider = False
        self.unread_below = UnreadBelow()
        #: The view was at the newest message when last scrolled (kept there when the list is resized).
        self._at_bottom = True
        self.jump = JumpButton(self, self._jump)
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

    def show(
        self,
        newest_first: list[MessageView],
        *,
        has_older: bool,
        has_newer: bool = False,
        empty_text: str = "",
        unread_from: str | None = None,
        unread_count: int = 0,
    ) -> None:
        """Replace the list with one page (as the engine returns history: newest first).

        With ``unread_from`` (the first unread message, on this page) the divider goes above
        it saying ``unread_count`` and the view opens there; otherwise at the newest message.
        """
        self._drawn = [Drawn(m) for m in reversed(newest_first)]
        self._by_id = {d.message.message_id: d for d in self._drawn}
        self._has_older, self._asked_older = has_older, False
        self._has_newer, self._asked_newer = has_newer, False
        self.empty_text = empty_text
        self._found, self._reveal_pending = None, False
        at = unread_from if unread_from in self._by_id and unread_count > 0 else None
        self._divider = None if at is None else (at, unread_divider_text(unread_count))
        self._open_at_divider = at is not None
        index = self.message_ids().index(at) if at is not None else len(self._drawn)
        self.unread_below.reset(
            unread_count if at is not None else 0,
            (d.message.message_id for d in self._drawn[index:] if not d.message.outgoing),
        )
        self._relayout()  # opens at the divider when there is one (now, or at the first layout)
        if at is None:
            self.canvas.yview_moveto(1.0)

    @property
    def has_newer(self) -> bool:
        """The shown messages end before the newest one (a jump, or memory let go of the newest)."""
        return self._has_newer

    def divider_text(self) -> str | None:
        """The unread divider's words if it is drawn, else None."""
        items = self.canvas.find_withtag("divider-text")
        return str(self.canvas.itemcget(items[0], "text")) if items else None

    def divider_in_view(self) -> bool:
        """The unread divider is inside the visible part of the list."""
        if self._divider is None or not self.canvas.find_withtag("divider"):
            return False
        top = self.canvas.canvasy(0)
        return top <= self._divider_top < top + self.canvas.winfo_height()

    def set_held(self, name: str | None) -> None:
        """Texts of mine that are queued are held until the person confirms ``name``'s new key (None: not)."""
        if self.painter.held_for != name:
            self.painter.held_for = name
            self._keep_view(lambda: None)

    def set_name(self, name: str) -> None:
        """The contact's name, as notices say it."""
        if self.painter.name != name:
            self.painter.name = name
            if any(d.message.notice for d in self._drawn):
                self._keep_view(lambda: None)

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

        def change() -> None:
            self._drawn = fresh + self._drawn
            self._by_id.update((d.message.message_id, d) for d in fresh)
            self._has_older, self._asked_older = has_older, False
            if len(self._drawn) > MOST_DRAWN:  # let go of the newest: scrolling down loads them again
                for gone in self._drawn[MOST_DRAWN:]:
                    del self._by_id[gone.message.message_id]
                del self._drawn[MOST_DRAWN:]
                self._has_newer, self._asked_newer = True, False

        self._keep_view(change)

    def extend(self, newest_first: list[MessageView], *, has_newer: bool) -> None:
        """Newer messages arrived for the bottom of a list that ends before the newest one."""
        fresh = [Drawn(m) for m in reversed(newest_first) if m.message_id not in self._by_id]
        self.unread_below.loaded(d.message.message_id for d in fresh if not d.message.outgoing)

        def change() -> None:
            self._drawn.extend(fresh)
            self._by_id.update((d.message.message_id, d) for d in fresh)
            self._has_newer, self._asked_newer = has_newer, False
            if len(self._drawn) > MOST_DRAWN:  # let go of the oldest: scrolling up loads them again
                cut = len(self._drawn) - MOST_DRAWN
                for gone in self._drawn[:cut]:
                    del self._by_id[gone.message.message_id]
                del self._drawn[:cut]
                self._has_older, self._asked_older = True, False

        self._keep_view(change)

    def append(self, message: MessageView) -> None:
        """A new message (or notice) at the bottom; while newer pages are not loaded, only counted."""
        if message.message_id in self._by_id:
            self.set_status(message.message_id, message.status)
            return
        at_bottom = self.canvas.yview()[1] >= 0.98 or message.outgoing
        if self._has_newer or not at_bottom:
            if not message.outgoing and not message.notice:
                self.unread_below.arrived(message.message_id)
            if self._has_newer:
                self._update_jump()
                return
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
        was_held = self.painter.held_for is not None and drawn.message.status == MessageStatus.QUEUED
        drawn.message = MessageView(**{**drawn.message.__dict__, "status": status})
        if was_failed or was_held or status == MessageStatus.FAILED:
            self._schedule_relayout()  # the bubble's size changes with the retry note or the held line
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

    def jump_to_bottom(self) -> None:
        """What the jump button does: to the newest message, loading it first if it is not loaded."""
        self._jump()

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
        m, painter = drawn.message, self.painter
        when = shown_time(m)
        if previous is None or time.localtime(shown_time(previous))[:3] != time.localtime(when)[:3]:
            self._bottom = painter.day_heading(when, self._bottom, self._width)
        if self._divider is not None and self._divider[0] == m.message_id:
            self._divider_top = self._bottom
            self._bottom = painter.divider(self._divider[1], self._bottom, self._width)
        drawn.top = self._bottom
        if m.notice:
            self._bottom = painter.notice(drawn, self._bottom, self._width)
        else:
            self._bottom = painter.bubble(drawn, self._bottom, self._width)
        drawn.bottom = self._bottom

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
        if self._open_at_divider:
            self._open_at_divider = False
            self.canvas.yview_moveto(max(0.0, self._divider_top - CONTEXT_ABOVE) / self._region_height())

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

    def _region_height(self) -> float:
        return max(self._bottom + MARGIN, float(self.canvas.winfo_height()), 1.0)

    def _update_region(self) -> None:
        self.canvas.configure(scrollregion=(0, 0, self._width, self._region_height()))

    def _keep_view(self, change: Callable[[], None]) -> None:
        """Apply ``change`` to the items and redraw, with the message at the top of the view kept there."""
        top = self.canvas.canvasy(0)
        anchor = next((d for d in self._drawn if d.bottom > top), None)
        anchor_id, offset = (anchor.message.message_id, anchor.top - top) if anchor else (None, 0.0)
        at_bottom = not self._has_newer and self.canvas.yview()[1] >= 0.999
        change()
        self._relayout()
        kept = self._by_id.get(anchor_id) if anchor_id is not None else None
        if at_bottom and not self._has_newer:
            self.canvas.yview_moveto(1.0)
        elif kept is not None:
            self.canvas.yview_moveto(max(0.0, kept.top - offset) / self._region_height())

    def _toggle_details(self, message_id: str) -> None:
        """A click on a message's time: its times in full (when it was sent, and when it arrived)."""
        drawn = self._by_id.get(message_id)
        if drawn is not None:
            drawn.expanded = not drawn.expanded
            self._keep_view(lambda: None)

    def _jump(self) -> None:
        if self._has_newer:
            self.on_jump()  # the controller shows the newest page, which opens at the bottom
        else:
            self.canvas.yview_moveto(1.0)

    def _update_jump(self) -> None:
        last = self.canvas.yview()[1]
        at_end = not self._has_newer and last >= 0.999
        bottom = self.canvas.canvasy(self.canvas.winfo_height())

        def visible(message_id: str) -> bool:
            drawn = self._by_id.get(message_id)
            return drawn is not None and bool(self._width) and drawn.top < bottom

        self.unread_below.seen(visible, at_end=at_end)
        self.jump.update_to(bool(self._drawn) and not at_end, self.unread_below.count)

    # ------------------------------------------------------------------ scrolling

    def _resized(self, event: tk.Event) -> None:
        # At the newest message before (a banner above may have made the list shorter): stay there.
        at_bottom = self._at_bottom and not (self._reveal_pending or self._open_at_divider)
        if event.width != self._width:
            self._relayout()
        elif self._width:
            self._update_region()  # a shorter list needs a shorter region, or the end hangs in empty space
        if at_bottom:
            self.canvas.yview_moveto(1.0)

    def scroll(self, how: str) -> None:
        """A page "up" or "down", or to the "top" (older pages load from there) or the "bottom"."""
        if how in ("up", "down"):
            self.canvas.yview_scroll(-1 if how == "up" else 1, "pages")
        elif how == "top":
            self.canvas.yview_moveto(0.0)
        else:
            self.jump_to_bottom()

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
        self.on_moved()
        if not self._drawn or not self._width:
            return
        self._at_bottom = not self._has_newer and float(last) >= 0.999
        height = self._region_height()
        ahead = AHEAD_SCREENS * max(1, self.canvas.winfo_height())
        if self._has_older and not self._asked_older and float(first) * height < ahead:
            self._asked_older = True
            self.on_need_older(self._drawn[0].message.message_id)
        if self._has_newer and not self._asked_newer and (1.0 - float(last)) * height < ahead:
            self._asked_newer = True
            self.on_need_newer(self._drawn[-1].message.message_id)
        self._update_jump()
