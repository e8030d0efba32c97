"""The open conversation's timeline: which page it opens at, and the pages loaded as it scrolls.

A conversation with unread messages opens at the first of them (the engine's
``first_unread``), with :data:`CONTEXT` messages above for context and a page
after it, the unread divider drawn above it; one with none opens at its newest
page; one opened from a search result opens around that message, and a click on a reply's quote goes
to the original the same way (:meth:`TimelineController.show_original`). Scrolling
loads :data:`PAGE` messages at a time, older ones (``history(before=)``) and,
when the page ends before the newest message, newer ones (``newer(after=)``);
the jump button (and End, Ctrl+End, and a message I write there) loads the
newest page when it is not loaded, and leaves the found message. Every page
that replaces the list comes with its place in the whole conversation
(``timeline_place``), which the scrollbar stands for; a thumb dragged far from
the drawn messages loads the page at the place it points to (``history_at``).
A page asked for a block of the list that has since been replaced (another
jump, the newest page) is dropped: :attr:`MessageList.run` tells them apart.

The controller talks only to the :class:`Host` (the worker) and the views; what
it knows of the conversation (its name, its unread count, whether its key
changed) comes from the :class:`ChatModel` it shares with the chat controller.
"""

from __future__ import annotations

from collections.abc import Callable

from gui.controllers.host import Host
from gui.engine import Engine
from gui.view_models.chat_model import ChatModel
from gui.views.main_view import MainView
from gui.worker import Command
from net.client.core import events as ev

#: Messages per page loaded while scrolling (and newer than the first unread one when opening there).
PAGE = 100
#: Neighbours loaded on each side of a message opened from the search results.
AROUND = 25
#: Above the original of a clicked quote, loaded with those around it; and when it is not here any more.
ORIGINAL_NOTE = "Showing the message this answers and those around it"
ORIGINAL_GONE = "The message this answers is not here any more: it was deleted or it disappeared."
#: Messages shown above the first unread one, so the person sees what it answers.
CONTEXT = 10


class TimelineController:
    def __init__(self, host: Host, view: MainView, model: ChatModel) -> None:
        self.host, self.view, self.model = host, view, model
        messages = view.conversation.messages
        messages.on_need_older = self.load_older
        messages.on_need_newer = self.load_newer
        messages.on_jump = self.load_newest
        messages.on_need_at = self.load_at
        messages.quotes.on_open = self.show_original

    def open(self, contact: str, at: ev.SearchResultView | None = None) -> None:
        """Load the conversation's first page: around ``at``, at the first unread, or the newest."""
        messages = self.view.conversation.messages
        messages.set_name(self.model.name(contact))
        self.held_changed()
        messages.show([], has_older=False)
        conversation = self.model.conversations.get(contact)
        unread = conversation.unread if conversation is not None else 0
        if at is not None:
            self._load_around(at)
        elif unread:
            self._load_unread(contact, unread)
        else:
            self.load_newest()

    def held_changed(self) -> None:
        """The open contact's key was changed or accepted: held texts show their mark, or not."""
        contact = self.model.open_contact
        held = contact is not None and contact in self.model.key_changed
        self.view.conversation.messages.set_held(self.model.name(contact) if held and contact else None)

    def load_newest(self) -> None:
        contact = self.model.open_contact
        if contact is None:
            return

        def call(engine: Engine) -> tuple[list[ev.MessageView], ev.TimelinePlace]:
            page = engine.history(contact, limit=PAGE)
            return page, engine.timeline_place(contact, page[-1].message_id if page else None)

        def shown(result: tuple[list[ev.MessageView], ev.TimelinePlace]) -> None:
            page, place = result
            if self.model.open_contact != contact:
                return
            empty = f"No messages with {self.model.name(contact)} yet. Say hello!"
            self.view.conversation.messages.show(
                page, has_older=place.older > 0, empty_text=empty, older=place.older, total=place.total
            )
            self.view.conversation.hide_found_note()  # the found message is left behind

        self.host.do(Command("history", call, shown))

    def _load_unread(self, contact: str, unread: int) -> None:
        def call(engine: Engine) -> tuple[ev.MessageView | None, list[ev.MessageView], ev.TimelinePlace]:
            first = engine.first_unread(contact)
            if first is None:
                page = engine.history(contact, limit=PAGE)
            else:
                page = engine.around(contact, first.message_id, before=CONTEXT, after=PAGE)
            return first, page, engine.timeline_place(contact, page[-1].message_id if page else None)

        def shown(result: tuple[ev.MessageView | None, list[ev.MessageView], ev.TimelinePlace]) -> None:
            first, page, place = result
            if self.model.open_contact != contact:
                return
            messages, older, total = self.view.conversation.messages, place.older, place.total
            messages.show(
                page,
                has_older=older > 0,
                has_newer=older + len(page) < total,
                unread_from=first.message_id if first is not None else None,
                unread_count=unread,
                older=older,
                total=total,
            )

        self.host.do(Command("unread", call, shown))

    def _load_around(self, result: ev.SearchResultView) -> None:
        span = result.ranges[0] if result.ranges else None
        note = "Showing the message you found and those around it"
        self._show_around(result.contact, result.message.message_id, span, note)

    def show_original(self, reply: ev.MessageView) -> None:
        """A reply's quote was clicked: to the message it answers, its page loaded if it is not drawn."""
        contact, original = self.model.open_contact, reply.reply_to
        if contact is None or original is None:
            return
        messages, message_id = self.view.conversation.messages, original.message_id
        if message_id in messages.block.by_id:
            messages.reveal(message_id, None)
            return

        def gone(code: str, words: str) -> None:
            if code == "unknown_message":  # deleted for me, or it disappeared: not here any more
                self.view.show_notice(ORIGINAL_GONE)
            else:
                self.host.report(code, words)

        self._show_around(contact, message_id, None, ORIGINAL_NOTE, gone)

    def _show_around(
        self,
        contact: str,
        message_id: str,
        span: tuple[int, int] | None,
        note: str,
        failed: Callable[[str, str], None] | None = None,
    ) -> None:
        """The page around a message (a search hit, a reply's original), revealed; ``note`` says why
        newer messages are not drawn below it."""

        def call(engine: Engine) -> tuple[list[ev.MessageView], ev.TimelinePlace]:
            page = engine.around(contact, message_id, before=AROUND, after=AROUND)
            return page, engine.timeline_place(contact, page[-1].message_id)

        def shown(loaded: tuple[list[ev.MessageView], ev.TimelinePlace]) -> None:
            page, place = loaded
            if self.model.open_contact != contact:
                return
            messages, older, total = self.view.conversation.messages, place.older, place.total
            has_newer = older + len(page) < total
            messages.show(page, has_older=older > 0, has_newer=has_newer, older=older, total=total)
            messages.reveal(message_id, span)
            if messages.has_newer:
                self.view.conversation.show_found_note(note)

        self.host.do(Command("around", call, shown, failed=failed))

    def load_older(self, oldest_id: str) -> None:
        contact, run = self.model.open_contact, self.view.conversation.messages.run
        if contact is None:
            return

        def shown(page: list[ev.MessageView]) -> None:
            if self._still(contact, run):
                self.view.conversation.messages.prepend(page, has_older=len(page) >= PAGE)

        self.host.do(
            Command("older", lambda engine: engine.history(contact, before=oldest_id, limit=PAGE), shown)
        )

    def load_newer(self, newest_id: str) -> None:
        contact, run = self.model.open_contact, self.view.conversation.messages.run
        if contact is None:
            return

        def shown(page: list[ev.MessageView]) -> None:
            if self._still(contact, run):
                self.view.conversation.messages.extend(page, has_newer=len(page) >= PAGE)

        self.host.do(
            Command("newer", lambda engine: engine.newer(contact, after=newest_id, limit=PAGE), shown)
        )

    def load_at(self, offset: int) -> None:
        """The scrollbar was dragged to the place ``offset`` entries after the oldest: its page."""
        contact, run = self.model.open_contact, self.view.conversation.messages.run
        if contact is None:
            return

        def call(engine: Engine) -> tuple[list[ev.MessageView], ev.TimelinePlace]:
            # Nothing there (messages gone since the count): the newest page rather than an empty list.
            page = engine.history_at(contact, offset, limit=PAGE) or engine.history(contact, limit=PAGE)
            return page, engine.timeline_place(contact, page[-1].message_id if page else None)

        def shown(result: tuple[list[ev.MessageView], ev.TimelinePlace]) -> None:
            page, place = result
            if self._still(contact, run):
                self.view.conversation.messages.moved(page, older=place.older, total=place.total)

        self.host.do(Command("at", call, shown))

    def _still(self, contact: str, run: int) -> bool:
        """The list still shows the block a page was asked for (not another conversation or jump)."""
        return self.model.open_contact == contact and self.view.conversation.messages.run == run
