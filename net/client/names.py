"""Names and standing as the engine's parts share them: our display name sent when due, requests' views.

Our display name (with our profile picture, under one version) goes as a
:class:`~net.client.core.envelope.ProfilePayload` payload
through the persistent outbox (:func:`share_if_due`) with the first thing that
goes to an accepted contact: a text (:mod:`net.client.messaging`), a delivery
receipt (:mod:`net.client.inbox`), an accept (:mod:`net.client.requests`), and
to every accepted contact again when it changes. Whether it may go is the rule
of :mod:`net.client.core.standing`.
"""

from __future__ import annotations

from net.client.context import Context, key_id
from net.client.core.engine_error import EngineError
from net.client.core.envelope import ProfilePayload
from net.client.core.events import RequestsChanged, RequestView
from net.client.core.standing import Standing, after_own_step, profile_due
from net.client.outbox import enqueue_control
from storage.profile.contacts import Contact


def standing_of(contact: Contact | None) -> Standing | None:
    return None if contact is None else Standing(contact.standing)


def own_profile(ctx: Context) -> ProfilePayload:
    """Our display name and profile picture as they go to contacts, with their current version."""
    account = ctx.profile.account
    return ProfilePayload(account.display_name(), account.display_name_version(), account.profile_picture())


def share_if_due(ctx: Context, contact: Contact) -> None:
    """Queue our display name and picture to an accepted contact that lacks their current version."""
    version = ctx.profile.account.display_name_version()
    if not profile_due(standing_of(contact), contact.profile_sent, version):
        return
    with ctx.profile.transaction():
        enqueue_control(ctx, contact.phone, own_profile(ctx))
        ctx.profile.contacts.set_profile_sent(contact.phone, version)


def accept_own_step(ctx: Context, phone: str) -> Contact:
    """The person added this number or wrote to it: accepted (a request too), unless blocked."""
    contact = ctx.contact(phone)
    standing = after_own_step(standing_of(contact))
    if standing is Standing.BLOCKED:
        raise EngineError("blocked", "You blocked this number. Unblock it to write to it.")
    if contact.standing != standing:
        contact = ctx.profile.contacts.set_standing(phone, standing.value)
        ctx.emit(requests_changed(ctx))
    return contact


def request_view(ctx: Context, contact: Contact) -> RequestView | None:
    """The request of this contact as the requests list shows it; None when nothing of theirs is kept."""
    history = ctx.profile.history
    count = history.count(contact.phone)
    if count == 0:
        return None
    last = history.page(contact.phone, limit=1).messages
    return RequestView(
        phone=contact.phone,
        name=contact.profile_name,
        messages=count,
        last_text=last[0].text if last else "",
        last_timestamp=last[0].timestamp if last else 0.0,
        key_id=key_id(contact),
    )


def request_views(ctx: Context) -> list[RequestView]:
    """The open requests (a request with no message kept is not one), newest first."""
    found = [
        view
        for contact in ctx.profile.contacts.with_standing(Standing.REQUEST.value)
        if (view := request_view(ctx, contact)) is not None
    ]
    return sorted(found, key=lambda r: r.last_timestamp, reverse=True)


def requests_changed(ctx: Context) -> RequestsChanged:
    """The count of open requests and of messages dropped from blocked numbers, as an event."""
    count = sum(
        1
        for contact in ctx.profile.contacts.with_standing(Standing.REQUEST.value)
        if ctx.profile.history.count(contact.phone)
    )
    return RequestsChanged(count, ctx.profile.contacts.dropped_from_blocked())
