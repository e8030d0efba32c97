"""The history part of a provisioning: the last six months of messages, with reactions, edits and files' keys.

Sent only when the person ticks it. Each message (texts only: the timeline's notices are this
device's own) is::

    {"chat": {"contact"} | {"group"}, "client_id", "outgoing", "text", "ts_ms", "status", "meta",
     "sender", "reactions": [[reactor, emoji, at_ms]], "versions": [[text, replaced_at_ms]],
     "reply": [author, client_id, quote] | null, "edited_at_ms", "file": spec | null}

A file travels as its announcing ``file`` object (blob id, key, digest, ...), never its bytes:
a received one arrives PAUSED on the new computer, which downloads it from the server on
request while the server still keeps the blob; one sent from the other computer is marked
FAILED with words there (its copy stays on the computer that sent it).
"""

from __future__ import annotations

from typing import Any

from net.client.context import Context
from net.client.core.events import TransferState
from storage.profile.errors import DuplicateEntry
from storage.profile.messages import Chat, GroupChat, Message

#: How far back a provisioning's history reaches: six months.
HISTORY_MS = 183 * 24 * 3600 * 1000
_PAGE = 200
_SENT_ELSEWHERE = "Sent from another computer of this account; the file is kept there."


class ProvisioningError(Exception):
    """The account's data from the other computer cannot be used; the message says why in words."""


def chat_json(chat: Chat) -> dict[str, str]:
    return {"group": chat.group_id} if isinstance(chat, GroupChat) else {"contact": chat}


def chat_of(item: object) -> Chat:
    if isinstance(item, dict) and isinstance(item.get("group"), str) and item["group"]:
        return GroupChat(item["group"])
    if isinstance(item, dict) and isinstance(item.get("contact"), str) and item["contact"]:
        return str(item["contact"])
    raise ProvisioningError("a conversation in the account's data does not parse")


def gather(ctx: Context, *, now_ms: int) -> list[dict[str, Any]]:
    """Every text of the last six months, oldest first per conversation."""
    history, cutoff = ctx.profile.history, now_ms - HISTORY_MS
    found: list[dict[str, Any]] = []
    for summary in history.conversations():
        chat = summary.chat
        kept: list[Message] = []
        before = None
        while True:
            page = history.page(chat, before=before, limit=_PAGE)
            recent = [m for m in page.messages if round(m.timestamp * 1000) >= cutoff]
            kept.extend(m for m in recent if m.kind == "text")
            if page.next is None or len(recent) < len(page.messages):
                break
            before = page.next
        found.extend(_message_json(ctx, chat, m) for m in reversed(kept))
    return found


def _message_json(ctx: Context, chat: Chat, message: Message) -> dict[str, Any]:
    actions = ctx.profile.actions
    marks = actions.marks([message.local_id]).get(message.local_id)
    reactions = actions.reactions([message.local_id]).get(message.local_id, [])
    attachment = message.attachment
    return {
        "chat": chat_json(chat),
        "client_id": message.client_id,
        "outgoing": message.outgoing,
        "text": message.text,
        "ts_ms": round(message.timestamp * 1000),
        "status": message.status,
        "meta": dict(message.meta),
        "sender": message.sender,
        "reactions": [[r.reactor, r.emoji, r.at_ms] for r in reactions],
        "versions": [[v.text, v.replaced_at_ms] for v in actions.versions(message.local_id)],
        "reply": [marks.reply_author, marks.reply_client, marks.reply_text]
        if marks is not None and marks.reply_client
        else None,
        "edited_at_ms": 0 if marks is None else marks.edited_at_ms,
        "file": None if attachment is None else dict(attachment.spec),
    }


def apply(ctx: Context, items: object) -> int:
    """Store the history inside the caller's transaction; returns how many messages were new here."""
    if not isinstance(items, list):
        raise ProvisioningError("the history in the account's data does not parse")
    added = 0
    for item in items:
        try:
            added += _apply_message(ctx, item)
        except (KeyError, TypeError, ValueError) as exc:
            raise ProvisioningError(
                f"a message in the account's history does not parse ({exc.__class__.__name__})"
            ) from None
    return added


def _apply_message(ctx: Context, item: Any) -> int:
    profile = ctx.profile
    chat = chat_of(item["chat"])
    if isinstance(chat, GroupChat) and profile.groups.get(chat.group_id) is None:
        return 0  # a group this device was not given: its history would have no home
    outgoing = bool(item["outgoing"])
    try:
        stored = profile.history.add(
            chat,
            client_id=str(item["client_id"]),
            outgoing=outgoing,
            text=str(item["text"]),
            timestamp=int(item["ts_ms"]) / 1000,
            status=str(item["status"]),
            meta=dict(item.get("meta") or {}),
            sender=str(item.get("sender", "")),
        )
    except DuplicateEntry:
        return 0
    message = stored.local_id
    versions = item.get("versions") or []
    if versions:
        # Earlier versions first, then the text as it stands now, each by its own edit.
        texts = [str(v[0]) for v in versions] + [str(item["text"])]
        times = [int(v[1]) for v in versions]
        profile.history.edit(chat, stored.client_id, texts[0], outgoing=outgoing, sender=stored.sender)
        for text, at_ms in zip(texts[1:], times, strict=True):
            profile.actions.edit(message, text, at_ms)
    reply = item.get("reply")
    if isinstance(reply, list) and len(reply) == 3:
        profile.actions.set_reply(message, str(reply[0]), str(reply[1]), str(reply[2]))
    for reactor, emoji, at_ms in item.get("reactions") or []:
        profile.actions.react(message, str(reactor), str(emoji), int(at_ms))
    spec = item.get("file")
    if isinstance(spec, dict):
        name = profile.attachments.new_name()
        if outgoing:
            profile.attachments.add(message, spec, TransferState.FAILED.value, file=name)
            profile.attachments.update(message, error=_SENT_ELSEWHERE)
        else:
            profile.attachments.add(message, spec, TransferState.PAUSED.value, file=name)
    return 1
