"""Contacts: nickname, the name they sent, the pinned identity key, verified or changed, and standing.

A contact is one row keyed by its phone number (E.164), with its identity
keys as JSON text; the row lives only inside the encrypted database. Identity keys are trusted on
first use: :meth:`ContactStore.pin_identity` pins the first key it sees, and a
different key later keeps the old one as ``previous_identity``, clears
``verified`` and raises ``key_changed`` until the person has looked at it.

Names: ``name`` is the nickname the person gave the contact ("" for none);
``profile_name`` is the name the contact sent end to end, kept only when its
version (``profile_version``) is newer than the one stored; ``profile_sent`` is
the version of our own name last queued to them. ``picture`` is the small square
JPEG the contact sent with that name (b"" for none, NULL in the row), taken and
replaced together with it. ``standing`` says whether the
contact is ``accepted`` (added by the person, written to first, or a request
accepted), a ``request`` (a stranger who wrote first) or ``blocked``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from crypto_core.errors import CryptoError
from crypto_core.keys import PublicIdentity
from storage.profile.errors import DamagedValue, ProfileError
from storage.profile.vault import Vault

_COLUMNS = (
    "phone, name, created_at, identity, verified, key_changed, previous_identity, "
    "profile_name, profile_version, profile_sent, standing, picture"
)
ACCEPTED, REQUEST, BLOCKED = "accepted", "request", "blocked"
STANDINGS = (ACCEPTED, REQUEST, BLOCKED)
#: The counter of messages from blocked numbers that were dropped unread.
_DROPPED = "blocked_dropped"


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
    profile_name: str = ""
    profile_version: int = 0
    profile_sent: int = 0
    standing: str = ACCEPTED
    #: The profile picture the contact sent (a JPEG), b"" for none.
    picture: bytes = b""

    def to_row(self) -> tuple[Any, ...]:
        return (
            self.phone,
            self.name,
            self.created_at,
            None if self.identity is None else Vault.dump_json(self.identity.to_json()),
            int(self.verified),
            int(self.key_changed),
            None if self.previous_identity is None else Vault.dump_json(self.previous_identity.to_json()),
            self.profile_name,
            self.profile_version,
            self.profile_sent,
            self.standing,
            self.picture or None,
        )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Contact:
        """The contact of a row; :class:`DamagedValue` when a column is not what it must be."""
        phone, name, created_at, identity, verified, key_changed, previous = row[:7]
        profile_name, profile_version, profile_sent, standing, picture = row[7:]
        if not isinstance(phone, str) or not isinstance(name, str) or not isinstance(created_at, float | int):
            raise DamagedValue("contact")
        if not (
            isinstance(profile_name, str)
            and isinstance(profile_version, int)
            and isinstance(profile_sent, int)
            and standing in STANDINGS
            and (picture is None or isinstance(picture, bytes))
        ):
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
                profile_name=profile_name,
                profile_version=profile_version,
                profile_sent=profile_sent,
                standing=standing,
                picture=picture or b"",
            )
        except (KeyError, TypeError, ValueError, CryptoError):
            raise DamagedValue("contact") from None

    def __repr__(self) -> str:  # phone numbers and names stay out of logs
        return f"Contact(verified={self.verified}, key_changed={self.key_changed}, standing={self.standing})"


@dataclass(frozen=True)
class Brief:
    """What fanning out a group's message needs of a member's contact row: no identity key."""

    standing: str
    #: The version of our own name last queued to them.
    profile_sent: int


#: Numbers per query of :meth:`ContactStore.briefs` (SQLite's bound on parameters is far above it).
_BRIEFS_PER_QUERY = 500


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

    def add(self, phone: str, name: str, *, standing: str = ACCEPTED) -> Contact:
        """A new contact with no key pinned yet; an existing one is returned unchanged."""
        with self._vault.transaction():
            existing = self.get(phone)
            if existing is not None:
                return existing
            contact = Contact(phone=phone, name=name, created_at=self._vault.clock(), standing=standing)
            self.save(contact)
        return contact

    def save(self, contact: Contact) -> None:
        """Insert or replace the whole contact."""
        with self._vault.transaction():
            self._vault.conn.execute(
                f"INSERT OR REPLACE INTO contacts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 - constant names
                contact.to_row(),
            )

    def rename(self, phone: str, name: str) -> Contact:
        return self._update(phone, name=name)

    def set_verified(self, phone: str, verified: bool) -> Contact:
        """Mark the pinned key as compared out of band; this also acknowledges a key change."""
        return self._update(phone, verified=verified, key_changed=False if verified else None)

    def acknowledge_key_change(self, phone: str) -> Contact:
        return self._update(phone, key_changed=False)

    def set_standing(self, phone: str, standing: str) -> Contact:
        if standing not in STANDINGS:
            raise ValueError("unknown standing")
        return self._update(phone, standing=standing)

    def set_profile_sent(self, phone: str, version: int) -> Contact:
        return self._update(phone, profile_sent=version)

    def take_profile(self, phone: str, name: str, version: int, picture: bytes = b"") -> Contact | None:
        """Keep the name and picture the contact sent if their version is newer than the one kept.

        Returns the contact if so. The picture replaces the one kept (b"": they have none now).
        """
        with self._vault.transaction():
            contact = self.get(phone)
            if contact is None or version <= contact.profile_version:
                return None
            contact = replace(contact, profile_name=name, profile_version=version, picture=picture)
            self.save(contact)
        return contact

    def dropped_from_blocked(self) -> int:
        """How many messages from blocked numbers were acknowledged and dropped, ever."""
        row = self._vault.conn.execute("SELECT value FROM counters WHERE name = ?", (_DROPPED,)).fetchone()
        return 0 if row is None else int(row[0])

    def count_dropped(self, count: int) -> int:
        with self._vault.transaction():
            total = self.dropped_from_blocked() + count
            self._vault.conn.execute(
                "INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)", (_DROPPED, total)
            )
        return total

    def phones_with_key_changed(self) -> set[str]:
        """The numbers of the contacts whose key changed and is not yet acknowledged.

        Read from the column alone, with no identity key decoded: the outbox asks on every flush.
        """
        rows = self._vault.conn.execute("SELECT phone FROM contacts WHERE key_changed = 1").fetchall()
        return {phone for (phone,) in rows if isinstance(phone, str)}

    def briefs(self, phones: Iterable[str]) -> dict[str, Brief]:
        """The standing and name version of each of ``phones`` that is a contact, a query per 500.

        A group's text reads them for every member; decoding each identity key (as :meth:`get`
        does) would cost more than the rest of the message's storing.
        """
        wanted = list(dict.fromkeys(phones))
        found: dict[str, Brief] = {}
        for start in range(0, len(wanted), _BRIEFS_PER_QUERY):
            chunk = wanted[start : start + _BRIEFS_PER_QUERY]
            rows = self._vault.conn.execute(
                "SELECT phone, standing, profile_sent FROM contacts "  # noqa: S608 - only placeholders
                f"WHERE phone IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            for phone, standing, profile_sent in rows:
                if standing in STANDINGS and isinstance(profile_sent, int):
                    found[phone] = Brief(standing, profile_sent)
                else:
                    self._vault.note_damage(f"contact:{phone!s}", "contact")
        return found

    def with_standing(self, standing: str) -> list[Contact]:
        return [c for c in self.all() if c.standing == standing]

    def pin_identity(
        self, phone: str, identity: PublicIdentity, *, standing: str = ACCEPTED
    ) -> tuple[PinResult, Contact]:
        """Trust on first use; a different key later is pinned but flagged, never silently accepted.

        A contact that did not exist yet is made, with no nickname and the ``standing`` given.
        """
        with self._vault.transaction():
            contact = self.get(phone)
            if contact is None:
                contact = Contact(phone=phone, name="", created_at=self._vault.clock(), standing=standing)
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
        return sorted(contacts, key=lambda c: ((c.name or c.profile_name or c.phone).casefold(), c.phone))

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
        standing: str | None = None,
        profile_sent: int | None = None,
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
            if standing is not None:
                changes["standing"] = standing
            if profile_sent is not None:
                changes["profile_sent"] = profile_sent
            contact = replace(contact, **changes)
            self.save(contact)
        return contact
