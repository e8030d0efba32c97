"""The Messenger's reads of the conversations: thin delegations to :mod:`net.client.messaging`.

A mixin, so that :mod:`net.client.messenger` stays small. Each read runs inside
:meth:`Context.storing` for the history and takes a contact's phone or a group's
id; sending, retrying, read receipts and typing stay in the Messenger.
"""

from __future__ import annotations

from net.client import messaging
from net.client.api_base import ApiBase, storing
from net.client.core.events import ConversationView, MessageView, SearchResultView, TimelinePlace


class HistoryApi(ApiBase):
    """The conversation reads of :class:`net.client.messenger.Messenger`."""

    @storing("history")
    def conversations(self) -> list[ConversationView]:
        return messaging.conversations(self._require())

    @storing("history")
    def history(self, contact: str, *, before: str | None = None, limit: int = 50) -> list[MessageView]:
        return messaging.history(self._require(), contact, before, limit)

    @storing("history")
    def search(self, contact: str, text: str, *, limit: int = 50) -> list[MessageView]:
        return messaging.search(self._require(), contact, text, limit)

    @storing("history")
    def search_all(
        self, text: str, *, limit: int = 50, before: SearchResultView | None = None
    ) -> list[SearchResultView]:
        return messaging.search_all(self._require(), text, limit, before)

    @storing("history")
    def around(
        self, contact: str, message_id: str, *, before: int = 25, after: int = 25
    ) -> list[MessageView]:
        return messaging.around(self._require(), contact, message_id, before, after)

    @storing("history")
    def newer(self, contact: str, *, after: str, limit: int = 50) -> list[MessageView]:
        return messaging.newer(self._require(), contact, after, limit)

    @storing("history")
    def first_unread(self, contact: str) -> MessageView | None:
        return messaging.first_unread(self._require(), contact)

    @storing("history")
    def timeline_place(self, contact: str, message_id: str | None = None) -> TimelinePlace:
        return messaging.timeline_place(self._require(), contact, message_id)

    @storing("history")
    def history_at(self, contact: str, offset: int, *, limit: int = 50) -> list[MessageView]:
        return messaging.history_at(self._require(), contact, offset, limit)
