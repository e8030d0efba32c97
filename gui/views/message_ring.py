"""The keyboard's way through the message list: a ring around one message that Up and Down move.

With the keyboard in the message list (a click on it, or Shift+Tab from the
composer past the paperclip), Up and Down put a ring around the previous or next message
(scrolled into view; the notes of the timeline are passed over), so that the keyboard reaches
every message as the mouse does: the Menu key opens the ringed message's menu (reply, react,
copy, edit, delete, details). On a picture, a file or a link the keys also act at once: Enter
does its first action (view the picture, open the file, resume, retry; open the link of a text
with one link), Ctrl+S saves it, Space pauses or resumes a transfer, Delete cancels one, R
retries or downloads. A key whose action the message does not offer now does nothing.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable

from gui.view_models.file_model import FileAction, actions
from gui.views.loaded_block import LoadedBlock
from gui.views.theme import Palette

_RING = "message-ring"


class MessageRing:
    def __init__(self, canvas: tk.Canvas, block: LoadedBlock, palette: Palette) -> None:
        self.canvas, self.block, self.palette = canvas, block, palette
        #: The message the ring is around, or None.
        self.focused: str | None = None
        self.on_action: Callable[[str, FileAction], None] = lambda _id, _action: None
        #: The link addresses drawn in a message's text, and what opens one.
        self.addresses: Callable[[str], list[str]] = lambda _id: []
        self.on_link: Callable[[str], None] = lambda _address: None
        c = canvas
        c.bind("<Up>", lambda _e: self.move(-1))
        c.bind("<Down>", lambda _e: self.move(1))
        for sequence in ("<Alt-Up>", "<Alt-Down>"):  # the window's keys (the next conversation) go on
            c.bind(sequence, lambda _e: None)
        for sequence in ("<Return>", "<KP_Enter>"):
            c.bind(sequence, lambda _e: self._first())
        c.bind("<Control-s>", lambda _e: self._act(FileAction.SAVE))
        c.bind("<space>", lambda _e: self._pause_or_resume())
        c.bind("<Delete>", lambda _e: self._act(FileAction.CANCEL))
        for sequence in ("<r>", "<R>"):
            c.bind(sequence, lambda _e: self._retry())
        c.bind("<FocusOut>", lambda _e: self.canvas.delete(_RING), add="+")
        c.bind("<FocusIn>", lambda _e: self.draw(), add="+")

    def _stops(self) -> list[str]:
        """The messages the ring stops at: every message drawn as a bubble (not the timeline's notes)."""
        return [d.message.message_id for d in self.block.drawn if d.bubble_item and not d.message.notice]

    def move(self, step: int) -> str:
        """The ring to the previous (-1) or next (1) message; from none, the newest (or oldest)."""
        ids = self._stops()
        if ids:
            if self.focused in ids:
                index = max(0, min(len(ids) - 1, ids.index(self.focused) + step))
            else:
                index = len(ids) - 1 if step < 0 else 0
            self.focused = ids[index]
            self.draw(reveal=True)
        return "break"

    def draw(self, *, reveal: bool = False) -> None:
        """The ring around the focused message's bubble (after each layout, and while focused only)."""
        c = self.canvas
        c.delete(_RING)
        drawn = self.block.by_id.get(self.focused) if self.focused else None
        if drawn is None or not drawn.bubble_item or c.focus_get() is not c:
            return
        x0, y0, x1, y1 = c.bbox(drawn.bubble_item)
        c.create_rectangle(
            x0 - 3, y0 - 3, x1 + 3, y1 + 3, outline=self.palette.accent, width=2, tags=(_RING,)
        )
        if reveal:
            top, height = c.canvasy(0), c.winfo_height()
            region = float(c.cget("scrollregion").split()[3] or 1)
            if y0 < top or y1 > top + height:
                c.yview_moveto(max(0.0, (y0 - 20) / region))

    def offered(self) -> tuple[FileAction, ...]:
        drawn = self.block.by_id.get(self.focused) if self.focused else None
        if drawn is None or drawn.message.attachment is None:
            return ()
        return actions(drawn.message.attachment, outgoing=drawn.message.outgoing)

    def _act(self, action: FileAction) -> str:
        if self.focused is not None and action in self.offered():
            self.on_action(self.focused, action)
        return "break"

    def _first(self) -> str:
        offered = self.offered()
        if offered:
            return self._act(offered[0])
        addresses = self.addresses(self.focused) if self.focused in self.block.by_id else []
        if len(addresses) == 1:  # with more than one, which to open is the mouse's to say
            self.on_link(addresses[0])
        return "break"

    def _pause_or_resume(self) -> str:
        offered = self.offered()
        return self._act(FileAction.PAUSE if FileAction.PAUSE in offered else FileAction.RESUME)

    def _retry(self) -> str:
        return self._act(FileAction.DOWNLOAD if FileAction.DOWNLOAD in self.offered() else FileAction.RETRY)
