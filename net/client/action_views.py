"""Messages as views with what people did with them: the quote a reply carries, the reactions
counted, and whether the text was edited or deleted for everyone (schema step 7's marks), and
the disappearing timer it went under, with when it disappears (step 8).

One query per kind of mark for a whole page, so a page of fifty messages costs three queries more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from net.client.context import Context, message_view
from net.client.core.actions import ReplyRef, ReplyView, Target
from net.client.core.events import MessageView
from storage.profile.history import Message

#: The conversation list's last line when the last message was deleted for everyone (its text is gone).
DELETED_PREVIEW = "This message was deleted"


def dress(ctx: Context, messages: Sequence[Message], views: Sequence[MessageView]) -> list[MessageView]:
    """``views`` (one per message, in order) with their quotes, reactions and marks."""
    ids = [m.local_id for m in messages if m.kind == "text"]
    marks = ctx.profile.actions.marks(ids)
    reactions = ctx.profile.actions.reactions(ids)
    timers = ctx.profile.timers.of(ids)
    dressed = []
    for message, view in zip(messages, views, strict=True):
        mark, standing = marks.get(message.local_id), reactions.get(message.local_id)
        timer = timers.get(message.local_id)
        if timer is not None:
            view = replace(view, timer=timer.timer, expires_at=timer.expires_at_ms / 1000)
        if mark is None and standing is None:
            dressed.append(view)
            continue
        counted: dict[str, list[int]] = {}  # emoji -> [count, mine], in the order first chosen
        for reaction in standing or ():
            entry = counted.setdefault(reaction.emoji, [0, 0])
            entry[0] += 1
            entry[1] |= reaction.reactor == ""
        reply = None
        if mark is not None and mark.reply_client:
            reply = ReplyView(mark.reply_author, mark.reply_client, mark.reply_text)
        deleted = mark is not None and mark.deleted
        dressed.append(
            replace(
                view,
                reply_to=reply,
                reactions=tuple((emoji, n, bool(mine)) for emoji, (n, mine) in counted.items()),
                edited=mark is not None and mark.edited_at_ms > 0 and not deleted,
                deleted=deleted,
                text="" if deleted else view.text,
                attachment=None if deleted else view.attachment,
            )
        )
    return dressed


def reply_of(ctx: Context, message: Message) -> ReplyRef | None:
    """What our stored message quotes, as its payload says it when it goes again; None if nothing."""
    mark = ctx.profile.actions.marks([message.local_id]).get(message.local_id)
    if mark is None or not mark.reply_client:
        return None
    return ReplyRef(Target(mark.reply_author or ctx.me(), mark.reply_client), mark.reply_text)


def is_deleted(ctx: Context, message: Message) -> bool:
    """Whether the message was deleted for everyone (then it never goes again)."""
    mark = ctx.profile.actions.marks([message.local_id]).get(message.local_id)
    return mark is not None and mark.deleted


def view_of(ctx: Context, message: Message) -> MessageView:
    """One stored message as a dressed view."""
    return dress(ctx, [message], [message_view(message)])[0]
