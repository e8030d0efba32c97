"""The message list read back as the person sees it: the words, times and ticks drawn, what is in view,
and a message copied to the clipboard as it was written.

For the presence rules (what was on screen while the window had the focus) and
for tests that check what a person would see; kept beside
:class:`~gui.views.bubbles.MessageList`, which it is mixed into, so that the list
itself keeps to loading and drawing.
"""

from __future__ import annotations

import tkinter as tk

from gui.views.found_mark import FoundMark
from gui.views.loaded_block import LoadedBlock
from gui.views.text_selection import TextSelection
from net.client.core.events import AttachmentView, MessageStatus, MessageView


class ShownMessages:
    canvas: tk.Canvas
    block: LoadedBlock
    selection: TextSelection
    mark: FoundMark

    def found(self) -> tuple[str, str] | None:
        """The revealed message and the part of its text that is marked, as the person sees it."""
        return self.mark.text()

    @property
    def flashing(self) -> str | None:
        """The message whose bubble is outlined just now."""
        return self.mark.flashing

    def divider_text(self) -> str | None:
        """The unread divider's words if it is drawn, else None."""
        items = self.canvas.find_withtag("divider-text")
        return str(self.canvas.itemcget(items[0], "text")) if items else None

    def divider_in_view(self) -> bool:
        """The unread divider is inside the visible part of the list."""
        box = self.canvas.bbox("divider")
        if not box:
            return False
        top = self.canvas.canvasy(0)
        return top <= box[1] < top + self.canvas.winfo_height()

    def status_of(self, message_id: str) -> MessageStatus | None:
        drawn = self.block.by_id.get(message_id)
        return drawn.message.status if drawn else None

    def meta_text(self, message_id: str) -> str:
        """The time and ticks drawn under a message, as the person sees them."""
        drawn = self.block.by_id.get(message_id)
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
        for drawn in self.block.drawn:
            box = c.bbox(drawn.bubble_item) if drawn.bubble_item else None
            if box and box[3] > top and box[1] < bottom:
                seen.add(drawn.message.message_id)
        return seen

    def drawn_text(self, message_id: str) -> str:
        """A message's text as the canvas draws it (reordered where it reads right to left)."""
        drawn = self.block.by_id.get(message_id)
        if drawn is None or not drawn.text_item:
            return ""
        return str(self.canvas.itemcget(drawn.text_item, "text"))

    def attachment(self, message_id: str) -> AttachmentView | None:
        """A drawn message's picture or file as it stands now (its last progress included)."""
        drawn = self.block.by_id.get(message_id)
        return drawn.message.attachment if drawn is not None else None

    def message_ids(self) -> list[str]:
        return self.block.ids()

    def shown(self) -> list[MessageView]:
        """The messages in the list, oldest first, with their current status."""
        return [d.message for d in self.block.drawn]

    def copy(self, message_id: str) -> None:
        """Put a message's text on the clipboard (the menu's Copy text): the part selected in it, if
        any, else all of it, in the order it was written; "Copied" shows for a moment."""
        self.selection.copy(message_id)

    def selected_text(self) -> str:
        """What Ctrl+C would copy now: the stored characters behind the selection ("" with none)."""
        return self.selection.text()
