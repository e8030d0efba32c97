"""The Messenger's contact commands: add (starting a session), list, rename, verify, accept a key change.

Functions of the unlocked :class:`~net.client.context.Context`. Adding a contact
fetches its bundle (through the logged-in link) unless a session exists already;
verifying or accepting a changed key lets the texts held for that contact go, so
it marks the outbox dirty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from net.client import sync
from net.client.context import Context, checked_phone
from net.client.core.engine_error import EngineError
from net.client.core.events import ContactUpdated, ContactView
from net.client.duties import Duties
from net.client.handshake import start_session
from net.client.link import Link
from net.client.names import accept_own_step
from storage.profile.contacts import Contact

#: Runs a network step of a command: a refusal or a drop becomes an EngineError (Membership.guard).
Guard = Callable[[Callable[[], Any]], Any]


def add(ctx: Context, link: Link, guard: Guard, phone: str, name: str) -> ContactView:
    phone = checked_phone(phone)
    if phone == ctx.profile.account.get().phone:
        raise EngineError("own_number", "That is your own number.")
    existing = ctx.profile.contacts.get(phone)
    if existing is not None and existing.identity is not None and ctx.load_record(phone).current:
        if name and name != existing.name:
            existing = ctx.profile.contacts.rename(phone, name)
        return _synced(ctx, accept_own_step(ctx, phone))  # adding a request's number accepts it
    conn = link.require()
    contact = guard(lambda: start_session(ctx, conn, phone, name))
    if name and contact.name != name:
        contact = ctx.profile.contacts.rename(phone, name)
    return _synced(ctx, accept_own_step(ctx, phone))


def _synced(ctx: Context, contact: Contact) -> ContactView:
    """The contact as kept now, told to our other devices too; its view."""
    sync.queue_contact(ctx, contact)
    return ctx.contact_view(contact)


def every(ctx: Context) -> list[ContactView]:
    found = [ctx.contact_view(c) for c in ctx.profile.contacts.all()]
    ctx.report_damage()
    return found


def one(ctx: Context, phone: str) -> ContactView:
    return ctx.contact_view(ctx.contact(checked_phone(phone)))


def rename(ctx: Context, phone: str, name: str) -> None:
    phone = checked_phone(phone)
    ctx.contact(phone)
    ctx.emit(ContactUpdated(_synced(ctx, ctx.profile.contacts.rename(phone, name.strip()))))


def set_verified(ctx: Context, duties: Duties, contact: str, verified: bool) -> None:
    phone = checked_phone(contact)
    ctx.contact(phone)
    ctx.emit(ContactUpdated(_synced(ctx, ctx.profile.contacts.set_verified(phone, verified))))
    duties.outbox.dirty = True


def accept_key_change(ctx: Context, duties: Duties, contact: str) -> None:
    phone = checked_phone(contact)
    ctx.contact(phone)
    ctx.emit(ContactUpdated(ctx.contact_view(ctx.profile.contacts.acknowledge_key_change(phone))))
    duties.outbox.dirty = True


def safety_number(ctx: Context, contact: str) -> str:
    return ctx.safety_number_of(ctx.contact(checked_phone(contact)))
