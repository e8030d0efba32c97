"""The Messenger's contact commands: thin delegations to :mod:`net.client.contacts`.

A mixin, so that :mod:`net.client.messenger` stays small; each runs inside
:meth:`Context.storing` for the contacts.
"""

from __future__ import annotations

from net.client import contacts
from net.client.api_base import ApiBase, storing
from net.client.core.events import ContactView


class ContactsApi(ApiBase):
    """The contact commands of :class:`net.client.messenger.Messenger`."""

    @storing("contacts")
    def add_contact(self, phone: str, name: str = "") -> ContactView:
        ctx, duties = self._unlocked()
        view = contacts.add(ctx, self._link, self._membership.guard, phone, name)
        duties.outbox.dirty = True  # a sync of the contact to our other devices, if any
        return view

    @storing("contacts")
    def contacts(self) -> list[ContactView]:
        return contacts.every(self._require())

    @storing("contacts")
    def contact(self, phone: str) -> ContactView:
        return contacts.one(self._require(), phone)

    @storing("contacts")
    def rename_contact(self, phone: str, name: str) -> None:
        ctx, duties = self._unlocked()
        contacts.rename(ctx, phone, name)
        duties.outbox.dirty = True  # a sync of the contact to our other devices, if any

    @storing("contacts")
    def set_verified(self, contact: str, verified: bool) -> None:
        contacts.set_verified(*self._unlocked(), contact, verified)

    @storing("contacts")
    def accept_key_change(self, contact: str) -> None:
        contacts.accept_key_change(*self._unlocked(), contact)

    @storing("contacts")
    def safety_number(self, contact: str) -> str:
        return contacts.safety_number(self._require(), contact)
