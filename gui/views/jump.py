"""The jump-to-bottom button over the message list, and the count of unread messages below the view.

The count starts at the conversation's unread count when it opens at its first
unread message; a loaded unread message counts as seen once its top has been
inside the view, and reaching the real bottom (no newer page left to load) sees
them all. Messages that arrive while the person reads further up add to it.
Kept apart from the canvas so that the rule is one small class.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Iterable
from tkinter import ttk

from gui.view_models.timeline_model import jump_label


class UnreadBelow:
    """How many unread messages are below what the person has seen."""

    def __init__(self) -> None:
        self.count = 0
        self._pending: set[str] = set()

    def reset(self, count: int = 0, loaded: Iterable[str] = ()) -> None:
        self.count = max(0, count)
        self._pending = set(loaded) if count else set()

    def loaded(self, message_ids: Iterable[str]) -> None:
        """Unread messages of this run were loaded (a newer page): they count once seen."""
        if self.count:
            self._pending.update(message_ids)

    def arrived(self, message_id: str) -> None:
        """A new message arrived while the view was not at the bottom."""
        self.count += 1
        self._pending.add(message_id)

    def seen(self, visible: Callable[[str], bool], *, at_end: bool) -> None:
        if at_end:
            self.count, self._pending = 0, set()
            return
        shown = {message_id for message_id in self._pending if visible(message_id)}
        self._pending -= shown
        self.count = max(0, self.count - len(shown))


class JumpButton(ttk.Button):
    """A round-cornered button in the lower right corner of ``master``, shown only when asked."""

    def __init__(self, master: tk.Misc, command: Callable[[], None]) -> None:
        # Not in the Tab order: it would sit between the paperclip and the messages with no ring of its
        # own, and End (or Ctrl+End) does what it does from the keyboard.
        super().__init__(
            master, text=jump_label(0), command=command, style="Accent.TButton", width=3, takefocus=0
        )
        self._shown = False

    def update_to(self, shown: bool, unread_below: int) -> None:
        text = jump_label(unread_below)
        if str(self.cget("text")) != text:
            self.configure(text=text, width=max(3, len(text)))  # as wide as its words, no wider
        if shown and not self._shown:
            self.place(relx=1.0, rely=1.0, anchor="se", x=-28, y=-14)
            self.lift()
        elif not shown and self._shown:
            self.place_forget()
        self._shown = shown

    @property
    def shown(self) -> bool:
        return self._shown
