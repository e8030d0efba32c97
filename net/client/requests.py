"""Message requests and names: accept, block, unblock, delete; our display name sent end to end.

The rule of what may go back to whom is :mod:`net.client.core.standing`; this
module carries it out on the profile. A stranger's first message makes a
request (:mod:`net.client.inbox`); :func:`accept` makes them an accepted
contact and queues our display name; :func:`block` drops what they send from
then on (acknowledged, counted, never stored); :func:`delete` removes the
request's messages (a later message makes a new request).

Our display name goes as a :class:`~net.client.core.envelope.ProfilePayload` payload
through the persistent outbox, like receipts: with the first thing that goes to
an accepted contact (:func:`net.client.names.share_if_due`, called where texts and receipts are
queued) and again to every accepted contact when it changes
(:func:`set_display_name`).
"""

from __future__ import annotations

from net.client import sync
from net.client.context import Context, checked_phone
from net.client.core.engine_error import EngineError
from net.client.core.envelope import MAX_IDS, Delivered
from net.client.core.events import ContactUpdated, ContactView, RequestView
from net.client.core.standing import Standing
from net.client.duties import Duties
from net.client.names import request_views, requests_changed, share_if_due
from net.client.outbox import enqueue_control
from net.protocol.validation import ValidationError, validate_display_name
from storage.profile.contacts import Contact


def every(ctx: Context) -> list[RequestView]:
    """The open requests, newest first."""
    found = request_views(ctx)
    ctx.report_damage()
    return found


def accept(ctx: Context, duties: Duties, phone: str) -> ContactView:
    """Accept a request: our name and the delivery receipts held back go; then everything as usual.

    No read receipt goes for what was read while it was a request: only what is read from now on.
    """
    contact = _request(ctx, phone)
    with ctx.profile.transaction():
        contact = ctx.profile.contacts.set_standing(contact.phone, Standing.ACCEPTED.value)
        share_if_due(ctx, contact)
        held = ctx.profile.history.received_ids(contact.phone)
        for start in range(0, len(held), MAX_IDS):  # the delivery receipts held back go now
            enqueue_control(ctx, contact.phone, Delivered(tuple(held[start : start + MAX_IDS])))
        contact = ctx.contact(contact.phone)
        sync.queue_contact(ctx, contact)
    duties.outbox.dirty = True
    view = ctx.contact_view(contact)
    ctx.emit(ContactUpdated(view))
    ctx.emit(requests_changed(ctx))
    return view


def block(ctx: Context, phone: str) -> None:
    """Block a number (a request or a contact): what it sends is acknowledged and dropped unread."""
    phone = checked_phone(phone)
    with ctx.profile.transaction():
        if ctx.profile.contacts.get(phone) is None:
            ctx.profile.contacts.add(phone, "", standing=Standing.BLOCKED.value)
        contact = ctx.profile.contacts.set_standing(phone, Standing.BLOCKED.value)
        sync.queue_contact(ctx, contact)
    ctx.emit(ContactUpdated(ctx.contact_view(contact)))
    ctx.emit(requests_changed(ctx))


def unblock(ctx: Context, phone: str) -> None:
    """Unblock a number: its next message makes a request again (its old ones were never kept)."""
    contact = ctx.contact(checked_phone(phone))
    if contact.standing != Standing.BLOCKED.value:
        raise EngineError("not_blocked", "That number is not blocked.")
    with ctx.profile.transaction():
        contact = ctx.profile.contacts.set_standing(contact.phone, Standing.REQUEST.value)
        sync.queue_contact(ctx, contact)
    ctx.emit(ContactUpdated(ctx.contact_view(contact)))
    ctx.emit(requests_changed(ctx))


def delete(ctx: Context, phone: str) -> None:
    """Delete a request and its messages; the number stays a stranger (a new message, a new request)."""
    contact = _request(ctx, phone)
    ctx.profile.history.delete_conversation(contact.phone)
    ctx.emit(requests_changed(ctx))


def blocked(ctx: Context) -> list[ContactView]:
    return [ctx.contact_view(c) for c in ctx.profile.contacts.with_standing(Standing.BLOCKED.value)]


def set_display_name(ctx: Context, duties: Duties, name: str) -> str:
    """Change our display name and queue it to every accepted contact; returns the name as kept."""
    try:
        checked = validate_display_name(name)
    except ValidationError as exc:
        raise EngineError("bad_name", str(exc)) from None
    if checked == ctx.profile.account.display_name():
        return checked
    with ctx.profile.transaction():
        ctx.profile.account.set_display_name(checked)
        for contact in ctx.profile.contacts.with_standing(Standing.ACCEPTED.value):
            share_if_due(ctx, contact)
    duties.outbox.dirty = True
    return checked


def _request(ctx: Context, phone: str) -> Contact:
    contact = ctx.contact(checked_phone(phone))
    if contact.standing != Standing.REQUEST.value:
        raise EngineError("not_a_request", "That number has no message request.")
    return contact
