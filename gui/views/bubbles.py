"""The message list: bubbles on a canvas, mine on the right and theirs on the left.

Only the pages that were asked for are drawn (:mod:`gui.views.loaded_block`
keeps which, at most 800). Scrolling asks for the next older page
(``on_need_older``) while the view is still :data:`AHEAD_SCREENS` screens from
the top, and for the next newer one (``on_need_newer``) near the bottom of a
block that ends before the newest message (after a jump to a search result or
to the first unread); a page is added with the view kept in place. The
scrollbar stands for the whole conversation (:mod:`gui.views.timeline_scrollbar`);
a thumb dragged far past the drawn messages asks for the page at that place
(``on_need_at``), which :meth:`MessageList.moved` draws. Each replacement of the
drawn block counts a new :attr:`MessageList.run`, so a page asked for an earlier
block is dropped. New messages are appended without redrawing the rest, so a
backlog costs its own bubbles only.

While the newest messages are not loaded, a new one from the contact only raises
the jump button's count, and one I just wrote brings the newest page
(``on_jump``), as the jump button does; once the newest are loaded, new messages
are drawn as they come. A conversation opened at its first unread message shows
the unread divider above it with a little of what came before. A message found
by a search is revealed (:mod:`gui.views.found_mark`).
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import replace
from tkinter import ttk

from gui.view_models.file_model import FileAction
from gui.view_models.scroll_model import Span
from gui.view_models.timeline_model import shown_time, unread_divider_text
from gui.views.bubble_items import MARGIN, Drawn, Painter
from gui.views.found_mark import FoundMark
from gui.views.jump import JumpButton, UnreadBelow
from gui.views.loaded_block import LoadedBlock
from gui.views.message_menu import MessageMenu
from gui.views.message_ring import MessageRing
from gui.views.quote_jump import QuoteJump
from gui.views.reading import reading_parts
from gui.views.shown_messages import ShownMessages
from gui.views.theme import Fonts, Palette
from gui.views.timeline_scrollbar import TimelineScrollbar
from net.client.core.events import AttachmentView, MessageStatus, MessageView

#: The next page is asked for while the view is this many of its own heights from the loaded end.
AHEAD_SCREENS = 3.0
#: Above the first unread message, this much of what came before stays in view (pixels).
CONTEXT_ABOVE = 90


class MessageList(ShownMessages, ttk.Frame):
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
        #: The scrollbar was dragged past the drawn messages: the page this many entries after the oldest.
        self.on_need_at: Callable[[int], None] = lambda _offset: None
        #: A notice's link was clicked (its kind: "key_changed" asks to verify the new safety number).
        self.on_notice: Callable[[str], None] = lambda _kind: None
        #: The details of our group message opened: who got it and when is wanted (show_receipts).
        self.on_receipts: Callable[[str], None] = lambda _id: None
        #: A picture's or file's link, click or key: (message id, what to do).
        self.on_file_action: Callable[[str, FileAction], None] = lambda _id, _action: None
        self.canvas = tk.Canvas(self, highlightthickness=0, borderwidth=0, background=palette.background)
        self.whole = TimelineScrollbar(self, self.canvas, self.span)
        self.whole.on_need_at = lambda offset: self.on_need_at(offset)
        self.scrollbar = self.whole.scrollbar
        self.canvas.configure(yscrollcommand=self._scrolled)
        self.painter = Painter(self.canvas, palette, fonts)
        self.painter.on_retry = lambda message_id: self.on_retry(message_id)
        self.painter.on_details = self._toggle_details
        self.painter.on_notice = lambda kind: self.on_notice(kind)
        self.painter.files.on_action = lambda message_id, action: self.on_file_action(message_id, action)
        self.canvas.grid(row=0, column=0, sticky="nsew")
        self.scrollbar.grid(row=0, column=1, sticky="ns")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        #: What is loaded and drawn, and where it sits in the whole conversation.
        self.block = LoadedBlock()
        self.ring = MessageRing(self.canvas, self.block, palette)
        self.ring.on_action = lambda message_id, action: self.on_file_action(message_id, action)
        #: A message's context menu; its ``on_action`` is the actions controller's.
        self.menu = MessageMenu(self.canvas, self.block, self.ring, fonts.text.show)
        self.selection, self.links = reading_parts(self.canvas, self.block, self.painter, self.ring, fonts)
        #: A click on a reply's quote; its ``on_open`` is the timeline controller's.
        self.quotes = QuoteJump(self.canvas, self.block)
        self._bottom = float(MARGIN)
        self._width = 0
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
        #: The message found by a search, and its mark; kept across redraws.
        self.mark = FoundMark(self.canvas, palette, fonts)
        # Clicked, the list takes the focus, so that Home and End go through it rather than a field.
        self.canvas.bind("<Button-1>", lambda _e: self.canvas.focus_set(), add="+")
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
        older: int = 0,
        total: int | None = None,
    ) -> None:
        """Replace the list with one page (as the engine returns history: newest first).

        With ``unread_from`` (the first unread message, on this page) the divider goes above
        it saying ``unread_count`` and the view opens there; otherwise at the newest message.
        ``older`` entries of the conversation come before the page, of ``total`` (None: the
        page is all there is, as for the results of a search).
        """
        self.block.replace(newest_first, has_older=has_older, has_newer=has_newer, older=older, total=total)
        self.whole.reset()
        self.empty_text = empty_text
        self.mark.clear()
        at = unread_from if unread_from in self.block.by_id and unread_count > 0 else None
        self._divider = None if at is None else (at, unread_divider_text(unread_count))
        self._open_at_divider = at is not None
        drawn = self.block.drawn
        index = self.message_ids().index(at) if at is not None else len(drawn)
        self.unread_below.reset(
            unread_count if at is not None else 0,
            (d.message.message_id for d in drawn[index:] if not d.message.outgoing),
        )
        self._relayout()  # opens at the divider when there is one (now, or at the first layout)
        if at is None:
            self.canvas.yview_moveto(1.0)

    def moved(self, newest_first: list[MessageView], *, older: int, total: int) -> None:
        """The page the dragged scrollbar points at replaces the drawn ones; the view goes where it points.

        What the person was shown stays: the found message's mark and the unread divider come back
        with their messages, and the jump button keeps its count.
        """
        has_newer = older + len(newest_first) < total
        self.block.replace(newest_first, has_older=older > 0, has_newer=has_newer, older=older, total=total)
        self._relayout()
        self.whole.arrived()

    @property
    def run(self) -> int:
        """Counts the replacements of the drawn block: a page asked for an earlier one is dropped."""
        return self.block.run

    def span(self) -> Span:
        """The drawn entries and those of the conversation before and after them, for the scrollbar."""
        return self.block.span(self._region_height() if self._width else 0.0)

    @property
    def has_newer(self) -> bool:
        """The shown messages end before the newest one (a jump, or memory let go of the newest)."""
        return self.block.has_newer

    def set_held(self, name: str | None) -> None:
        """Texts of mine that are queued are held until the person confirms ``name``'s new key (None: not)."""
        if self.painter.held_for != name:
            self.painter.held_for = name
            self._keep_view(lambda: None)

    def set_name(self, name: str) -> None:
        """The contact's name, as notices say it."""
        if self.painter.name != name:
            self.painter.name = name
            if any(d.message.notice for d in self.block.drawn):
                self._keep_view(lambda: None)

    def reveal(self, message_id: str, span: tuple[int, int] | None) -> None:
        """Scroll to a shown message, mark ``span`` of its text, and outline its bubble for a moment."""
        if message_id not in self.block.by_id:
            return
        self.mark.set(message_id, span)
        if self._width:
            self._show_found()

    def prepend(self, newest_first: list[MessageView], *, has_older: bool) -> None:
        """Older messages arrived for the top of the list; the visible part stays where it is."""
        fresh = self.block.fresh(newest_first)
        self._keep_view(lambda: self.block.prepend(fresh, has_older=has_older))

    def extend(self, newest_first: list[MessageView], *, has_newer: bool) -> None:
        """Newer messages arrived for the bottom of a list that ends before the newest one."""
        fresh = self.block.fresh(newest_first)
        self.unread_below.loaded(d.message.message_id for d in fresh if not d.message.outgoing)
        self._keep_view(lambda: self.block.extend(fresh, has_newer=has_newer))

    def append(self, message: MessageView) -> None:
        """A new message (or notice) at the bottom; while newer pages are not loaded, only counted.

        One of mine written while they are not loaded brings the newest page (where it is), as the
        jump button does: what was just sent is always shown.
        """
        block = self.block
        if message.message_id in block.by_id:
            self.set_status(message.message_id, message.status)
            return
        if block.has_newer and message.outgoing and not message.notice:
            block.arrived(message, drawn=False)
            self.on_jump()
            return
        at_bottom = self.canvas.yview()[1] >= 0.98 or message.outgoing
        if (block.has_newer or not at_bottom) and not message.outgoing and not message.notice:
            self.unread_below.arrived(message.message_id)
        previous = block.drawn[-1].message if block.drawn else None
        drawn = block.arrived(message, drawn=not block.has_newer)
        if drawn is None:
            self._update_jump()
            self.whole.canvas_moved()  # the thumb shrinks: the conversation grew below the view
            return
        if not self._width:
            return  # drawn at the first layout
        if len(block.drawn) == 1:
            self.canvas.delete("empty")
        self._draw(drawn, previous)
        self._update_region()
        if at_bottom:
            self.canvas.yview_moveto(1.0)

    def set_status(self, message_id: str, status: MessageStatus) -> None:
        drawn = self.block.by_id.get(message_id)
        if drawn is None or drawn.message.status == status:
            return
        was_failed = drawn.message.status == MessageStatus.FAILED
        was_held = self.painter.held_for is not None and drawn.message.status == MessageStatus.QUEUED
        drawn.message = MessageView(**{**drawn.message.__dict__, "status": status})
        if was_failed or was_held or status == MessageStatus.FAILED:
            self._schedule_relayout()  # the bubble's size changes with the retry note or the held line
        elif drawn.meta_item:
            self._restamp(drawn)

    def set_attachment(self, message_id: str, attachment: AttachmentView) -> None:
        """A transfer moved on: in the same state only the bar and its line change; a new state redraws."""
        drawn = self.block.by_id.get(message_id)
        if drawn is None or drawn.message.attachment is None:
            return
        before = drawn.message.attachment
        drawn.message = replace(drawn.message, attachment=attachment)
        if before.state == attachment.state and drawn.file is not None and self._width:
            self.painter.files.progress(drawn.file, attachment, outgoing=drawn.message.outgoing)
        else:
            self._keep_view(lambda: None)

    def changed(self, message: MessageView, *, removed: bool = False) -> None:
        """A drawn message changed (a reaction, an edit, deleted for everyone), or went (deleted for us)."""
        drawn = self.block.by_id.get(message.message_id)
        if drawn is None:
            return
        if removed:
            self._keep_view(lambda: self.block.remove(message.message_id))
        else:
            drawn.message = message
            self._keep_view(lambda: None)

    def set_counts(self, message_id: str, status: MessageStatus, delivered: int, read: int) -> None:
        """Our group message's receipts changed: "✓ k/n" follows them (and its details, if open)."""
        drawn = self.block.by_id.get(message_id)
        if drawn is None:
            return
        old = drawn.message
        if (old.status, old.delivered_count, old.read_count) == (status, delivered, read):
            return
        drawn.message = MessageView(
            **{**old.__dict__, "status": status, "delivered_count": delivered, "read_count": read}
        )
        if drawn.expanded:
            self.on_receipts(message_id)
        if drawn.meta_item and not drawn.expanded and old.status != MessageStatus.FAILED:
            self._restamp(drawn)
        else:
            self._schedule_relayout()

    def _restamp(self, drawn: Drawn) -> None:
        """The status line says something new; a line wider than the bubble ("✓ 12/12") redraws it."""
        c, painter, message = self.canvas, self.painter, drawn.message
        c.itemconfigure(drawn.meta_item, text=painter.meta(message), fill=painter.meta_colour(message))
        meta, bubble = c.bbox(drawn.meta_item), c.bbox(drawn.bubble_item)
        if meta and bubble and (meta[0] < bubble[0] or meta[2] > bubble[2]):
            self._schedule_relayout()

    def show_receipts(self, message_id: str, lines: list[str]) -> None:
        """Who got our group message and when, under it while its details are open."""
        self.painter.receipts[message_id] = lines
        drawn = self.block.by_id.get(message_id)
        if drawn is not None and drawn.expanded:
            self._keep_view(lambda: None)

    def set_name_of(self, name_of: Callable[[str], str]) -> None:
        """How a group names its members, for the names above bubbles and the notes."""
        self.painter.name_of = name_of

    def jump_to_bottom(self) -> None:
        """What the jump button does: to the newest message, loading it first if it is not loaded."""
        self._jump()

    def restyle(self, palette: Palette) -> None:
        self.palette = self.painter.palette = self.mark.palette = self.ring.palette = palette
        self.canvas.configure(background=palette.background)
        self.selection.restyle(palette)
        self.links.palette = palette
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
        for drawn in self.block.drawn:
            self._draw(drawn, previous)
            previous = drawn.message
        if not self.block.drawn and self.empty_text:
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
        self._show_found()
        self.painter.files.forget_images({d.message.message_id for d in self.block.drawn})
        self.ring.draw()
        self.selection.draw()
        if self._open_at_divider:
            self._open_at_divider = False
            self.canvas.yview_moveto(max(0.0, self._divider_top - CONTEXT_ABOVE) / self._region_height())

    def _show_found(self) -> None:
        """Mark the found span; the first time after :meth:`reveal`, also scroll to it and flash."""
        found = self.mark.found
        self.mark.draw(self.block.by_id.get(found[0]) if found else None, self._region_height())

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
        anchor = next((d for d in self.block.drawn if d.bottom > top), None)
        anchor_id, offset = (anchor.message.message_id, anchor.top - top) if anchor else (None, 0.0)
        at_bottom = not self.block.has_newer and self.canvas.yview()[1] >= 0.999
        change()
        self._relayout()
        kept = self.block.by_id.get(anchor_id) if anchor_id is not None else None
        if at_bottom and not self.block.has_newer:
            self.canvas.yview_moveto(1.0)
        elif kept is not None:
            self.canvas.yview_moveto(max(0.0, kept.top - offset) / self._region_height())

    def _toggle_details(self, message_id: str) -> None:
        """A click on a message's time: its times in full (when it was sent, and when it arrived)."""
        drawn = self.block.by_id.get(message_id)
        if drawn is not None:
            drawn.expanded = not drawn.expanded
            if drawn.expanded and drawn.message.outgoing and drawn.message.recipients:
                self.on_receipts(message_id)
            self._keep_view(lambda: None)

    def _jump(self) -> None:
        if self.block.has_newer:
            self.on_jump()  # the controller shows the newest page, which opens at the bottom
        else:
            self.canvas.yview_moveto(1.0)

    def _update_jump(self) -> None:
        last = self.canvas.yview()[1]
        at_end = not self.block.has_newer and last >= 0.999
        bottom = self.canvas.canvasy(self.canvas.winfo_height())

        def visible(message_id: str) -> bool:
            drawn = self.block.by_id.get(message_id)
            return drawn is not None and bool(self._width) and drawn.top < bottom

        self.unread_below.seen(visible, at_end=at_end)
        self.jump.update_to(bool(self.block.drawn) and not at_end, self.unread_below.count)

    # ------------------------------------------------------------------ scrolling

    def _resized(self, event: tk.Event) -> None:
        # At the newest message before (a banner above may have made the list shorter): stay there.
        at_bottom = self._at_bottom and not (self.mark.pending or self._open_at_divider)
        if event.width != self._width:
            self._relayout()
        elif self._width:
            self._update_region()  # a shorter list needs a shorter region, or the end hangs in empty space
        if at_bottom:
            self.canvas.yview_moveto(1.0)

    def scroll(self, how: str) -> None:
        """A page "up" or "down", to the "top" (the oldest message, loaded if need be) or the "bottom"."""
        if how in ("up", "down"):
            self.canvas.yview_scroll(-1 if how == "up" else 1, "pages")
        elif how == "top":
            self.whole.go_to(0.0)
        else:
            self.jump_to_bottom()

    def _wheel(self, event: tk.Event) -> None:
        if event.num == 4 or getattr(event, "delta", 0) > 0:
            self.canvas.yview_scroll(-3, "units")
        else:
            self.canvas.yview_scroll(3, "units")

    def _scrolled(self, first: str | float, last: str | float) -> None:
        # Tk passes the fractions as strings; typeshed types them as floats. The thumb is the scrollbar's.
        self.whole.canvas_moved()
        self.on_moved()
        block = self.block
        if not block.drawn or not self._width:
            return
        self._at_bottom = not block.has_newer and float(last) >= 0.999
        height = self._region_height()
        ahead = AHEAD_SCREENS * max(1, self.canvas.winfo_height())
        if block.has_older and not block.asked_older and float(first) * height < ahead:
            block.asked_older = True
            self.on_need_older(block.drawn[0].message.message_id)
        if block.has_newer and not block.asked_newer and (1.0 - float(last)) * height < ahead:
            block.asked_newer = True
            self.on_need_newer(block.drawn[-1].message.message_id)
        self._update_jump()
