"""The window's keyboard shortcuts: one table of keys, and what each does on the screen shown.

Most shortcuts work in the main window only (elsewhere the key does what the
focused widget makes of it); zoom works on every screen, the welcome card's too.
A handled key returns ``"break"`` so that no widget binding runs after it.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable

from gui.controllers.chat import ChatController
from gui.controllers.host import Host
from gui.controllers.search import SearchController
from gui.views.main_view import MainView


class Shortcuts:
    """Binds the window's keys on ``root``; the actions are the controllers' and the app's."""

    def __init__(
        self,
        host: Host,
        root: tk.Tk,
        main: MainView,
        chat: ChatController,
        search: SearchController,
        *,
        new_group: Callable[[], None],
        open_settings: Callable[[], None],
        zoom: Callable[[int], None],
    ) -> None:
        self._host, self._root, self._main = host, root, main
        self._chat, self._search = chat, search
        self._new_group, self._open_settings, self._zoom = new_group, open_settings, zoom

    def install(self) -> None:
        root = self._root
        root.bind("<Control-n>", lambda _e: self._shortcut(self._main.open_new_form))
        for sequence in ("<Control-Shift-N>", "<Control-Shift-n>"):
            root.bind(sequence, lambda _e: self._shortcut(self._new_group))
        root.bind("<Control-f>", lambda _e: self._shortcut(self._focus_search))
        for sequence in ("<Control-Shift-F>", "<Control-Shift-f>"):  # Shift+f is "F", or "f" with Caps Lock
            root.bind(sequence, lambda _e: self._shortcut(self._search.focus))
        root.bind("<Control-comma>", lambda _e: self._shortcut(self._open_settings))
        for sequence in ("<Control-u>", "<Control-U>"):  # attach files, as in Signal Desktop
            root.bind(sequence, lambda _e: self._shortcut(self._attach))
        for sequence in ("<Control-Shift-J>", "<Control-Shift-j>"):  # the emoji picker, as in Signal Desktop
            root.bind(sequence, lambda _e: self._shortcut(self._pick_emoji))
        # The previous or next conversation from anywhere in the main window, with Telegram's keys
        # (Ctrl+Tab is not one of them here: in the composer it types a tab).
        steps = {"<Alt-Up>": -1, "<Alt-Down>": 1, "<Control-Prior>": -1, "<Control-Next>": 1}
        for sequence, step in steps.items():
            root.bind(sequence, self._step_key(step))
        root.bind("<Escape>", lambda _e: self._shortcut(self._escape))
        scrolls = {"<Prior>": "up", "<Next>": "down", "<Control-Home>": "top", "<Control-End>": "bottom"}
        for sequence, how in scrolls.items():
            root.bind(sequence, self._scroll_key(how))
        for sequence, how in {"<Home>": "top", "<End>": "bottom"}.items():  # in a field they move the cursor
            root.bind(sequence, self._scroll_key(how, outside_fields=True))
        # Zoom works on every screen, the welcome card's too.
        zooms = {"plus": 1, "equal": 1, "KP_Add": 1, "minus": -1, "KP_Subtract": -1, "0": 0, "KP_0": 0}
        for key, step in zooms.items():
            root.bind(f"<Control-{key}>", self._zoom_key(step))

    def leave_search(self) -> None:
        """The search field was left with Escape: the focus goes to the open conversation's composer."""
        if self._main.pane is self._main.conversation:
            self._main.conversation.text.focus_set()
        else:
            self._main.new_button.focus_set()

    def _scroll_key(self, how: str, *, outside_fields: bool = False) -> Callable[[tk.Event], str | None]:
        def pressed(event: tk.Event) -> str | None:
            if outside_fields and isinstance(event.widget, tk.Entry | tk.Text):
                return None
            return self._shortcut(lambda: self._scroll(how))

        return pressed

    def _step_key(self, step: int) -> Callable[[tk.Event], str | None]:
        def pressed(_event: tk.Event) -> str | None:
            contact = self._main.conversations.neighbour(step)
            return self._shortcut(lambda: self._chat.open(contact)) if contact else None

        return pressed

    def _zoom_key(self, step: int) -> Callable[[tk.Event], str]:
        def pressed(_event: tk.Event) -> str:
            self._zoom(step)
            return "break"

        return pressed

    def _shortcut(self, action: Callable[[], None]) -> str | None:
        if self._host.screen is not self._main:
            return None
        action()
        return "break"

    def _escape(self) -> None:
        """Escape steps back one level: the new-conversation form, a search, the details or settings.

        With results of a search across conversations in the sidebar, Escape in the
        conversation opened from them goes back to the results (the query kept);
        Escape in the search field clears it (the field handles that key itself).
        """
        main = self._main
        if main.new_form.winfo_manager():
            main.close_new_form()
        elif main.pane in (main.details, main.settings, main.members, main.new_group):
            self._chat.back()
        elif main.search_shown and self._root.focus_get() is not main.conversation.search:
            self._search.focus()
        elif main.pane is main.conversation:
            main.conversation.clear_search()

    def _attach(self) -> None:
        """Ctrl+U: the file dialog for the open conversation (nothing elsewhere)."""
        if self._main.pane is self._main.conversation:
            self._chat.files.attach()

    def _pick_emoji(self) -> None:
        """Ctrl+Shift+J: the emoji picker for the open conversation's composer (nothing elsewhere)."""
        if self._main.pane is self._main.conversation:
            self._chat.emoji.for_composer()

    def _focus_search(self) -> None:
        """Ctrl+F: the open conversation's search (shown first in a folded header), else the sidebar's."""
        if self._main.pane is self._main.conversation:
            self._main.conversation.focus_search()
        else:
            self._search.focus()

    def _scroll(self, how: str) -> None:
        if self._main.pane is self._main.conversation:
            self._main.conversation.scroll(how)
