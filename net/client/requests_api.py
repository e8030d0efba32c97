"""The Messenger's request commands, our display name and picture: thin delegations.

They go to :mod:`net.client.requests` and :mod:`net.client.pictures`.

A mixin, so that :mod:`net.client.messenger` stays small. Requests are strangers
who wrote first; nothing goes back to them until accepted. Invitations to groups
are the group commands' (``groups_api.py``).
"""

from __future__ import annotations

from pathlib import Path

from net.client import pictures, requests
from net.client.api_base import ApiBase, storing
from net.client.core.events import ContactView, RequestView


class RequestsApi(ApiBase):
    """The request, display-name and picture commands of :class:`net.client.messenger.Messenger`."""

    @storing("contacts")
    def requests(self) -> list[RequestView]:
        """Strangers who wrote first, newest first; nothing goes back to them until accepted."""
        return requests.every(self._require())

    @storing("contacts")
    def accept_request(self, phone: str) -> ContactView:
        return requests.accept(*self._unlocked(), phone)

    @storing("contacts")
    def block(self, phone: str) -> None:
        ctx, duties = self._unlocked()
        requests.block(ctx, phone)
        duties.outbox.dirty = True  # a sync of the contact to our other devices, if any

    @storing("contacts")
    def unblock(self, phone: str) -> None:
        ctx, duties = self._unlocked()
        requests.unblock(ctx, phone)
        duties.outbox.dirty = True  # a sync of the contact to our other devices, if any

    @storing("contacts")
    def delete_request(self, phone: str) -> None:
        requests.delete(self._require(), phone)

    @storing("contacts")
    def blocked(self) -> list[ContactView]:
        return requests.blocked(self._require())

    @storing("contacts")
    def dropped_from_blocked(self) -> int:
        """How many messages from blocked numbers were acknowledged and dropped unread."""
        return self._require().profile.contacts.dropped_from_blocked()

    @storing("account")
    def display_name(self) -> str:
        return self._require().profile.account.display_name()

    @storing("account")
    def set_display_name(self, name: str) -> str:
        """Change the name contacts see; it goes to every accepted contact. Returns it as kept."""
        return requests.set_display_name(*self._unlocked(), name)

    @storing("account")
    def set_profile_picture(self, path: str | Path | None) -> None:
        """Make our profile picture from a picture file (None removes it); it goes with our name.

        Raises EngineError("bad_picture") with words when the file is not a picture that can be used.
        """
        ctx, duties = self._unlocked()
        if pictures.set_profile_picture(ctx, path):
            duties.outbox.dirty = True

    @storing("account")
    def profile_picture(self) -> bytes:
        """Our profile picture, a square JPEG; b"" for none."""
        return pictures.profile_picture(self._require())
