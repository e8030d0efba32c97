"""What every part of the engine shares while a profile is unlocked, and the views it reports.

One :class:`Context` per unlocked profile: the profile, our identity, time and
randomness (injectable, as in Fernet), the event callback, and helpers that
every part needs the same way: fresh ids, session records, and the views
(:class:`~net.client.core.events.ContactView`, :class:`~net.client.core.events.MessageView`) built from
stored rows. Safety numbers cost 2 x 5,200 SHA-512 rounds, so they are cached
per pair of identities.

:meth:`Context.storing` is the one door through which a full disk or a damaged
profile file reaches the engine's caller: an :class:`~net.client.core.engine_error.EngineError`
(``disk_full`` or ``profile_damaged``) for the call, and events for the window:
``ErrorReported("disk_full")`` and :class:`~net.client.core.events.DiskSpaceChanged` once when
the disk fills up, ``DiskSpaceChanged(full=False)`` when a write works again, and
``ErrorReported("profile_damaged")`` once per part of the profile found damaged.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from crypto_core.encoding import RandomSource, default_random
from crypto_core.errors import CryptoError
from crypto_core.keys import IdentityKeyPair, PublicIdentity
from crypto_core.safety_number import safety_number
from net.client.core.engine_error import EngineError
from net.client.core.envelope import check_text
from net.client.core.events import (
    ContactView,
    DiskSpaceChanged,
    ErrorReported,
    Event,
    MessageStatus,
    MessageView,
)
from net.client.file_views import attachment_view
from net.client.record_cache import RecordCache
from net.client.sessions import SessionRecord
from net.protocol.client_ids import time_ordered_id
from net.protocol.validation import ValidationError, normalize_phone
from storage.profile.contacts import Contact
from storage.profile.errors import DiskFull, ProfileDamaged
from storage.profile.history import Message
from storage.profile.profile import Profile

Clock = Callable[[], float]
Emit = Callable[[Event], None]
#: What the profile raises when its file fails: a full disk, or damage (see :meth:`Context.storing`).
STORAGE_FAILURES = (DiskFull, ProfileDamaged)

DISK_FULL = (
    "The disk is full, so Parley cannot store anything new. Free some space on it: what arrives "
    "meanwhile is kept and stored then, and nothing is lost."
)
#: What could not be read, by the part of the engine that tried; the words say "damaged".
_DAMAGED_PART = {
    "account": "this profile's account settings",
    "contacts": "some of your contacts",
    "history": "some of your messages",
    "sending": "the messages waiting to be sent",
    "groups": "some of your groups",
    "poll": "what arrived or waits to be sent (what arrived stays on the server)",
}


@dataclass
class Context:
    profile: Profile
    emit: Emit
    clock: Clock = time.time
    random: RandomSource = default_random
    #: Time for the engine's decisions (pauses, windows, backoff): monotonic, injectable like ``clock``.
    monotonic: Clock = time.monotonic
    identity: IdentityKeyPair | None = None
    _safety: dict[tuple[bytes, str, bytes, str], str] = field(default_factory=dict, repr=False)
    #: Authors of group changes kept waiting for their identity: the duties fetch their bundles.
    group_authors: set[str] = field(default_factory=set, repr=False)
    _damaged_parts: set[str] = field(default_factory=set, repr=False)
    #: Decoded session records, valid while the stored bytes are the ones they were stored as.
    _records: RecordCache[SessionRecord] = field(default_factory=RecordCache, repr=False)
    _full_shown: bool = False

    def now_ms(self) -> int:
        return round(self.clock() * 1000)

    def new_id(self, prefix: str) -> str:
        """A fresh client id: the time, then random bits (``net/protocol/client_ids.py`` says why)."""
        return time_ordered_id(prefix, self.now_ms(), self.random)

    @property
    def phone(self) -> str | None:
        return self.profile.account.get().phone

    def me(self) -> str:
        """Our own number, which a group names us by; EngineError before registration."""
        phone = self.phone
        if phone is None:
            raise EngineError("not_registered", "Register this profile with a server first.")
        return phone

    def require_identity(self) -> IdentityKeyPair:
        if self.identity is None:
            raise EngineError("not_registered", "Register this profile with a server first.")
        return self.identity

    # ------------------------------------------------------------------ a full disk, a damaged file

    @contextmanager
    def storing(self, part: str) -> Iterator[None]:
        """Profile work of one command (or poll round) in ``part``: failures of the file become EngineError.

        A full disk is ``disk_full``; a damaged file is ``profile_damaged``, reported
        once per part as an event too. The words never hold SQLite's message.
        """
        try:
            with self.profile.guarded():
                yield
        except DiskFull:
            raise EngineError("disk_full", DISK_FULL) from None
        except ProfileDamaged:
            words = damaged_words(part)
            if part not in self._damaged_parts:
                self._damaged_parts.add(part)
                self.emit(ErrorReported("profile_damaged", words, part))
            raise EngineError("profile_damaged", words) from None
        finally:
            self.note_space()

    def note_space(self) -> None:
        """Tell the window when the disk became full or writes work again (once per change)."""
        full = self.profile.disk_full
        if full != self._full_shown:
            self._full_shown = full
            if full:  # reported once as an error too, for whoever only listens for errors
                self.emit(ErrorReported("disk_full", DISK_FULL, "storage"))
            self.emit(DiskSpaceChanged(full, DISK_FULL if full else ""))

    # ------------------------------------------------------------------ sessions

    def load_record(self, phone: str, device: int = 1) -> SessionRecord:
        """The sessions with one device of ``phone``; none if the stored ones are damaged (reported once).

        A damaged session must not stop every later message to or from that contact:
        with none, sending starts a new session (which replaces the damaged row) and
        a message that needed the old one is undecryptable, which heals the same way.

        The record returned is the caller's to change; only :meth:`save_record` lets a later load
        reuse it instead of decoding the stored bytes again (:mod:`net.client.record_cache`).
        """
        key = (phone, device)
        try:
            stored = self.profile.sessions.get(phone, device)  # a damaged row raises here (DamagedValue)
            kept = self._records.take(key, stored)
            if kept is not None:
                return kept
            return SessionRecord.from_bytes(stored, random=self.random, clock=self.clock)
        except CryptoError:
            self._records.forget(key)
            self.profile.note_damage(f"session:{phone}:{device}", "session")
            return SessionRecord.from_bytes(None, random=self.random, clock=self.clock)

    def save_record(self, phone: str, record: SessionRecord, device: int = 1) -> None:
        data = record.to_bytes()
        self.profile.sessions.put(phone, data, device)
        self._records.stored((phone, device), data, record)

    # ------------------------------------------------------------------ contacts

    def contact(self, phone: str) -> Contact:
        found = self.profile.contacts.get(phone)
        if found is None:
            raise EngineError("unknown_contact", "That number is not in your contacts; add it first.")
        return found

    def safety_number_of(self, contact: Contact) -> str:
        own = self.identity
        own_phone = self.phone
        if own is None or own_phone is None or contact.identity is None:
            return ""
        key = (own.public.encoded(), own_phone, contact.identity.encoded(), contact.phone)
        if key not in self._safety:
            self._safety[key] = safety_number(own.public, own_phone, contact.identity, contact.phone)
        return self._safety[key]

    def previous_safety_number(self, contact: Contact) -> str:
        previous: PublicIdentity | None = contact.previous_identity
        if previous is None:
            return ""
        return self.safety_number_of(Contact(contact.phone, contact.name, contact.created_at, previous))

    def report_damage(self) -> None:
        """Tell the person, once per value, about stored values that did not open and were skipped."""
        found = self.profile.take_damage()
        if not found:
            return
        kinds = ", ".join(
            f"{found.count(what)} {_plural(what, found.count(what))}" for what in dict.fromkeys(found)
        )
        self.emit(
            ErrorReported(
                "profile_damaged",
                f"Parley could not open {kinds} in this profile: the file is damaged or was altered. "
                "Everything else is shown and works as usual.",
                "profile",
            )
        )

    def contact_view(self, contact: Contact) -> ContactView:
        return ContactView(
            phone=contact.phone,
            name=contact.name,
            verified=contact.verified,
            key_changed=contact.key_changed,
            safety_number=self.safety_number_of(contact),
            profile_name=contact.profile_name,
            standing=contact.standing,
            key_id=key_id(contact),
            picture=contact.picture,
        )


def key_id(contact: Contact) -> str:
    """A short fingerprint of the contact's pinned identity key ("" before one is pinned).

    Not secret (the key is public) and not a safety number: the window derives an avatar's colour
    from it, so the colour stays when the contact is renamed and changes when the key does.
    """
    if contact.identity is None:
        return ""
    return hashlib.sha256(b"Parley key id v1\x00" + contact.identity.encoded()).hexdigest()[:16]


def damaged_words(part: str) -> str:
    what = _DAMAGED_PART.get(part, "part of this profile")
    return (
        f"This profile file is damaged: Parley could not read {what}. The file was left as it is; "
        "everything else is shown and works as usual."
    )


def _plural(what: str, count: int) -> str:
    return f"stored {what}" if count == 1 else f"stored {what.replace('entry', 'entrie')}s"


def message_view(message: Message) -> MessageView:
    meta = message.meta
    notice = "" if message.kind == "text" else message.kind
    if message.kind in _GROUP_NOTICES:
        notice = str(meta.get("k", "") or message.kind)
    detail = str(meta.get("name", "") or "") if notice != "change_ignored" else str(meta.get("kind", ""))
    return MessageView(
        message_id=message.client_id,
        contact=message.contact,
        outgoing=message.outgoing,
        text=message.text,
        timestamp=message.timestamp,
        status=MessageStatus(message.status),
        sent_at=_sent_at(message),
        notice=notice,
        group_id=message.group,
        sender=message.sender,
        notice_by=str(meta.get("by", "") or "") if notice else "",
        notice_who=str(meta.get("who", "") or "") if notice else "",
        notice_detail=detail if notice else "",
        notice_reason=str(meta.get("reason", "") or "") if notice else "",
        attachment=attachment_view(message.attachment),
    )


#: The kinds of stored notice whose meta says which group change they note.
_GROUP_NOTICES = frozenset({"group_change", "group_change_ignored"})


def _sent_at(message: Message) -> float:
    """The sender's time: our own for what we wrote, the envelope's ``ts`` (kept in meta) for the rest."""
    if message.outgoing:
        return message.timestamp
    sent = message.meta.get("sent")
    if isinstance(sent, int) and not isinstance(sent, bool) and sent > 0:
        return sent / 1000
    return 0.0


def checked_text(text: str) -> None:
    """A text one may send (1:1 or to a group), or EngineError("too_long" / "empty") in words."""
    try:
        check_text(text)
    except ValueError as exc:
        raise EngineError("too_long", f"{str(exc).capitalize()}.") from None
    if not text.strip():
        raise EngineError("empty", "There is nothing to send.")


def checked_phone(text: str) -> str:
    """The E.164 form of a number a person typed, or EngineError("bad_phone") in their words."""
    try:
        return normalize_phone(text)
    except ValidationError as exc:
        raise EngineError("bad_phone", str(exc)) from None
