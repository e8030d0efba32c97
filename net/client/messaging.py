"""Messages and history: send, retry, mark read, and read conversations, pages and search results.

The Messenger's message commands, as functions of the unlocked
:class:`~net.client.context.Context` (and the :class:`~net.client.duties.Duties`
whose outbox sends what is queued here). Everything queued is stored in the same
transaction as the message it belongs to; the outbox sends it on the next poll.

A search across all conversations is one query of the profile's full-text index,
newest first, each result with its match ranges and snippet
(:mod:`net.client.core.snippets`); :func:`around` gives the page of neighbours to
jump to one of them, and :func:`newer` the pages after it, up to the newest;
:func:`first_unread` names the message a conversation with unread ones opens at.
:func:`timeline_place` says where a page sits in the whole conversation and
:func:`history_at` loads the page at a place, for a scrollbar that stands for all of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from net.client import action_views, groups, privacy, sync, timers
from net.client.context import Context, checked_phone, checked_text, key_id, message_view
from net.client.core.actions import ReplyRef
from net.client.core.engine_error import EngineError
from net.client.core.envelope import MAX_IDS, Read
from net.client.core.events import (
    ConversationView,
    MessageStatus,
    MessageStatusChanged,
    MessageView,
    SearchResultView,
    TimelinePlace,
)
from net.client.core.group_changes import is_id
from net.client.core.privacy import sends_read_receipt, shown_status
from net.client.core.snippets import snippet
from net.client.core.standing import Standing, may_answer
from net.client.duties import Duties
from net.client.file_views import file_info, preview
from net.client.names import accept_own_step, share_if_due, standing_of
from net.client.outbox import enqueue_control, enqueue_text
from storage.profile.actions import chat_key
from storage.profile.history import Chat, Cursor, GroupChat, Message

#: The longest search, in characters. A longer one is refused in words rather than cut silently,
#: since a cut query would find (and highlight) something else than what was typed.
MAX_QUERY = 200
#: The most neighbours :func:`around` loads on each side (and :func:`newer` at a time), and the most
#: results one search returns.
MAX_AROUND = 200
MAX_RESULTS = 500


def send_text(
    ctx: Context, duties: Duties, contact: str, text: str, reply: ReplyRef | None = None
) -> MessageView:
    """Store a text (answering ``reply``'s message, if given) and queue it for the contact; returns it
    as the history shows it."""
    phone = checked_phone(contact)
    ctx.contact(phone)  # unknown_contact first: a number never added cannot be written to
    checked_text(text)
    message_id, now = ctx.new_id("m-"), ctx.clock()
    with ctx.profile.transaction():
        share_if_due(ctx, accept_own_step(ctx, phone))  # writing to a request accepts it
        stored = ctx.profile.history.add(phone, client_id=message_id, outgoing=True, text=text, timestamp=now)
        timers.stamp_ours(ctx, stored, timers.for_sending(ctx, phone))
        ctx.profile.receipts.expect(stored.local_id, [phone])  # when it was delivered and read, for details
        if reply is not None:
            author = "" if reply.target.author == ctx.me() else reply.target.author
            ctx.profile.actions.set_reply(stored.local_id, author, reply.target.message_id, reply.quote)
        sent = round(stored.timestamp * 1000)
        enqueue_text(ctx, phone, message_id, text, sent, message_id, reply=reply)
    ctx.emit(MessageStatusChanged(phone, message_id, MessageStatus.QUEUED))
    duties.outbox.dirty = True
    return action_views.view_of(ctx, stored)


def retry(ctx: Context, duties: Duties, contact: str, message_id: str) -> None:
    """Queue a failed text again, under a new client id; in a group, the members' copies that failed."""
    if is_id(contact):
        groups.retry(ctx, duties, contact, message_id)
        return
    phone = checked_phone(contact)
    message = ctx.profile.history.get(phone, message_id, outgoing=True)
    if message is None or message.status != MessageStatus.FAILED.value:
        raise EngineError("not_failed", "Only a message that failed can be sent again.")
    with ctx.profile.transaction():
        ctx.profile.history.set_status(phone, message_id, MessageStatus.QUEUED.value)
        sent = round(message.timestamp * 1000)
        client_id = f"{message_id}.{ctx.random(4).hex()}"
        file = file_info(message.attachment)
        reply = action_views.reply_of(ctx, message)
        enqueue_text(ctx, phone, message_id, message.text, sent, client_id, file, reply=reply)
    ctx.emit(MessageStatusChanged(phone, message_id, MessageStatus.QUEUED))
    duties.outbox.dirty = True


def mark_read(ctx: Context, duties: Duties, contact: str, up_to: str | None = None) -> None:
    """Mark the conversation read, up to the incoming message ``up_to`` (all if None).

    Read receipts are queued in chunks of at most MAX_IDS, unless the person turned them off.
    The window passes ``up_to``: the newest message that was on screen while it had the focus.
    """
    chat = chat_of(ctx, contact)
    if isinstance(chat, GroupChat):
        _mark_group_read(ctx, duties, chat, up_to)
        return
    phone = chat
    cursor: Cursor | None = None
    if up_to is not None:
        seen = ctx.profile.history.get(phone, up_to, outgoing=False)
        if seen is None:
            raise EngineError("unknown_message", "That message is not in this conversation.")
        cursor = seen.cursor
    # A request is read in silence, and so is every conversation while read receipts are off.
    standing = standing_of(ctx.profile.contacts.get(phone))
    receipts = sends_read_receipt(privacy.load(ctx)) and may_answer(standing)
    with ctx.profile.transaction():
        read = ctx.profile.history.mark_read_messages(phone, cursor)
        ids = [message.client_id for message in read]
        for start in range(0, len(ids), MAX_IDS) if receipts else ():
            enqueue_control(ctx, phone, Read(tuple(ids[start : start + MAX_IDS])))
        synced = sync.queue_read(ctx, phone, read)  # our other devices, whatever the receipts setting
        counting = timers.started(ctx, read)  # a disappearing message counts down from its reading
    for message_id in ids:
        ctx.emit(MessageStatusChanged(phone, message_id, MessageStatus.READ))
    for event in counting:
        ctx.emit(event)
    if (ids and receipts) or synced:
        duties.outbox.dirty = True


def _mark_group_read(ctx: Context, duties: Duties, chat: GroupChat, up_to: str | None) -> None:
    """Mark a group read; each read receipt goes to its message's author, pairwise (not while a request)."""
    cursor: Cursor | None = None
    if up_to is not None:
        # The window names a member's message by its id alone (a group's incoming rows carry their
        # sender, which ``history.get`` would have to be told): found by the id, the newest with it.
        seen = ctx.profile.history.around(chat, up_to, before=0, after=0, outgoing=False)
        if seen is None:
            raise EngineError("unknown_message", "That message is not in this conversation.")
        cursor = seen.anchor.cursor
    stored = ctx.profile.groups.get(chat.group_id)
    receipts = sends_read_receipt(privacy.load(ctx)) and stored is not None and stored.standing == "member"
    by_author: dict[str, list[str]] = {}
    with ctx.profile.transaction():
        read = ctx.profile.history.mark_read_messages(chat, cursor)
        for message in read:
            by_author.setdefault(message.sender, []).append(message.client_id)
        for author, ids in by_author.items() if receipts else ():
            found = ctx.profile.contacts.get(author)
            if found is None or found.standing == Standing.BLOCKED.value:
                continue
            for start in range(0, len(ids), MAX_IDS):
                enqueue_control(ctx, author, Read(tuple(ids[start : start + MAX_IDS])))
        synced = sync.queue_read(ctx, chat, read)  # our other devices, whatever the receipts setting
        counting = timers.started(ctx, read)  # a disappearing message counts down from its reading
    for message in read:
        ctx.emit(MessageStatusChanged("", message.client_id, MessageStatus.READ, group_id=chat.group_id))
    for event in counting:
        ctx.emit(event)
    if (read and receipts) or synced:
        duties.outbox.dirty = True


def _shown(ctx: Context) -> Callable[[Message], MessageView]:
    """A stored message as the privacy settings let it show (no "read" from others while ours are off)."""
    settings = privacy.load(ctx)

    def view(message: Message) -> MessageView:
        shown = message_view(message)
        status = shown_status(shown.status, shown.outgoing, settings)
        return shown if status == shown.status else replace(shown, status=status)

    return view


def _views(ctx: Context, messages: Iterable[Message]) -> list[MessageView]:
    view = _shown(ctx)
    found = list(messages)
    ours = [m.local_id for m in found if m.group and m.outgoing and m.kind == "text"]
    counts = ctx.profile.receipts.counts(ours) if ours else {}
    shown = []
    for message in found:
        one = view(message)
        count = counts.get(message.local_id)
        if count is not None:
            one = replace(
                one, recipients=count.members, delivered_count=count.delivered, read_count=count.read
            )
        shown.append(one)
    return action_views.dress(ctx, found, shown)


def conversations(ctx: Context) -> list[ConversationView]:
    """Every conversation of an accepted contact, with its names, its last message and the unread count.

    Requests (and blocked numbers) are not conversations: :func:`net.client.requests.every` lists them.
    """
    contacts = {c.phone: c for c in ctx.profile.contacts.all()}
    found = []
    groups = {g.group_id: g for g in ctx.profile.groups.all()}
    timed = ctx.profile.timers.chats()
    summaries = ctx.profile.history.conversations()
    marks = ctx.profile.actions.marks([s.last.local_id for s in summaries])

    def last_line(last: Message) -> str:
        mark = marks.get(last.local_id)
        return action_views.DELETED_PREVIEW if mark is not None and mark.deleted else preview(last)

    for s in summaries:
        if s.group:
            group = groups.get(s.group)
            if group is None or group.standing == "request":
                continue  # an invitation is in the group requests
            cached = group.state if isinstance(group.state, dict) else {}
            found.append(
                ConversationView(
                    "",
                    str(cached.get("name", "")),
                    last_line(s.last),
                    s.last.timestamp,
                    s.unread,
                    group_id=s.group,
                    members=len(cached.get("members", ()) or ()),
                    disappearing=timed.get(chat_key(GroupChat(s.group)), 0),
                )
            )
            continue
        contact = contacts.get(s.contact)
        if contact is not None and contact.standing != Standing.ACCEPTED.value:
            continue
        found.append(
            ConversationView(
                s.contact,
                contact.name if contact else "",
                last_line(s.last),
                s.last.timestamp,
                s.unread,
                profile_name=contact.profile_name if contact else "",
                key_id=key_id(contact) if contact else "",
                picture=contact.picture if contact else b"",
                disappearing=timed.get(chat_key(s.contact), 0),
            )
        )
    ctx.report_damage()
    return found


def chat_of(ctx: Context, conversation: str) -> Chat:
    """A conversation named by a contact's phone or a group's id (``unknown_group`` for an id we lack)."""
    if is_id(conversation):
        if ctx.profile.groups.get(conversation) is None:
            raise EngineError("unknown_group", "There is no such group.")
        return GroupChat(conversation)
    return checked_phone(conversation)


def history(ctx: Context, contact: str, before: str | None, limit: int) -> list[MessageView]:
    """A page of the conversation: the latest messages, or those before the message ``before``."""
    phone = chat_of(ctx, contact)
    cursor = None if before is None else _anchor(ctx, phone, before).cursor
    page = ctx.profile.history.page(phone, before=cursor, limit=max(1, limit))
    ctx.report_damage()
    return _views(ctx, page.messages)


def search(ctx: Context, contact: str, text: str, limit: int) -> list[MessageView]:
    """The contact's messages that contain ``text``."""
    if not text.strip():
        return []
    page = ctx.profile.history.search(chat_of(ctx, contact), text, limit=max(1, limit))
    ctx.report_damage()
    return _views(ctx, page.messages)


def search_all(
    ctx: Context, text: str, limit: int, before: SearchResultView | None
) -> list[SearchResultView]:
    """Messages of every conversation that contain ``text`` (any case), newest first.

    ``before`` is the last result already shown, to get the next (older) ones.
    Space around the query is ignored; an empty or blank query finds nothing, and one
    longer than :data:`MAX_QUERY` is refused. One query of the profile's full-text index
    answers it; the ranges are the ones the index's check found (see ENGINE.md, "Search").
    """
    query = text.strip()  # "zebra " typed on the way to "zebra crossing" finds what "zebra" finds
    if not query:
        return []
    if len(query) > MAX_QUERY:
        raise EngineError("too_long", f"A search can be at most {MAX_QUERY} characters long.")
    cursor: Cursor | None = None
    if before is not None:
        shown = before.message
        where: Chat = GroupChat(shown.group_id) if shown.group_id else checked_phone(before.contact)
        anchor = ctx.profile.history.get(
            where,
            shown.message_id,
            outgoing=shown.outgoing,
            sender=shown.sender if shown.group_id and not shown.outgoing else "",
        )
        if anchor is None:
            raise EngineError("unknown_message", "That message is not in this conversation.")
        cursor = anchor.cursor
    hits = ctx.profile.history.search_all(query, limit=min(max(1, limit), MAX_RESULTS), before=cursor)
    contacts = {c.phone: c for c in ctx.profile.contacts.all()}
    view = _shown(ctx)
    # dressed as pages are: "edited", its reactions, the quote of what it answers
    dressed = action_views.dress(ctx, [h.message for h in hits], [view(h.message) for h in hits])
    results = []
    groups = {g.group_id: g for g in ctx.profile.groups.all()}
    for hit, message in zip(hits, dressed, strict=True):
        if hit.message.group:
            group = groups.get(hit.message.group)
            if group is None or group.standing == "request":
                continue
            cut, inside = snippet(hit.message.text, hit.ranges)
            cached = group.state if isinstance(group.state, dict) else {}
            results.append(
                SearchResultView(
                    contact="",
                    name=str(cached.get("name", "")),
                    message=message,
                    ranges=hit.ranges,
                    snippet=cut,
                    snippet_ranges=tuple(inside),
                )
            )
            continue
        contact = contacts.get(hit.contact)
        if contact is not None and contact.standing != Standing.ACCEPTED.value:
            continue  # a stranger's text is found only once the request is accepted
        cut, inside = snippet(hit.message.text, hit.ranges)
        results.append(
            SearchResultView(
                contact=hit.contact,
                name=(contact.name or contact.profile_name if contact else "") or hit.contact,
                message=message,
                ranges=hit.ranges,
                snippet=cut,
                snippet_ranges=tuple(inside),
            )
        )
    ctx.report_damage()
    return results


def around(ctx: Context, contact: str, message_id: str, before: int, after: int) -> list[MessageView]:
    """The message with up to ``before`` older and ``after`` newer neighbours, newest first (as pages).

    A client id names one message per direction; when both exist, the newer of the two.
    """
    phone = chat_of(ctx, contact)
    older_count, newer_count = (min(max(0, n), MAX_AROUND) for n in (before, after))
    found = ctx.profile.history.around(phone, message_id, before=older_count, after=newer_count)
    if found is None:
        raise EngineError("unknown_message", "That message is not in this conversation.")
    ctx.report_damage()
    return _views(ctx, found.messages)


def newer(ctx: Context, contact: str, after: str, limit: int) -> list[MessageView]:
    """A page of the messages just newer than the message ``after``, newest first (as pages).

    After a jump to a search result the conversation shows a page that ends before its newest
    messages; this loads the ones after it, oldest first found, until the newest is reached
    (a page shorter than ``limit``).
    """
    phone = chat_of(ctx, contact)
    cursor = _anchor(ctx, phone, after).cursor
    page = ctx.profile.history.page_after(phone, after=cursor, limit=min(max(1, limit), MAX_AROUND))
    ctx.report_damage()
    return _views(ctx, page.messages)


def first_unread(ctx: Context, contact: str) -> MessageView | None:
    """The oldest unread message of the conversation, where the app opens it; None when all are read."""
    found = ctx.profile.history.first_unread(chat_of(ctx, contact))
    ctx.report_damage()
    return None if found is None else message_view(found)


def timeline_place(ctx: Context, contact: str, message_id: str | None) -> TimelinePlace:
    """How many entries of the conversation are older than the message ``message_id`` (0 for None),
    and how many it holds in all (messages and notices, as pages hand them out)."""
    phone = chat_of(ctx, contact)
    cursor = None if message_id is None else _anchor(ctx, phone, message_id).cursor
    place = ctx.profile.history.place(phone, cursor)
    return TimelinePlace(place.older, place.total)


def history_at(ctx: Context, contact: str, offset: int, limit: int) -> list[MessageView]:
    """The page that starts ``offset`` entries after the oldest, newest first (as pages).

    Where a dragged scrollbar points: the profile's index walks to the place, so a drag to the top
    of a long conversation loads its oldest page at once instead of every page between.
    """
    phone = chat_of(ctx, contact)
    page = ctx.profile.history.page_from(phone, max(0, offset), limit=min(max(1, limit), MAX_AROUND))
    ctx.report_damage()
    return _views(ctx, page.messages)


def _anchor(ctx: Context, phone: Chat, message_id: str) -> Message:
    """The message with this client id in the conversation (sent or received)."""
    history = ctx.profile.history
    anchor = history.get(phone, message_id, outgoing=True) or history.find(phone, message_id, outgoing=False)
    if anchor is None:
        raise EngineError("unknown_message", "That message is not in this conversation.")
    return anchor
