"""Contacts: display name, the pinned identity key, and whether it was verified or changed.

A contact is one row keyed by its phone number (E.164), with its identity
keys as JSON text; the row lives only inside the encrypted database. Identity keys are trusted on
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
from storage.profile.vault import Vault

_COLUMNS = "phone, name, created_at, identity, verified, key_changed, previous_identity"


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

    def to_row(self) -> tuple[Any, ...]:
        return (
            self.phone,
            self.name,
            self.created_at,
            None if self.identity is None else Vault.dump_json(self.identity.to_json()),
            int(self.verified),
            int(self.key_changed),
            None if self.previous_identity is None else Vault.dump_json(self.previous_identity.to_json()),
        )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Contact:
        """The contact of a row; :class:`DamagedValue` when a column is not what it must be."""
        phone, name, created_at, identity, verified, key_changed, previous = row
        if not isinstance(phone, str) or not isinstance(name, str) or not isinstance(created_at, float | int):
            raise DamagedValue("contact")
        try:
            return cls(
                phone=phone,
                name=name,
                created_at=float(created_at),
                identity=_identity(identity),
                verified=bool(verified),
                key_changed=bool(key_changed),
                previous_identity=_identity(previous),
            )
        except (KeyError, TypeError, ValueError, CryptoError):
            raise DamagedValue("contact") from None

    def __repr__(self) -> str:  # phone numbers and names stay out of logs
        return f"Contact(verified={self.verified}, key_changed={self.key_changed})"


def _identity(text: object) -> PublicIdentity | None:
    if text is None:
        return None
    return PublicIdentity.from_json(Vault.load_json(text, what="contact"))


def _same_identity(a: PublicIdentity, b: PublicIdentity) -> bool:
    return hmac.compare_digest(a.encoded(), b.encoded())


class ContactStore:
    """The people this profile talks to, by phone number (E.164, as the engine normalised it)."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def get(self, phone: str) -> Contact | None:
        row = self._vault.conn.execute(
            f"SELECT {_COLUMNS} FROM contacts WHERE phone = ?",  # noqa: S608 - constant names
            (phone,),
        ).fetchone()
        return None if row is None else Contact.from_row(row)

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
        with self._vault.transaction():
            self._vault.conn.execute(
                f"INSERT OR REPLACE INTO contacts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 - constant names
                contact.to_row(),
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
        rows = self._vault.conn.execute(f"SELECT {_COLUMNS} FROM contacts").fetchall()  # noqa: S608 - names are constants, values are parameters
        contacts = []
        for row in rows:
            try:
                contacts.append(Contact.from_row(row))
            except DamagedValue as exc:
                self._vault.note_damage(f"contact:{row[0]!s}", exc.what)
        return sorted(contacts, key=lambda c: (c.name.casefold(), c.phone))

    def delete(self, phone: str) -> bool:
        with self._vault.transaction():
            cursor = self._vault.conn.execute("DELETE FROM contacts WHERE phone = ?", (phone,))
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
