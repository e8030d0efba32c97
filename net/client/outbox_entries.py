"""The outbox's entries: what one holds, and the functions that queue texts, actions and receipts.

Outbox record, versioned JSON: ``{"v": 1, "mid": message id or null, "inner": base64 payload}``,
and ``"g"`` (the group's id) for a copy of a group's text or change, ``"x"`` (ms) when our copy of
a disappearing message disappears; ``mid`` names the history row of a text (null for receipts and
reset notices). Every copy of a message under a disappearing timer carries the timer (``exp``),
sent again too. :class:`net.client.outbox.Outbox` sends what is queued here.

With linked devices, what we queue to a contact or a group (a text, an action, a timer, a group's
change) gets a sync copy (:class:`~net.client.core.sync_payloads.SyncSent`) queued beside it, under the
same client id, to our own number: the outbox seals it for each of our other devices. On the only
device nothing more is queued.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from crypto_core.encoding import b64decode, b64encode
from crypto_core.errors import CryptoError
from net.client import action_views, devices, group_copies
from net.client.context import Context
from net.client.core.actions import Delete, Edit, React, ReplyRef
from net.client.core.attachment import FileInfo
from net.client.core.disappearing import TimerChange
from net.client.core.envelope import GroupChangePayload, Payload, Text, encode_payload
from net.client.core.sync_payloads import SyncPayload, SyncSent
from storage.profile.delivery import OutboxItem
from storage.profile.errors import DuplicateEntry
from storage.profile.history import Chat, GroupChat

RECORD_VERSION = 1
#: What we send that our other devices take as if they had sent it (a sync copy goes with it).
_MIRRORED = Text | React | Edit | Delete | TimerChange


@dataclass(frozen=True)
class Entry:
    message_id: str | None
    inner: bytes
    #: The group of a group's copy; None for 1:1.
    group: str | None = None
    #: When our copy of a disappearing message disappears (ms; 0 for none): the server keeps the
    #: queued copy no longer (``expires_in``).
    expires_at_ms: int = 0

    def to_bytes(self) -> bytes:
        obj: dict[str, Any] = {"v": RECORD_VERSION, "mid": self.message_id, "inner": b64encode(self.inner)}
        if self.group is not None:
            obj["g"] = self.group
        if self.expires_at_ms:
            obj["x"] = self.expires_at_ms
        return json.dumps(obj, separators=(",", ":")).encode("ascii")

    @classmethod
    def from_bytes(cls, data: bytes) -> Entry:
        try:
            obj = json.loads(data)
            if obj.get("v") != RECORD_VERSION:
                raise ValueError("unknown outbox record version")
            mid, group, expires = obj.get("mid"), obj.get("g"), obj.get("x", 0)
            if not isinstance(expires, int) or isinstance(expires, bool) or expires < 0:
                raise ValueError("bad expiry")
            return cls(
                mid if isinstance(mid, str) else None,
                b64decode(obj.get("inner"), what="outbox"),
                group if isinstance(group, str) else None,
                expires,
            )
        except (ValueError, AttributeError, CryptoError):
            raise ValueError("an outbox entry is damaged") from None

    def __repr__(self) -> str:
        return f"Entry(message_id={self.message_id!r})"


#: An outbox entry as read: the stored item and its decoded record.
Pending = tuple[OutboxItem, Entry]


def enqueue_text(
    ctx: Context,
    contact: str,
    message_id: str,
    text: str,
    sent_at_ms: int,
    client_id: str,
    file: FileInfo | None = None,
    *,
    reply: ReplyRef | None = None,
) -> None:
    timer, expires = under_timer(ctx, contact, message_id)
    inner = encode_payload(Text(message_id, sent_at_ms, text, file=file, reply=reply, exp=timer))
    record = Entry(message_id, inner, expires_at_ms=expires).to_bytes()
    if not devices.own_others(ctx):  # the only device: one row, as before linked devices
        ctx.profile.outbox.enqueue(contact, client_id, record)
        return
    with ctx.profile.transaction():
        ctx.profile.outbox.enqueue(contact, client_id, record)
        enqueue_sync_copy(ctx, client_id, inner, expires, to=contact)


def under_timer(ctx: Context, chat: Chat, message_id: str) -> tuple[int, int]:
    """The disappearing timer our stored message went under, and when it disappears here (ms):
    every copy of it carries the one (``exp``) and goes to the server with the other; (0, 0) for none."""
    message = ctx.profile.history.get(chat, message_id, outgoing=True)
    found = None if message is None else ctx.profile.timers.of([message.local_id]).get(message.local_id)
    return (0, 0) if found is None else (found.timer, found.expires_at_ms)


def enqueue_control(ctx: Context, contact: str, payload: Payload) -> None:
    client_id, inner = ctx.new_id("c-"), encode_payload(payload)
    if not isinstance(payload, _MIRRORED) or not devices.own_others(ctx):  # receipts: no sync copy
        ctx.profile.outbox.enqueue(contact, client_id, Entry(None, inner).to_bytes())
        return
    with ctx.profile.transaction():
        ctx.profile.outbox.enqueue(contact, client_id, Entry(None, inner).to_bytes())
        enqueue_sync_copy(ctx, client_id, inner, 0, to=contact)


def enqueue_sync(ctx: Context, payload: SyncPayload) -> bool:
    """Queue a sync payload (a read position, a contact, settings) to our other devices, if any."""
    if not devices.own_others(ctx):
        return False  # the only device: nothing to keep in step, nothing queued
    me = ctx.me()
    ctx.profile.outbox.enqueue(me, ctx.new_id("s-"), Entry(None, encode_payload(payload)).to_bytes())
    return True


def enqueue_sync_copy(
    ctx: Context,
    client_id: str,
    inner: bytes,
    expires: int,
    *,
    to: str | None = None,
    group: str | None = None,
) -> bool:
    """The sync copy of what we queue to a contact or a group, under its client id (so the copies to
    the contact's devices and ours go in one ``send_many``), to our other devices if there are any."""
    if not devices.own_others(ctx):
        return False
    copied = SyncSent(inner.rstrip(b" "), to=to, group=group)
    try:
        ctx.profile.outbox.enqueue(
            ctx.me(), client_id, Entry(None, encode_payload(copied), None, expires).to_bytes()
        )
    except DuplicateEntry:
        return False
    return True


def enqueue_copies(
    ctx: Context,
    recipients: Iterable[str],
    client_id: str,
    payload: Payload,
    *,
    group: str,
    message_id: str | None = None,
) -> int:
    """One copy of a group's payload per recipient, all under ``client_id``; how many were queued."""
    expires = 0
    if isinstance(payload, Text) and message_id is not None:
        timer, expires = under_timer(ctx, GroupChat(group), message_id)
        payload = replace(payload, exp=timer)
    record = Entry(message_id, encode_payload(payload), group, expires).to_bytes()
    queued = 0
    with ctx.profile.transaction():
        for phone in dict.fromkeys(recipients):
            try:
                ctx.profile.outbox.enqueue(phone, client_id, record)
            except DuplicateEntry:
                continue
            queued += 1
        if isinstance(payload, _MIRRORED | GroupChangePayload):
            enqueue_sync_copy(ctx, client_id, encode_payload(payload), expires, group=group)
    return queued


def resend(ctx: Context, contact: str, failed_client_id: str) -> bool:
    """Queue again a text the contact could not decrypt (named by the client id it was sent with)."""
    message_id = failed_client_id.split(".", 1)[0]
    message = ctx.profile.history.get(contact, message_id, outgoing=True)
    found = group_copies.resent_text(ctx, contact, message_id) if message is None else None
    if found is not None:  # a group's text: that member's copy again, under a client id of its own
        timer, expires = under_timer(ctx, GroupChat(found[0]), message_id)
        record = Entry(message_id, encode_payload(replace(found[1], exp=timer)), found[0], expires).to_bytes()
        return _enqueue(ctx, contact, f"{message_id}.{ctx.random(4).hex()}", record)
    if message is None or action_views.is_deleted(ctx, message):
        return False  # a receipt or notice: the next one says the same; a deleted text stays unsent
    sent = round(message.timestamp * 1000)
    timer, expires = under_timer(ctx, contact, message_id)
    reply = action_views.reply_of(ctx, message)
    inner = encode_payload(Text(message_id, sent, message.text, reply=reply, exp=timer))
    record = Entry(message_id, inner, expires_at_ms=expires).to_bytes()
    return _enqueue(ctx, contact, f"{message_id}.{ctx.random(4).hex()}", record)


def _enqueue(ctx: Context, contact: str, client_id: str, record: bytes) -> bool:
    try:
        ctx.profile.outbox.enqueue(contact, client_id, record)
    except DuplicateEntry:
        return False
    return True
