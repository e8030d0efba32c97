"""A click on a reply's quote: the message list goes to the message it answers.

The quote (drawn by :mod:`gui.views.action_marks` with its ``QUOTE_TAG``) shows a hand under
the pointer; a click hands the reply to ``on_open``, and the timeline's controller scrolls to
the original, loading its page first when it is not drawn, or says in words that it is gone.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable

from gui.views.action_marks import QUOTE_TAG
from gui.views.loaded_block import LoadedBlock
from net.client.core.events import MessageView


class QuoteJump:
    def __init__(self, canvas: tk.Canvas, block: LoadedBlock) -> None:
        self.canvas, self.block = canvas, block
        #: A quote was clicked: the reply whose quote it is (its ``reply_to`` names the original).
        self.on_open: Callable[[MessageView], None] = lambda _reply: None
        canvas.tag_bind(QUOTE_TAG, "<Button-1>", self._clicked)
        canvas.tag_bind(QUOTE_TAG, "<Enter>", lambda _e: canvas.configure(cursor="hand2"))
        canvas.tag_bind(QUOTE_TAG, "<Leave>", lambda _e: canvas.configure(cursor=""))

    def _clicked(self, _event: tk.Event) -> None:
        for tag in self.canvas.gettags("current"):
            if tag.startswith("quote:"):
                drawn = self.block.by_id.get(tag[len("quote:") :])
                if drawn is not None and drawn.message.reply_to is not None:
                    self.open(drawn.message)
                return

    def open(self, reply: MessageView) -> None:
        self.on_open(reply)
