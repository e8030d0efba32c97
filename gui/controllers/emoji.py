"""The emoji picker's two uses: an emoji typed into the composer, and any emoji as a reaction.

The composer's emoji button and Ctrl+Shift+J (:mod:`gui.shortcuts`) open it for the composer;
its choice is typed at the cursor. A message menu's "More…" opens it through the actions'
controller, whose ``on_pick`` is :meth:`EmojiController.for_reaction`; its choice is the reaction.
One picker serves both, so the recently used emoji are the same in both. They are kept while the
profile is open, in memory only: the app's preferences file holds nothing personal, and the next
profile opened in the window starts with none.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable

from gui.controllers.host import Host
from gui.views.emoji_picker import EmojiPicker
from gui.views.main_view import MainView


class EmojiController:
    def __init__(self, host: Host, root: tk.Misc, view: MainView) -> None:
        self.host, self.view = host, view
        self.picker = EmojiPicker(root, host.palette, view.conversation.messages.fonts)
        view.conversation.composer.on_emoji = self.for_composer

    def for_composer(self) -> None:
        """The picker by the composer's emoji button; the emoji chosen is typed at the cursor."""
        composer = self.view.conversation.composer
        self._open(composer.insert, composer.emoji_button, "Emoji")

    def for_reaction(self, chosen: Callable[[str], None]) -> None:
        """The picker over the messages; the emoji chosen goes to ``chosen`` (the reaction)."""
        self._open(chosen, self.view.conversation.messages, "React with")

    def _open(self, chosen: Callable[[str], None], near: tk.Misc, title: str) -> None:
        self.picker.palette = self.host.palette  # the theme may have changed since the last time
        self.picker.open(chosen, near, title)

    def reset(self) -> None:
        """A profile closed: the picker goes, and so does what it chose lately (the next profile's own)."""
        self.picker.close()
        self.picker.recent = []

    def close(self) -> None:
        self.picker.close()
