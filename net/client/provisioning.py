"""What an existing device hands a newly linked one, and how the new one takes it in one transaction.

The *provisioning* is one JSON document (canonical, so it can be compared and pinned),
version :data:`VERSION`, sealed to the link's one-time key (crypto_core/linking.py) by the
driver (net/client/linking.py)::

    {"v": 1, "phone", "identity": the identity key pair (private), "display_name", "picture" (b64),
     "contacts": [{phone, name, created_at, identity?, verified, key_changed, previous_identity?,
                   profile_name, profile_version, profile_sent, standing, picture}],
     "devices": {phone: [ids]} (what the existing device knows, its own account included),
     "groups": [{group_id, standing, state, changes: [{change_id, version, author, signed, outcome}]}],
     "settings": {name: value} (privacy: read receipts, typing, notifications; declined groups),
     "timers": [{chat, seconds, set_at_ms, set_by}],
     "history": [...] (only when the person ticked it: net/client/provisioning_history.py)}

What stays on each device and never travels: prekeys and sessions (each device has its own),
the outbox, the server pins (the new device pinned the same server itself), the passphrase.

:func:`apply` writes all of it in one profile transaction: a failure (a full disk, a value
that does not parse) leaves the new profile as it was, not half linked. Everything read
from the document is checked first (:class:`ProvisioningError`, in words).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from typing import Any

from crypto_core.encoding import canonical_json, parse_json
from crypto_core.errors import CryptoError
from crypto_core.keys import IdentityKeyPair, PublicIdentity
from net.client import provisioning_history
from net.client.context import Context
from net.client.provisioning_history import ProvisioningError, chat_json, chat_of
from storage.profile.contacts import STANDINGS, Contact
from storage.profile.groups import NewChange
from storage.profile.messages import Chat, GroupChat

__all__ = ["VERSION", "ProvisioningError", "apply", "decode", "encode", "gather"]

VERSION = 1
#: The settings that travel: the person's choices, not a device's working state.
SETTINGS = ("privacy", "groups.declined")


def gather(ctx: Context, *, history: bool, now_ms: int) -> dict[str, Any]:
    """The provisioning of this profile, for a new device of the same account."""
    profile = ctx.profile
    account = profile.account.get()
    if account.phone is None or not account.registered:
        raise ProvisioningError("this profile is not registered")
    me = account.phone
    contacts = profile.contacts.all()
    phones = [c.phone for c in contacts]
    doc: dict[str, Any] = {
        "v": VERSION,
        "phone": me,
        "identity": ctx.require_identity().to_json(),
        "display_name": profile.account.display_name(),
        "picture": _b64(profile.account.profile_picture()),
        "contacts": [_contact_json(c) for c in contacts],
        "devices": {phone: profile.devices.of(phone) for phone in [me, *phones]},
        "groups": [_group_json(ctx, g.group_id) for g in profile.groups.all()],
        "settings": {name: value for name in SETTINGS if (value := profile.settings.get(name)) is not None},
        "timers": _timers_json(ctx),
    }
    if history:
        doc["history"] = provisioning_history.gather(ctx, now_ms=now_ms)
    return doc


def encode(doc: dict[str, Any]) -> bytes:
    return canonical_json(doc)


def decode(data: bytes) -> dict[str, Any]:
    """The checked outline of a provisioning (each part is checked again as it is applied)."""
    try:
        doc = parse_json(data, what="provisioning")
    except CryptoError:
        raise ProvisioningError("the account's data did not arrive whole") from None
    if not isinstance(doc, dict) or doc.get("v") != VERSION:
        raise ProvisioningError("the other computer runs a Parley this one does not understand")
    for name, kind in (("phone", str), ("identity", dict), ("contacts", list), ("groups", list)):
        if not isinstance(doc.get(name), kind):
            raise ProvisioningError(f"the account's data lacks its {name}")
    return doc


def identity_of(doc: dict[str, Any]) -> IdentityKeyPair:
    try:
        return IdentityKeyPair.from_json(doc["identity"])
    except (CryptoError, KeyError, TypeError, ValueError):
        raise ProvisioningError("the account's identity key does not parse") from None


def apply(ctx: Context, doc: dict[str, Any], *, device: int, devices: list[int]) -> IdentityKeyPair:
    """Make this profile the account's ``device``, all in one transaction; returns the identity."""
    profile = ctx.profile
    identity = identity_of(doc)
    phone = doc["phone"]
    contacts = [_contact(item) for item in doc["contacts"]]
    with profile.transaction():
        profile.keys.set_identity(identity, replace=True)
        account = profile.account.get()
        profile.account.save(replace(account, phone=phone, registered=True))
        profile.devices.set_own(device)
        name = doc.get("display_name")
        if isinstance(name, str) and name:
            profile.account.set_display_name(name)
        profile.account.set_profile_picture(_unb64(doc.get("picture", ""), "picture"))
        for contact in contacts:
            profile.contacts.save(contact)
        known = doc.get("devices")
        if isinstance(known, dict):
            for who, ids in known.items():
                if who != phone and isinstance(ids, list) and ids and all(_device_id(i) for i in ids):
                    profile.devices.set_of(who, ids)
        profile.devices.set_of(phone, devices)
        for group in doc["groups"]:
            _apply_group(ctx, group)
        settings = doc.get("settings")
        if isinstance(settings, dict):
            for key in SETTINGS:
                if key in settings:
                    profile.settings.put(key, settings[key])
        for timer in _list(doc.get("timers", [])):
            _apply_timer(ctx, timer)
        if "history" in doc:
            provisioning_history.apply(ctx, doc["history"])
    ctx.identity = identity
    return identity


# ---------------------------------------------------------------------------------------- parts


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise ProvisioningError(f"the {what} does not parse")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProvisioningError(f"the {what} does not parse") from None


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise ProvisioningError("a list in the account's data does not parse")
    return value


def _device_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**31


def _contact_json(contact: Contact) -> dict[str, Any]:
    return {
        "phone": contact.phone,
        "name": contact.name,
        "created_at": contact.created_at,
        "identity": None if contact.identity is None else contact.identity.to_json(),
        "verified": contact.verified,
        "key_changed": contact.key_changed,
        "previous_identity": None
        if contact.previous_identity is None
        else contact.previous_identity.to_json(),
        "profile_name": contact.profile_name,
        "profile_version": contact.profile_version,
        "profile_sent": contact.profile_sent,
        "standing": contact.standing,
        "picture": _b64(contact.picture),
    }


def _contact(item: object) -> Contact:
    try:
        assert isinstance(item, dict)
        identity, previous = item.get("identity"), item.get("previous_identity")
        contact = Contact(
            phone=str(item["phone"]),
            name=str(item["name"]),
            created_at=float(item["created_at"]),
            identity=None if identity is None else PublicIdentity.from_json(identity),
            verified=bool(item["verified"]),
            key_changed=bool(item["key_changed"]),
            previous_identity=None if previous is None else PublicIdentity.from_json(previous),
            profile_name=str(item["profile_name"]),
            profile_version=int(item["profile_version"]),
            profile_sent=int(item["profile_sent"]),
            standing=str(item["standing"]),
            picture=_unb64(item["picture"], "contact's picture"),
        )
    except (AssertionError, KeyError, TypeError, ValueError, CryptoError):
        raise ProvisioningError("a contact in the account's data does not parse") from None
    if contact.standing not in STANDINGS:
        raise ProvisioningError("a contact in the account's data does not parse")
    return contact


def _group_json(ctx: Context, group_id: str) -> dict[str, Any]:
    stored = ctx.profile.groups.get(group_id)
    assert stored is not None
    changes = [
        {
            "change_id": c.change_id,
            "version": c.version,
            "author": c.author,
            "signed": c.signed,
            "outcome": c.outcome,
        }
        for c in ctx.profile.groups.changes(group_id)
    ]
    return {"group_id": group_id, "standing": stored.standing, "state": stored.state, "changes": changes}


def _apply_group(ctx: Context, item: object) -> None:
    try:
        assert isinstance(item, dict)
        group_id, standing, state = str(item["group_id"]), str(item["standing"]), item.get("state")
        changes = [
            NewChange(
                change_id=str(c["change_id"]),
                version=int(c["version"]),
                author=str(c["author"]),
                signed=dict(c["signed"]),
                outcome=str(c["outcome"]),
            )
            for c in _list(item["changes"])
        ]
        ctx.profile.groups.upsert(group_id, standing, state=state if isinstance(state, dict) else None)
        ctx.profile.groups.put_changes(group_id, changes)
    except (AssertionError, KeyError, TypeError, ValueError) as exc:
        raise ProvisioningError(
            f"a group in the account's data does not parse ({exc.__class__.__name__})"
        ) from None


def _timers_json(ctx: Context) -> list[dict[str, Any]]:
    found = []
    for key in ctx.profile.timers.chats():
        chat: Chat = GroupChat(key[2:]) if key.startswith("g:") else key[2:]
        timer = ctx.profile.timers.chat(chat)
        found.append(
            {
                "chat": chat_json(chat),
                "seconds": timer.seconds,
                "set_at_ms": timer.set_at_ms,
                "set_by": timer.set_by,
            }
        )
    return found


def _apply_timer(ctx: Context, item: object) -> None:
    if not isinstance(item, dict):
        raise ProvisioningError("a timer in the account's data does not parse")
    try:
        chat = chat_of(item.get("chat"))
        ctx.profile.timers.set_chat(chat, int(item["seconds"]), int(item["set_at_ms"]), str(item["set_by"]))
    except (KeyError, TypeError, ValueError):
        raise ProvisioningError("a timer in the account's data does not parse") from None
