"""What our other devices did, taken here: sync payloads applied as if this device had done it.

Everything from our own phone is one of :mod:`net.client.core.sync_payloads`' kinds (anything else
is dropped: nothing from our own phone is shown as an incoming message):

* :class:`~net.client.core.sync_payloads.SyncSent`: what another device of ours sent, stored here
  as ours: a text as our own message (``sent``) in the same conversation, with its file, its
  quote and its disappearing timer; a reaction, an edit or a delete for everyone applied as ours;
  a timer set by us; a group's change signed by us (the group is ours here too);
* :class:`~net.client.core.sync_payloads.ReadSync`: the conversation is read up to that message
  (a message is read once it is read on any device; read receipts on or off);
* :class:`~net.client.core.sync_payloads.ContactSync`: a contact added, renamed, blocked or
  unblocked, its verified mark (taken only for the same identity key; where none is pinned yet,
  the key the other device has is pinned with it: our own device is as good a source as the server);
* :class:`~net.client.core.sync_payloads.SettingsSync`: the privacy settings.

Each is idempotent (a text is stored once by its id, a read position only moves forward), so a
copy that comes twice changes nothing the second time. :func:`queue_read`, :func:`queue_contact`
and :func:`queue_settings` are the sending side (nothing is queued on the only device).
"""

from __future__ import annotations

import hmac
import logging

from net.client import action_inbox, action_views, group_inbox, group_timers, privacy, timers
from net.client.context import Context
from net.client.core.actions import Delete, Edit, React
from net.client.core.disappearing import TimerChange
from net.client.core.envelope import GroupChangePayload, MalformedEnvelope, Payload, Text, decode_payload
from net.client.core.events import (
    ContactUpdated,
    Event,
    MessageChanged,
    MessageReceived,
    MessageStatus,
    MessageStatusChanged,
)
from net.client.core.privacy import PrivacySettings
from net.client.core.standing import Standing
from net.client.core.sync_payloads import ContactSync, ReadSync, SettingsSync, SyncSent
from net.client.file_views import store_incoming
from net.client.names import requests_changed
from net.client.outbox_entries import enqueue_sync
from net.protocol.validation import ValidationError, normalize_phone
from storage.profile.contacts import Contact
from storage.profile.errors import DuplicateEntry
from storage.profile.history import Chat, GroupChat, Message

_log = logging.getLogger(__name__)
_SYNC = SyncSent | ReadSync | ContactSync | SettingsSync


def is_sync(payload: Payload) -> bool:
    return isinstance(payload, _SYNC)


def apply(ctx: Context, payload: Payload, arrived_ms: int) -> list[Event]:
    """A payload from another device of ours; the events of what it changed here."""
    if isinstance(payload, SyncSent):
        return _sent(ctx, payload, arrived_ms)
    if isinstance(payload, ReadSync):
        return _read(ctx, payload)
    if isinstance(payload, ContactSync):
        return _contact(ctx, payload)
    if isinstance(payload, SettingsSync):
        privacy.save(ctx, payload.settings)
        return []
    _log.info("a payload from our own number that is not a sync payload was dropped")
    return []


# --------------------------------------------------------------------------- sending


def queue_read(ctx: Context, chat: Chat, read: list[Message]) -> bool:
    """Tell our other devices the conversation is read up to the newest of ``read``."""
    if not read:
        return False
    last = read[-1]
    conversation = chat.group_id if isinstance(chat, GroupChat) else chat
    return enqueue_sync(ctx, ReadSync(conversation, last.client_id, last.sender))


def queue_contact(ctx: Context, contact: Contact) -> bool:
    """Tell our other devices how we now keep ``contact``."""
    payload = ContactSync(
        contact.phone, contact.name, Standing(contact.standing), contact.verified, contact.identity
    )
    return enqueue_sync(ctx, payload)


def queue_settings(ctx: Context, settings: PrivacySettings) -> bool:
    return enqueue_sync(ctx, SettingsSync(settings))


# --------------------------------------------------------------------------- taking


def _sent(ctx: Context, copy: SyncSent, arrived_ms: int) -> list[Event]:
    try:
        inner = decode_payload(copy.payload)
    except MalformedEnvelope:
        _log.info("a sync copy whose payload is malformed was dropped")
        return []
    chat: Chat = copy.to if copy.to is not None else GroupChat(str(copy.group))
    me = ctx.me()
    if isinstance(inner, Text):
        return _text(ctx, chat, inner)
    if isinstance(inner, React | Edit | Delete):
        return _action(ctx, chat, inner)
    if isinstance(inner, TimerChange) and inner.group is not None:
        return group_timers.take(ctx, me, inner, arrived_ms)
    if isinstance(inner, TimerChange) and isinstance(chat, str):
        return timers.apply(ctx, chat, inner, me, arrived_ms)
    if isinstance(inner, GroupChangePayload):
        return group_inbox.take_changes(ctx, me, [inner.signed], relayed=False)
    _log.info("a sync copy of a kind that is not copied was dropped")
    return []


def _text(ctx: Context, chat: Chat, text: Text) -> list[Event]:
    profile = ctx.profile
    if isinstance(chat, GroupChat) != (text.group is not None):
        return []
    if isinstance(chat, GroupChat) and profile.groups.get(chat.group_id) is None:
        return []  # a group this device does not know: its change comes first from the same device
    if isinstance(chat, str) and profile.contacts.get(chat) is None:
        profile.contacts.add(chat, "")  # written to from another device: a contact there, so here
    if action_inbox.is_gone(ctx, chat, "", text.message_id):
        return []
    try:
        stored = profile.history.add(
            chat,
            client_id=text.message_id,
            outgoing=True,
            text=text.text,
            timestamp=text.sent_at_ms / 1000,
            status=MessageStatus.SENT.value,
        )
    except DuplicateEntry:
        return []  # a copy that came twice is shown once
    stored = store_incoming(profile, stored, text.file, copied=True)
    timers.stamp_ours(ctx, stored, text.exp)
    if isinstance(chat, str):
        profile.receipts.expect(stored.local_id, [chat])
    stored = action_inbox.arrived(ctx, chat, ctx.me(), stored, text.reply)
    return [MessageReceived(action_views.view_of(ctx, stored))]


def _action(ctx: Context, chat: Chat, action: React | Edit | Delete) -> list[Event]:
    profile = ctx.profile
    me = ctx.me()
    if isinstance(action, React):
        mine = action.target.author == me
        sender = "" if mine or not isinstance(chat, GroupChat) else action.target.author
        found = profile.history.get(chat, action.target.message_id, outgoing=mine, sender=sender)
    else:
        found = profile.history.get(chat, action.message_id, outgoing=True)
    if found is None:
        return []  # the text comes first from the same device: a message gone here stays gone
    local = found.local_id
    mark = profile.actions.marks([local]).get(local)
    if mark is not None and mark.deleted:
        return []
    if isinstance(action, React):
        changed = profile.actions.react(local, "", action.emoji, action.at_ms)
    elif isinstance(action, Edit):
        changed = profile.actions.edit(local, action.text, action.at_ms)
    else:
        changed = profile.actions.delete_for_everyone(local, "")
    if not changed:
        return []
    again = profile.history.get(chat, found.client_id, outgoing=found.outgoing, sender=found.sender)
    return [MessageChanged(action_views.view_of(ctx, again or found))]


def _read(ctx: Context, position: ReadSync) -> list[Event]:
    profile = ctx.profile
    chat: Chat
    if _is_phone(position.conversation):
        chat = position.conversation
        seen = profile.history.get(chat, position.up_to, outgoing=False)
    else:
        chat = GroupChat(position.conversation)
        seen = profile.history.get(chat, position.up_to, outgoing=False, sender=position.by)
    if seen is None:
        return []
    read = profile.history.mark_read_messages(chat, seen.cursor)
    events: list[Event] = []
    for message in read:
        if isinstance(chat, GroupChat):
            events.append(
                MessageStatusChanged("", message.client_id, MessageStatus.READ, group_id=chat.group_id)
            )
        else:
            events.append(MessageStatusChanged(chat, message.client_id, MessageStatus.READ))
    return events + timers.started(ctx, read)


def _contact(ctx: Context, sync: ContactSync) -> list[Event]:
    contacts = ctx.profile.contacts
    found = contacts.get(sync.phone)
    if found is None:
        found = contacts.add(sync.phone, sync.name, standing=sync.standing.value)
    before = found.standing
    if found.name != sync.name:
        found = contacts.rename(sync.phone, sync.name)
    if found.standing != sync.standing.value:
        found = contacts.set_standing(sync.phone, sync.standing.value)
    same_key = _same_key(ctx, found, sync)
    if same_key and found.identity is None and sync.identity is not None:
        # Our other device has their key (it got it from the server or from them): pinned here too.
        _, found = contacts.pin_identity(sync.phone, sync.identity)
    # A mark given to another key than the one pinned here says nothing about this one.
    if found.verified != sync.verified and (same_key or not sync.verified):
        found = contacts.set_verified(sync.phone, sync.verified)
    events: list[Event] = [ContactUpdated(ctx.contact_view(found))]
    if before != found.standing:
        events.append(requests_changed(ctx))
    return events


def _same_key(ctx: Context, found: Contact, sync: ContactSync) -> bool:
    """Whether the identity the other device has for the contact is the one pinned here (or none is)."""
    if sync.identity is None:
        return found.identity is None
    if found.identity is None:
        return True
    return hmac.compare_digest(found.identity.encoded(), sync.identity.encoded())


def _is_phone(value: str) -> bool:
    try:
        return normalize_phone(value) == value
    except ValidationError:
        return False
