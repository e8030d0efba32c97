"""What one of our devices tells our others: the payloads that keep linked devices in step.

They travel like every payload (sealed per (our phone, device) session, padded) but only between
devices of one account; :mod:`net.client.sync` applies them, and nothing from our own phone is
shown as an incoming message. Four kinds, compact JSON:

=================  ============================================================================
``sync_sent``      ``{"t": "sync_sent", "to": phone | "g": group id, "p": base64 payload}``: a
                   copy of what this device sent (a text, an action, a timer, a group's text):
                   the other devices take it as if they had sent it themselves
``sync_read``      ``{"t": "sync_read", "c": phone or group id, "up_to": message id, "by": sender}``:
                   the conversation is read up to that incoming message (``by`` its sender in a
                   group, "" for a 1:1 conversation)
``sync_contact``   ``{"t": "sync_contact", "phone", "name", "standing", "verified", "id"}``: a
                   contact added or renamed, blocked or unblocked, its verified mark set or cleared;
                   ``id`` is the identity key pinned for it (absent: none yet), so that a mark is
                   taken only for the same key (where none is pinned, it is pinned with it)
``sync_settings``  ``{"t": "sync_settings", "read_receipts", "typing_notices", "notifications"}``
=================  ============================================================================

Pure: no profile, no socket. Parsing is strict (:class:`MalformedEnvelope`, never quoting the
input), like :mod:`net.client.core.envelope`'s, whose :func:`decode_payload` hands these kinds here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeGuard

from crypto_core.encoding import b64decode, b64encode
from crypto_core.errors import CryptoError
from crypto_core.keys import PublicIdentity
from net.client.core.malformed import MalformedEnvelope
from net.client.core.privacy import PrivacySettings
from net.client.core.standing import Standing
from net.protocol.validation import ValidationError, normalize_phone

SENT, READ, CONTACT, SETTINGS = "sync_sent", "sync_read", "sync_contact", "sync_settings"
KINDS = frozenset({SENT, READ, CONTACT, SETTINGS})
#: The most a copied payload may be: a text's payload at its largest, with room to spare.
MAX_COPIED = 96 * 1024
_MAX_NAME = 64
_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclass(frozen=True)
class SyncSent:
    """What this device sent to ``to`` (a phone) or to ``group``: ``payload`` is its encoded payload."""

    payload: bytes
    to: str | None = None
    group: str | None = None

    def __post_init__(self) -> None:
        if (self.to is None) == (self.group is None):
            raise ValueError("a sync copy names a contact or a group, not both")

    def __repr__(self) -> str:  # the copied payload stays out of logs
        return f"SyncSent(group={self.group is not None})"


@dataclass(frozen=True)
class ReadSync:
    """The conversation ``conversation`` is read up to the incoming message ``up_to`` (from ``by``)."""

    conversation: str
    up_to: str
    by: str = ""


@dataclass(frozen=True)
class ContactSync:
    """A contact as this device now keeps it: name, standing, verified mark, pinned identity."""

    phone: str
    name: str
    standing: Standing
    verified: bool
    identity: PublicIdentity | None = None

    def __repr__(self) -> str:  # numbers and names stay out of logs
        return f"ContactSync(standing={self.standing.value}, verified={self.verified})"


@dataclass(frozen=True)
class SettingsSync:
    settings: PrivacySettings


SyncPayload = SyncSent | ReadSync | ContactSync | SettingsSync


def fields(payload: SyncPayload) -> dict[str, Any]:
    """The JSON object of a sync payload (the envelope pads and encodes it)."""
    if isinstance(payload, SyncSent):
        target = {"to": payload.to} if payload.to is not None else {"g": payload.group}
        return {"t": SENT, **target, "p": b64encode(payload.payload)}
    if isinstance(payload, ReadSync):
        return {"t": READ, "c": payload.conversation, "up_to": payload.up_to, "by": payload.by}
    if isinstance(payload, ContactSync):
        obj: dict[str, Any] = {
            "t": CONTACT,
            "phone": payload.phone,
            "name": payload.name,
            "standing": payload.standing.value,
            "verified": payload.verified,
        }
        if payload.identity is not None:
            obj["id"] = payload.identity.to_json()
        return obj
    return {"t": SETTINGS, **payload.settings.to_json()}


def parse(obj: dict[str, Any]) -> SyncPayload:
    """A sync payload from its JSON object (``obj["t"]`` is one of :data:`KINDS`)."""
    kind = obj.get("t")
    if kind == SENT:
        return _sent(obj)
    if kind == READ:
        conversation, up_to, by = obj.get("c"), obj.get("up_to"), obj.get("by", "")
        if not (_is_conversation(conversation) and _is_id(up_to) and (by == "" or _is_phone(by))):
            raise MalformedEnvelope("read sync: a field is malformed")
        return ReadSync(conversation, up_to, by)
    if kind == CONTACT:
        return _contact(obj)
    if kind == SETTINGS:
        try:
            return SettingsSync(PrivacySettings.from_json({k: v for k, v in obj.items() if k != "t"}))
        except ValueError:
            raise MalformedEnvelope("settings sync: a field is malformed") from None
    raise MalformedEnvelope("sync payload: unknown kind")


def _sent(obj: dict[str, Any]) -> SyncSent:
    to, group, copied = obj.get("to"), obj.get("g"), obj.get("p")
    if (to is None) == (group is None):
        raise MalformedEnvelope("sync copy: names neither a contact nor a group, or both")
    if to is not None and not _is_phone(to):
        raise MalformedEnvelope("sync copy: bad number")
    if group is not None and not _is_id(group):
        raise MalformedEnvelope("sync copy: bad group id")
    if not isinstance(copied, str) or len(copied) > MAX_COPIED * 4 // 3 + 4:
        raise MalformedEnvelope("sync copy: bad payload")
    try:
        payload = b64decode(copied, what="sync copy")
    except CryptoError:
        raise MalformedEnvelope("sync copy: bad payload") from None
    return SyncSent(payload, to, group)


def _contact(obj: dict[str, Any]) -> ContactSync:
    phone, name, standing, verified = (
        obj.get("phone"),
        obj.get("name"),
        obj.get("standing"),
        obj.get("verified"),
    )
    if not (
        _is_phone(phone)
        and isinstance(name, str)
        and len(name) <= _MAX_NAME
        and isinstance(verified, bool)
        and standing in {s.value for s in Standing}
    ):
        raise MalformedEnvelope("contact sync: a field is malformed")
    identity = None
    if "id" in obj:
        try:
            identity = PublicIdentity.from_json(obj["id"])
            identity.verify()
        except CryptoError:
            raise MalformedEnvelope("contact sync: a malformed identity") from None
    return ContactSync(phone, name, Standing(standing), verified, identity)


def _is_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _is_phone(value: object) -> TypeGuard[str]:
    if not isinstance(value, str):
        return False
    try:
        return normalize_phone(value) == value
    except ValidationError:
        return False


def _is_conversation(value: object) -> TypeGuard[str]:
    return _is_phone(value) or _is_id(value)
