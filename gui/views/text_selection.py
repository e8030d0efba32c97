"""Selecting part of a bubble's text with the mouse, and copying it (Ctrl+C, or the menu's Copy).

A drag over a bubble's text selects from where it started to where the pointer is, drawn in
the theme's selection colours by the canvas itself; Shift+click extends it; a double-click
selects a word, as text widgets do; a click elsewhere clears it. The selection is made on the
drawn text (right-to-left lines reordered, emoji perhaps spelt out); what is copied is the
stored text behind the selected characters, in its stored order
(:func:`gui.view_models.shown_text.shown_map`). A copy says so in words: "Copied" shows for a
moment at the bottom of the list. Another program that pastes the selection (X's PRIMARY) gets
the stored text too, not the drawn order.
"""

from __future__ import annotations

import tkinter as tk

from gui.view_models.shown_text import copied, shown_map, word_at
from gui.views.bubble_items import Drawn, python_index, tk_index
from gui.views.link_marks import PATCH_TAG
from gui.views.loaded_block import LoadedBlock
from gui.views.theme import Fonts, Palette

#: What a copy says, and for how long (milliseconds).
COPIED = "Copied"
NOTE_MS = 1500
#: A press moves this far (pixels) before it is a drag rather than a click.
_DRAG = 3
_NOTE = "copied-note"


class TextSelection:
    def __init__(self, canvas: tk.Canvas, block: LoadedBlock, palette: Palette, fonts: Fonts) -> None:
        self.canvas, self.block, self.fonts = canvas, block, fonts
        #: The message whose text is selected (or where a press started), and the drawn text then.
        self.message_id: str | None = None
        self._shown = ""
        self._anchor = 0
        #: The selected drawn characters, first and last (inclusive), or None.
        self.span: tuple[int, int] | None = None
        self._pressed_at = (0, 0)
        self._dragging = False
        self._note_job: str | None = None
        self.restyle(palette)
        canvas.bind("<Button-1>", self._pressed, add="+")
        canvas.bind("<B1-Motion>", self._dragged, add="+")
        canvas.bind("<Shift-Button-1>", self._extended)
        canvas.bind("<Double-Button-1>", self._word, add="+")
        for sequence in ("<Control-c>", "<Control-C>"):
            canvas.bind(sequence, lambda _e: self._copy_key())
        # What another program pastes from the selection (X's PRIMARY) is the stored text as well.
        for kind in ("STRING", "UTF8_STRING"):  # Tk asks for UTF8_STRING first; the canvas answers both
            canvas.selection_handle(self._primary, type=kind)

    def restyle(self, palette: Palette) -> None:
        self.palette = palette
        self.canvas.configure(selectbackground=palette.selection, selectforeground=palette.text)

    # ------------------------------------------------------------------ reading it

    def text(self) -> str:
        """The stored characters behind the selection, in their stored order ("" with none)."""
        drawn = self._drawn()
        if drawn is None or self.span is None:
            return ""
        body = drawn.message.text
        mapped = shown_map(body, self.fonts.text, self.fonts.body.measure, drawn.wrap)
        if mapped is None or mapped[0] != self._shown:
            return body  # the drawing cannot be followed back: the whole text rather than a wrong part
        first, last = self.span
        return copied(body, mapped[1], range(first, last + 1))

    def _primary(self, offset: str, length: str) -> str:
        """A part of the selection, for another program that asked for it."""
        start = int(offset)
        return self.text()[start : start + int(length)]

    def selected_in(self, message_id: str) -> bool:
        return self.span is not None and self.message_id == message_id and self._drawn() is not None

    def copy(self, message_id: str) -> None:
        """Copy the selection if it is in that message, else the message's whole text; say so."""
        drawn = self.block.by_id.get(message_id)
        if drawn is None:
            return
        words = self.text() if self.selected_in(message_id) else drawn.message.text
        self.canvas.clipboard_clear()
        self.canvas.clipboard_append(words)
        self._say(COPIED)

    def note(self) -> str:
        """The words shown after a copy, while they show ("" else)."""
        items = self.canvas.find_withtag(f"{_NOTE}-text")
        return str(self.canvas.itemcget(items[0], "text")) if items else ""

    # ------------------------------------------------------------------ choosing it

    def select(self, message_id: str, first: int, last: int) -> None:
        """Select drawn characters ``first`` to ``last`` (inclusive) of a drawn message's text."""
        drawn = self.block.by_id.get(message_id)
        if drawn is None or not drawn.text_item or drawn.message.deleted or drawn.message.notice:
            self.clear()
            return
        self.message_id, self._shown = message_id, self._drawn_text(drawn)
        first, last = sorted((max(0, first), max(0, last)))
        last = min(last, len(self._shown) - 1)
        self.span = (first, last) if first <= last else None
        self.draw()

    def clear(self) -> None:
        self.span = None
        self.canvas.select_clear()
        self.canvas.itemconfigure(PATCH_TAG, state="normal")

    def draw(self) -> None:
        """The selection drawn again (after each layout); gone if the text it was in changed."""
        drawn = self._drawn()
        if self.span is None:
            return
        if drawn is None or self._drawn_text(drawn) != self._shown:
            self.clear()
            return
        first, last = self.span
        c = self.canvas
        c.select_from(drawn.text_item, tk_index(self._shown, first))
        c.select_to(drawn.text_item, tk_index(self._shown, last))
        c.itemconfigure(f"{PATCH_TAG}:{drawn.message.message_id}", state="hidden")  # the colours show

    def _drawn(self) -> Drawn | None:
        drawn = self.block.by_id.get(self.message_id) if self.message_id else None
        return drawn if drawn is not None and drawn.text_item else None

    def _drawn_text(self, drawn: Drawn) -> str:
        return str(self.canvas.itemcget(drawn.text_item, "text"))

    def _text_under(self, event: tk.Event) -> tuple[Drawn, int] | None:
        """The message whose text is under the pointer, and the drawn character there."""
        c = self.canvas
        x, y = c.canvasx(event.x), c.canvasy(event.y)
        under = set(c.find_overlapping(x, y, x, y))
        for drawn in self.block.drawn:
            if drawn.text_item in under and not drawn.message.notice and not drawn.message.deleted:
                return drawn, self._index_at(drawn, x, y)
        return None

    def _index_at(self, drawn: Drawn, x: float, y: float) -> int:
        shown = self._drawn_text(drawn)
        return python_index(shown, int(self.canvas.index(drawn.text_item, f"@{int(x)},{int(y)}")))

    def _pressed(self, event: tk.Event) -> None:
        self.clear()
        self._dragging = False
        self._pressed_at = (event.x, event.y)
        under = self._text_under(event)
        if under is None:
            self.message_id = None
            return
        drawn, index = under
        self.message_id, self._shown, self._anchor = drawn.message.message_id, self._drawn_text(drawn), index

    def _dragged(self, event: tk.Event) -> None:
        drawn = self._drawn()
        if drawn is None:
            return
        x0, y0 = self._pressed_at
        if not self._dragging and abs(event.x - x0) + abs(event.y - y0) < _DRAG:
            return
        self._dragging = True
        c = self.canvas
        index = self._index_at(drawn, c.canvasx(event.x), c.canvasy(event.y))
        self.select(drawn.message.message_id, self._anchor, index)

    def _extended(self, event: tk.Event) -> str:
        self.canvas.focus_set()
        under = self._text_under(event)
        if under is None or under[0].message.message_id != self.message_id:
            self._pressed(event)  # not in the selected bubble: a click there
            return "break"
        self.select(under[0].message.message_id, self._anchor, under[1])
        return "break"

    def _word(self, event: tk.Event) -> None:
        under = self._text_under(event)
        if under is None:
            return
        drawn, index = under
        first, last = word_at(self._drawn_text(drawn), index)
        self._anchor = first
        self.select(drawn.message.message_id, first, last)

    def _copy_key(self) -> str:
        if self.message_id is not None and self.span is not None:
            self.copy(self.message_id)
        return "break"

    # ------------------------------------------------------------------ saying it

    def _say(self, words: str) -> None:
        """Words at the bottom of the visible list for a moment."""
        c = self.canvas
        c.delete(_NOTE)
        if self._note_job is not None:
            c.after_cancel(self._note_job)
        x, y = c.canvasx(c.winfo_width() / 2), c.canvasy(c.winfo_height() - 24)
        fill, font = self.palette.on_accent, self.fonts.small
        text = c.create_text(x, y, text=words, fill=fill, font=font, tags=(_NOTE, f"{_NOTE}-text"))
        x0, y0, x1, y1 = c.bbox(text)
        box = c.create_rectangle(
            x0 - 10, y0 - 4, x1 + 10, y1 + 4, fill=self.palette.accent, outline="", tags=(_NOTE,)
        )
        c.tag_lower(box, text)
        self._note_job = c.after(NOTE_MS, self._unsay)

    def _unsay(self) -> None:
        self._note_job = None
        self.canvas.delete(_NOTE)
