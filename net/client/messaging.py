"""Messages and history: send, retry, mark read, and read conversations, pages and search results.

The Messenger's message commands, as functions of the unlocked
:class:`~net.client.context.Context` (and the :class:`~net.client.duties.Duties`
whose outbox sends what is queued here). Everything queued is stored in the same
transaction as the message it belongs to; the outbox sends it on the next poll.

A search across all conversations answers newest first, each result with its
match ranges and snippet (:mod:`net.client.core.snippets`); :func:`around`
gives the page of neighbours to jump to one of them.
"""

from __future__ import annotations

from collections import deque

from net.client.context import Context, checked_phone, message_view
from net.client.core.engine_error import EngineError
from net.client.core.envelope import MAX_IDS, Read, check_text
from net.client.core.events import (
    ConversationView,
    MessageStatus,
    MessageStatusChanged,
    MessageView,
    SearchResultView,
)
from net.client.core.snippets import match_ranges, snippet
from net.client.duties import Duties
from net.client.outbox import enqueue_control, enqueue_text
from storage.profile.history import Cursor, Message

#: The longest search, in characters. A longer one is refused in words rather than cut silently,
#: since a cut query would find (and highlight) something else than what was typed.
MAX_QUERY = 200
#: The most neighbours :func:`around` loads on each side, and the most results one search returns.
MAX_AROUND = 200
MAX_RESULTS = 500
#: Rows read at a time while walking down to the neighbours after a message.
_WALK = 256


def send_text(ctx: Context, duties: Duties, contact: str, text: str) -> MessageView:
    """Store a text and queue it for the contact; returns it as the history shows it."""
    phone = checked_phone(contact)
    ctx.contact(phone)
    try:
        check_text(text)
    except ValueError as exc:
        raise EngineError("too_long", f"{str(exc).capitalize()}.") from None
    if not text.strip():
        raise EngineError("empty", "There is nothing to send.")
    message_id, now = ctx.new_id("m-"), ctx.clock()
    with ctx.profile.transaction():
        stored = ctx.profile.history.add(phone, client_id=message_id, outgoing=True, text=text, timestamp=now)
        enqueue_text(ctx, phone, message_id, text, round(stored.timestamp * 1000), message_id)
    ctx.emit(MessageStatusChanged(phone, message_id, MessageStatus.QUEUED))
    duties.outbox.dirty = True
    return message_view(stored)


def retry(ctx: Context, duties: Duties, contact: str, message_id: str) -> None:
    """Queue a failed text again, under a new client id."""
    phone = checked_phone(contact)
    message = ctx.profile.history.get(phone, message_id, outgoing=True)
    if message is None or message.status != MessageStatus.FAILED.value:
        raise EngineError("not_failed", "Only a message that failed can be sent again.")
    with ctx.profile.transaction():
        ctx.profile.history.set_status(phone, message_id, MessageStatus.QUEUED.value)
        sent = round(message.timestamp * 1000)
        enqueue_text(ctx, phone, message_id, message.text, sent, f"{message_id}.{ctx.random(4).hex()}")
    ctx.emit(MessageStatusChanged(phone, message_id, MessageStatus.QUEUED))
    duties.outbox.dirty = True


def mark_read(ctx: Context, duties: Duties, contact: str) -> None:
    """Mark the conversation read and queue read receipts, in chunks of at most MAX_IDS."""
    phone = checked_phone(contact)
    with ctx.profile.transaction():
        ids = ctx.profile.history.mark_read(phone)
        for start in range(0, len(ids), MAX_IDS):
            enqueue_control(ctx, phone, Read(tuple(ids[start : start + MAX_IDS])))
    for message_id in ids:
        ctx.emit(MessageStatusChanged(phone, message_id, MessageStatus.READ))
    if ids:
        duties.outbox.dirty = True


def conversations(ctx: Context) -> list[ConversationView]:
    """Every conversation, with its contact's name, its last message and how many are unread."""
    names = {c.phone: c.name for c in ctx.profile.contacts.all()}
    found = [
        ConversationView(s.contact, names.get(s.contact, s.contact), s.last.text, s.last.timestamp, s.unread)
        for s in ctx.profile.history.conversations()
    ]
    ctx.report_damage()
    return found


def history(ctx: Context, contact: str, before: str | None, limit: int) -> list[MessageView]:
    """A page of the conversation: the latest messages, or those before the message ``before``."""
    phone = checked_phone(contact)
    cursor = None if before is None else _anchor(ctx, phone, before).cursor
    page = ctx.profile.history.page(phone, before=cursor, limit=max(1, limit))
    ctx.report_damage()
    return [message_view(m) for m in page.messages]


def search(ctx: Context, contact: str, text: str, limit: int) -> list[MessageView]:
    """The contact's messages that contain ``text``."""
    if not text.strip():
        return []
    page = ctx.profile.history.search(checked_phone(contact), text, limit=max(1, limit))
    ctx.report_damage()
    return [message_view(m) for m in page.messages]


def search_all(
    ctx: Context, text: str, limit: int, before: SearchResultView | None
) -> list[SearchResultView]:
    """Messages of every conversation that contain ``text`` (any case), newest first.

    ``before`` is the last result already shown, to get the next (older) ones.
    Space around the query is ignored; an empty or blank query finds nothing, and one
    longer than :data:`MAX_QUERY` is refused.
    """
    query = text.strip()  # "zebra " typed on the way to "zebra crossing" finds what "zebra" finds
    if not query:
        return []
    if len(query) > MAX_QUERY:
        raise EngineError("too_long", f"A search can be at most {MAX_QUERY} characters long.")
    cursor: Cursor | None = None
    if before is not None:
        cursor = _anchor(ctx, checked_phone(before.contact), before.message.message_id).cursor
    found = _found_everywhere(ctx, query, cursor, min(max(1, limit), MAX_RESULTS))
    names = {c.phone: c.name for c in ctx.profile.contacts.all()}
    results = []
    for message in found:
        ranges = match_ranges(message.text, query)
        cut, inside = snippet(message.text, ranges)
        results.append(
            SearchResultView(
                contact=message.contact,
                name=names.get(message.contact) or message.contact,
                message=message_view(message),
                ranges=tuple(ranges),
                snippet=cut,
                snippet_ranges=tuple(inside),
            )
        )
    ctx.report_damage()
    return results


def around(ctx: Context, contact: str, message_id: str, before: int, after: int) -> list[MessageView]:
    """The message with up to ``before`` older and ``after`` newer neighbours, newest first (as pages)."""
    phone = checked_phone(contact)
    anchor = _anchor(ctx, phone, message_id)
    older_count, newer_count = (min(max(0, n), MAX_AROUND) for n in (before, after))
    older = (
        ctx.profile.history.page(phone, before=anchor.cursor, limit=older_count).messages
        if older_count
        else []
    )
    newer = _newer(ctx, phone, anchor.cursor, newer_count)
    ctx.report_damage()
    return [message_view(m) for m in (*newer, anchor, *older)]


def _anchor(ctx: Context, phone: str, message_id: str) -> Message:
    """The message with this client id in the conversation (sent or received)."""
    history = ctx.profile.history
    anchor = history.get(phone, message_id, outgoing=True) or history.get(phone, message_id, outgoing=False)
    if anchor is None:
        raise EngineError("unknown_message", "That message is not in this conversation.")
    return anchor


def _found_everywhere(ctx: Context, text: str, before: Cursor | None, limit: int) -> list[Message]:
    """The newest ``limit`` matches of all conversations: each conversation's newest ``limit``, merged.

    Cursors order messages across conversations too (time, then the row id), so
    merging the conversations' own newest-first results gives the newest overall.
    """
    history = ctx.profile.history
    found: list[Message] = []
    for summary in history.conversations():
        found.extend(history.search(summary.contact, text, before=before, limit=limit).messages)
    return sorted(found, key=lambda m: m.cursor, reverse=True)[:limit]


def _newer(ctx: Context, phone: str, cursor: Cursor, count: int) -> list[Message]:
    """The ``count`` messages just after ``cursor``, newest first, walked down from the newest."""
    if count == 0:
        return []
    kept: deque[Message] = deque(maxlen=count)
    position: Cursor | None = None
    while True:
        page = ctx.profile.history.page(phone, before=position, limit=_WALK)
        for message in page.messages:
            if message.cursor <= cursor:
                return list(kept)
            kept.append(message)
        if page.next is None:
            return list(kept)
        position = page.next
