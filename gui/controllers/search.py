"""Search across all conversations from the field above the conversation list.

Typing waits :data:`~gui.view_models.search_model.DEBOUNCE_MS` after the last
key, then sends one ``search_all`` command to the worker; a result that comes
back for a query that is no longer in the field is dropped, so a slow search
never overwrites a newer one. While the field has text the results replace the
conversation list. Opening a hit goes out through :attr:`SearchController.on_open`
(the app hands it to the conversations' controller); leaving the field goes out
through :attr:`SearchController.on_leave`, so the app decides where focus goes.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable

from gui.controllers.host import Host
from gui.view_models import search_model
from gui.view_models.search_model import Hit, Row
from gui.views.main_view import MainView
from gui.worker import Command
from net.client.core.events import SearchResultView


class SearchController:
    def __init__(self, host: Host, root: tk.Misc, view: MainView) -> None:
        self.host, self.root, self.view = host, root, view
        self.on_open: Callable[[SearchResultView], None] = lambda _result: None
        self.on_leave: Callable[[], None] = lambda: None
        self._after: str | None = None
        self._shown: list[Row] = []
        self._selected: int | None = None
        field = view.search_field
        field.on_change, field.on_move, field.on_enter, field.on_escape = (
            self.changed,
            self.move,
            self.enter,
            self.escape,
        )
        view.search_results.on_open = self.open_row

    @property
    def searching(self) -> bool:
        return bool(self.view.search_field.value)

    def focus(self) -> None:
        self.view.search_field.focus()

    def reset(self) -> None:
        """A profile closed: forget the query and its results."""
        self._cancel()
        self.view.search_field.clear()

    def close(self) -> None:
        self._cancel()

    # ------------------------------------------------------------------ the field

    def changed(self, text: str) -> None:
        self._cancel()
        if not text.strip():
            self._shown, self._selected = [], None
            self.view.search_results.show([], "")
            self.view.show_search(bool(text))
            return
        self.view.show_search(True)
        self._after = self.root.after(search_model.DEBOUNCE_MS, lambda: self._search(text))

    def move(self, by: int) -> None:
        self._selected = search_model.step(self._shown, self._selected, by)
        self.view.search_results.select(self._selected)

    def enter(self) -> None:
        if self._selected is None:
            self._selected = search_model.step(self._shown, None, 1)
        if self._selected is not None:
            self.open_row(self._selected)

    def escape(self) -> None:
        """Escape in the field clears it (the list comes back) and gives the focus back."""
        self.view.search_field.clear()
        self.on_leave()

    def open_row(self, index: int) -> None:
        row = self._shown[index] if 0 <= index < len(self._shown) else None
        if isinstance(row, Hit):
            self._selected = index
            self.view.search_results.select(index)
            self.on_open(row.result)

    # ------------------------------------------------------------------ the worker

    def _search(self, text: str) -> None:
        self._after = None

        def found(results: list[SearchResultView]) -> None:
            if self.view.search_field.value != text:
                return  # the person typed on meanwhile; the newer search answers for itself
            self._shown, self._selected = search_model.rows(results, time.time()), None
            conversations = len({r.contact for r in results})
            self.view.search_results.show(self._shown, search_model.count_text(len(results), conversations))

        def refused(_code: str, words: str) -> None:
            if self.view.search_field.value == text:
                self._shown, self._selected = [], None
                self.view.search_results.show([], words)

        limit = search_model.RESULT_LIMIT
        self.host.do(
            Command("search_all", lambda engine: engine.search_all(text, limit=limit), found, failed=refused)
        )

    def _cancel(self) -> None:
        if self._after is not None:
            self.root.after_cancel(self._after)
            self._after = None
