"""Contacts: display name, the pinned identity key, and whether it was verified or changed.

A contact is found by a blind index of its phone number and sealed whole
(phone included) in slot ``"contact:<index>"``. Identity keys are trusted on
first use: :meth:`ContactStore.pin_identity` pins the first key it sees, and a
different key later keeps the old one as ``previous_identity``, clears
``verified`` and raises ``key_changed`` until the person has looked at it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from crypto_core.errors import CryptoError
from crypto_core.keys import PublicIdentity
from storage.profile.errors import DamagedValue, ProfileError
from storage.profile.legacy.vault import Vault


class PinResult(StrEnum):
    NEW = "new"
    SAME = "same"
    CHANGED = "changed"


@dataclass(frozen=True)
class Contact:
    phone: str
    name: str
    created_at: float
    identity: PublicIdentity | None = None
    verified: bool = False
    key_changed: bool = False
    previous_identity: PublicIdentity | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "name": self.name,
            "created_at": self.created_at,
            "identity": None if self.identity is None else self.identity.to_json(),
            "verified": self.verified,
            "key_changed": self.key_changed,
            "previous": None if self.previous_identity is None else self.previous_identity.to_json(),
        }

    @classmethod
    def from_json(cls, data: Any) -> Contact:
        try:
            contact = cls(
                phone=data["phone"],
                name=data["name"],
                created_at=float(data["created_at"]),
                identity=None if data["identity"] is None else PublicIdentity.from_json(data["identity"]),
                verified=data["verified"],
                key_changed=data["key_changed"],
                previous_identity=None
                if data["previous"] is None
                else PublicIdentity.from_json(data["previous"]),
            )
        except (KeyError, TypeError, ValueError, CryptoError):
            raise DamagedValue("contact") from None
        if not isinstance(contact.phone, str) or not isinstance(contact.name, str):
            raise DamagedValue("contact")
        return contact

    def __repr__(self) -> str:  # phone numbers and names stay out of logs
        return f"Contact(verified={self.verified}, key_changed={self.key_changed})"


def _same_identity(a: PublicIdentity, b: PublicIdentity) -> bool:
    return hmac.compare_digest(a.encoded(), b.encoded())


class ContactStore:
    """The people this profile talks to, by phone number (E.164, as the engine normalised it)."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def _where(self, phone: str) -> tuple[bytes, str]:
        contact = self._vault.index("contact", phone)
        return contact, f"contact:{contact.hex()}"

    def get(self, phone: str) -> Contact | None:
        key, slot = self._where(phone)
        row = self._vault.conn.execute("SELECT sealed FROM contacts WHERE contact = ?", (key,)).fetchone()
        if row is None:
            return None
        contact = Contact.from_json(self._vault.open_json(slot, row[0], what="contact"))
        if contact.phone != phone:
            raise DamagedValue("contact")
        return contact

    def add(self, phone: str, name: str) -> Contact:
        """A new contact with no key pinned yet; an existing one is returned unchanged."""
        with self._vault.transaction():
            existing = self.get(phone)
            if existing is not None:
                return existing
            contact = Contact(phone=phone, name=name, created_at=self._vault.clock())
            self.save(contact)
        return contact

    def save(self, contact: Contact) -> None:
        """Insert or replace the whole contact."""
        key, slot = self._where(contact.phone)
        sealed = self._vault.seal_json(slot, contact.to_json())
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT INTO contacts (contact, sealed) VALUES (?, ?) "
                "ON CONFLICT (contact) DO UPDATE SET sealed = excluded.sealed",
                (key, sealed),
            )

    def rename(self, phone: str, name: str) -> Contact:
        return self._update(phone, name=name)

    def set_verified(self, phone: str, verified: bool) -> Contact:
        """Mark the pinned key as compared out of band; this also acknowledges a key change."""
        return self._update(phone, verified=verified, key_changed=False if verified else None)

    def acknowledge_key_change(self, phone: str) -> Contact:
        return self._update(phone, key_changed=False)

    def pin_identity(self, phone: str, identity: PublicIdentity) -> tuple[PinResult, Contact]:
        """Trust on first use; a different key later is pinned but flagged, never silently accepted.

        A contact that did not exist yet is made, named by its phone number until renamed.
        """
        with self._vault.transaction():
            contact = self.get(phone)
            if contact is None:
                contact = Contact(phone=phone, name=phone, created_at=self._vault.clock())
            if contact.identity is None:
                result, contact = PinResult.NEW, replace(contact, identity=identity)
            elif _same_identity(contact.identity, identity):
                return PinResult.SAME, contact
            else:
                result = PinResult.CHANGED
                contact = replace(
                    contact,
                    identity=identity,
                    previous_identity=contact.identity,
                    verified=False,
                    key_changed=True,
                )
            self.save(contact)
        return result, contact

    def all(self) -> list[Contact]:
        """Every contact, by name (contacts are few, so they are all opened).

        A contact that does not open is skipped and noted as damage, so the others still show.
        """
        rows = self._vault.conn.execute("SELECT contact, sealed FROM contacts").fetchall()
        contacts = []
        for key, sealed in rows:
            slot = f"contact:{key.hex()}"
            try:
                contacts.append(Contact.from_json(self._vault.open_json(slot, sealed, what="contact")))
            except DamagedValue as exc:
                self._vault.note_damage(slot, exc.what)
        return sorted(contacts, key=lambda c: (c.name.casefold(), c.phone))

    def delete(self, phone: str) -> bool:
        key, _slot = self._where(phone)
        with self._vault.transaction():
            cursor = self._vault.conn.execute("DELETE FROM contacts WHERE contact = ?", (key,))
        return cursor.rowcount > 0

    def _update(
        self,
        phone: str,
        *,
        verified: bool | None = None,
        key_changed: bool | None = None,
        name: str | None = None,
    ) -> Contact:
        with self._vault.transaction():
            contact = self.get(phone)
            if contact is None:
                raise ProfileError("no such contact")
            changes: dict[str, Any] = {}
            if name is not None:
                changes["name"] = name
            if verified is not None:
                changes["verified"] = verified
            if key_changed is not None:
                changes["key_changed"] = key_changed
            contact = replace(contact, **changes)
            self.save(contact)
        return contact
