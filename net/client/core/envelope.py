"""The end-to-end format: what travels inside the server's opaque ``body``, and inside the ratchet.

Outer envelope (the ``body`` of a ``send``), canonical JSON, version 1::

    {"v": 1,
     "sid": base64(16 bytes),    which session sealed it (see net.client.sessions)
     "cid": "...",               the sender's client id for this send (the server sees it anyway)
     "init": {...},              PQXDH initial message; only until the peer has answered
     "msg": base64(...)}         a Double Ratchet message (crypto_core.ratchet)

The ``cid`` lets a recipient that cannot decrypt a message name it in its
session-reset notice, so the sender sends it again instead of losing it.

Inner payload (the ratchet's plaintext): compact JSON, padded with spaces to a
multiple of :data:`PAD_TO` bytes so that short messages, receipts and typing
notices look alike on the wire. One small typed object:

================  ==============================================================
``text``          ``{"t": "text", "id": message id, "ts": sent (ms), "text": "..."}``;
                  a group text adds ``"g"``, ``"gv"``, ``"gd"`` (:class:`GroupTag`); a picture
                  or a file adds ``"file"`` (:mod:`net.client.core.attachment`), the text its caption
                  or ``"reply"`` (:class:`~net.client.core.actions.ReplyRef`: the quoted message);
                  one sent under a disappearing timer ``"exp"`` (seconds)
``timer``         a conversation's disappearing timer set (:mod:`net.client.core.disappearing`)
``react``, ``edit``, ``delete``  what people do with a message (:mod:`net.client.core.actions`)
``delivered``     ``{"t": "delivered", "ids": [message ids]}``
``read``          ``{"t": "read", "ids": [message ids]}``
``typing``        ``{"t": "typing", "on": true|false}`` (sent transient: never queued);
                  a group's adds ``"g"``
``reset``         ``{"t": "reset", "failed": [client ids it could not decrypt]}``
``profile``       ``{"t": "profile", "name": "...", "v": version, "pic": b64}`` (the sender's display
                  name and profile picture; ``pic`` absent when they have none)
``group_change``  ``{"t": "group_change", "change": {...}, "sig": b64}`` (one signed change)
``group_state``   ``{"t": "group_state", "g": group id, "changes": [...], "want": bool}``
``sync_*``        between our own devices only (:mod:`net.client.core.sync_payloads`)
================  ==============================================================

The group payloads and fields are :mod:`net.client.core.group_payloads`'s, the
change inside them :mod:`net.client.core.group_changes`'s; a malformed change is
:class:`~net.client.core.group_changes.BadGroupChange` (a :class:`MalformedEnvelope`).
A 1:1 text or typing notice has no group field and is byte for byte what it was.

Receipts, typing notices and profiles never cause receipts. A profile's name is
1 to 64 characters in NFC with no control or direction characters (the rule
of ``net.protocol.validation.validate_display_name``), its version a positive
integer; anything else is :class:`BadProfile` (a :class:`MalformedEnvelope`). The picture is a JPEG
of at most :data:`MAX_PICTURE` bytes (48 KiB); one that is not (too large, not base64, not a JPEG)
does not spoil the name: the payload keeps the name and version, no picture, and says why in
``picture_refused``. Parsing is strict: anything else is :class:`MalformedEnvelope`, which never
quotes the input.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, TypeGuard

from crypto_core.encoding import b64decode, b64encode, canonical_json
from crypto_core.errors import CryptoError
from crypto_core.pqxdh import InitialMessage
from net.client.core import actions, disappearing, sync_payloads
from net.client.core.actions import Action, ReplyRef
from net.client.core.attachment import FileInfo, parse_file
from net.client.core.disappearing import TimerChange
from net.client.core.group_payloads import GroupChangePayload as GroupChangePayload
from net.client.core.group_payloads import GroupStatePayload as GroupStatePayload
from net.client.core.group_payloads import GroupTag as GroupTag
from net.client.core.group_payloads import (
    change_fields,
    parse_group_change,
    parse_group_of_typing,
    parse_group_state,
    parse_tag,
    state_fields,
    tag_fields,
)
from net.client.core.malformed import MalformedEnvelope as MalformedEnvelope
from net.client.core.sync_payloads import ContactSync, ReadSync, SettingsSync, SyncPayload, SyncSent
from net.protocol.validation import ValidationError, validate_display_name

VERSION = 1
SESSION_ID_LEN = 16
PAD_TO = 64
MAX_TEXT = 64 * 1024
MAX_IDS = 1000
_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class BadProfile(MalformedEnvelope):
    """A profile payload whose name or version breaks the rules: ignored, and noted."""


# --------------------------------------------------------------------------- outer envelope


@dataclass(frozen=True)
class Envelope:
    session_id: bytes
    client_id: str
    message: bytes
    initial: InitialMessage | None = None

    def to_bytes(self) -> bytes:
        obj: dict[str, Any] = {
            "v": VERSION,
            "sid": b64encode(self.session_id),
            "cid": self.client_id,
            "msg": b64encode(self.message),
        }
        if self.initial is not None:
            obj["init"] = self.initial.to_json()
        return canonical_json(obj)

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        obj = _object(data, "envelope")
        if obj.get("v") != VERSION:
            raise MalformedEnvelope("envelope: unknown version")
        client_id = obj.get("cid")
        if not isinstance(client_id, str) or not _ID.fullmatch(client_id):
            raise MalformedEnvelope("envelope: bad client id")
        try:
            session_id = b64decode(obj.get("sid"), length=SESSION_ID_LEN, what="envelope sid")
            message = b64decode(obj.get("msg"), what="envelope msg")
            init = obj.get("init")
            initial = None if init is None else InitialMessage.from_json(init)
        except CryptoError:
            raise MalformedEnvelope("envelope: a field is malformed") from None
        return cls(session_id, client_id, message, initial)

    def __repr__(self) -> str:
        return f"Envelope(client_id={self.client_id!r}, initial={self.initial is not None})"


# --------------------------------------------------------------------------- inner payloads


@dataclass(frozen=True)
class Text:
    message_id: str
    sent_at_ms: int
    text: str
    #: The group a group text goes to, with the sender's version and digest of it; None for 1:1.
    group: GroupTag | None = None
    #: The picture or file the text announces (``text`` is then its caption); None for a plain text.
    file: FileInfo | None = None
    #: The message this one answers; None for one that answers none.
    reply: ReplyRef | None = None
    #: The disappearing timer it was sent under (seconds, ``exp``); 0 for none.
    exp: int = 0

    def __repr__(self) -> str:  # the text stays out of logs
        return f"Text(message_id={self.message_id!r})"


@dataclass(frozen=True)
class Delivered:
    message_ids: tuple[str, ...]


@dataclass(frozen=True)
class Read:
    message_ids: tuple[str, ...]


@dataclass(frozen=True)
class Typing:
    on: bool
    #: The group whose conversation the sender types in; None for 1:1.
    group_id: str | None = None


@dataclass(frozen=True)
class SessionReset:
    failed_client_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProfilePayload:
    """The sender's display name and picture; ``version`` grows with each change: an older one never wins."""

    name: str
    version: int
    #: Their profile picture, a JPEG of at most MAX_PICTURE bytes; b"" for none (or one refused).
    picture: bytes = b""
    #: Why the picture that came was not taken, in words ("" when it was, or none came).
    picture_refused: str = ""

    def __repr__(self) -> str:  # the name and the picture stay out of logs
        return f"ProfilePayload(version={self.version}, picture={bool(self.picture)})"


#: The longest name field accepted before it is checked (the checked name is at most 64 characters).
MAX_PROFILE_FIELD = 1024
#: The largest profile picture taken (net.client.images.PICTURE_MAX_BYTES; a test holds them equal).
MAX_PICTURE = 48 * 1024
_MAX_PICTURE_FIELD = 4 * -(-MAX_PICTURE // 3)  # its base64
PICTURE_TOO_LARGE = "The profile picture they sent is larger than 48 KiB, so it was not taken."
PICTURE_NOT_JPEG = "The profile picture they sent is not a JPEG picture, so it was not taken."

Payload = (
    Text
    | Delivered
    | Read
    | Typing
    | SessionReset
    | ProfilePayload
    | GroupChangePayload
    | GroupStatePayload
    | Action
    | TimerChange
    | SyncPayload
)


def encode_payload(payload: Payload) -> bytes:
    obj: dict[str, Any]
    if isinstance(payload, Text):
        obj = {"t": "text", "id": payload.message_id, "ts": payload.sent_at_ms, "text": payload.text}
        obj.update(tag_fields(payload.group))
        if payload.file is not None:
            obj["file"] = payload.file.fields()
        if payload.reply is not None:
            obj["reply"] = actions.reply_fields(payload.reply)
        if payload.exp:
            obj["exp"] = payload.exp
    elif isinstance(payload, Delivered | Read):
        kind = "delivered" if isinstance(payload, Delivered) else "read"
        obj = {"t": kind, "ids": list(payload.message_ids)}
    elif isinstance(payload, Typing):
        obj = {"t": "typing", "on": payload.on}
        if payload.group_id is not None:
            obj["g"] = payload.group_id
    elif isinstance(payload, ProfilePayload):
        obj = {"t": "profile", "name": payload.name, "v": payload.version}
        if payload.picture:
            obj["pic"] = b64encode(payload.picture)
    elif isinstance(payload, GroupChangePayload):
        obj = change_fields(payload)
    elif isinstance(payload, GroupStatePayload):
        obj = state_fields(payload)
    elif isinstance(payload, actions.React | actions.Edit | actions.Delete):
        obj = actions.fields(payload)
    elif isinstance(payload, disappearing.TimerChange):
        obj = disappearing.fields(payload)
    elif isinstance(payload, SyncSent | ReadSync | ContactSync | SettingsSync):
        obj = sync_payloads.fields(payload)
    else:
        obj = {"t": "reset", "failed": list(payload.failed_client_ids)}
    return padded(compact_json(obj))


def compact_json(obj: dict[str, Any] | list[Any]) -> bytes:
    """A payload's JSON: no spaces, UTF-8 as it is (the order of the fields as given)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def padded(data: bytes) -> bytes:
    """``data`` padded with spaces to a multiple of :data:`PAD_TO` bytes."""
    return data + b" " * (-len(data) % PAD_TO)


def decode_payload(data: bytes) -> Payload:
    obj = _object(data, "payload")
    kind = obj.get("t")
    if kind == "text":
        message_id, sent, text = obj.get("id"), obj.get("ts"), obj.get("text")
        if not (
            _is_id(message_id)
            and isinstance(sent, int)
            and not isinstance(sent, bool)
            and 0 <= sent < 2**63
            and isinstance(text, str)
            and len(text) <= MAX_TEXT
        ):
            raise MalformedEnvelope("text payload: a field is malformed")
        file = parse_file(obj["file"]) if "file" in obj else None
        reply = actions.parse_reply(obj["reply"]) if "reply" in obj else None
        exp = disappearing.parse_exp(obj.get("exp"))
        return Text(message_id, sent, text, parse_tag(obj), file, reply, exp)
    if kind in ("delivered", "read"):
        ids = _ids(obj.get("ids"), kind)
        return Delivered(ids) if kind == "delivered" else Read(ids)
    if kind == "typing":
        on = obj.get("on")
        if not isinstance(on, bool):
            raise MalformedEnvelope("typing payload: 'on' is not true or false")
        return Typing(on, parse_group_of_typing(obj))
    if kind == "reset":
        return SessionReset(_ids(obj.get("failed", []), kind))
    if kind == "profile":
        return _profile(obj)
    if kind == "group_change":
        return parse_group_change(obj)
    if kind == "group_state":
        return parse_group_state(obj)
    if isinstance(kind, str) and kind in actions.KINDS:
        return actions.parse(obj)
    if kind == disappearing.KIND:
        return disappearing.parse(obj)
    if isinstance(kind, str) and kind in sync_payloads.KINDS:
        return sync_payloads.parse(obj)
    raise MalformedEnvelope("payload: unknown kind")


def _profile(obj: dict[str, Any]) -> ProfilePayload:
    name, version = obj.get("name"), obj.get("v")
    if not (isinstance(version, int) and not isinstance(version, bool) and 0 < version < 2**63):
        raise BadProfile("profile payload: bad version")
    if not isinstance(name, str) or len(name) > MAX_PROFILE_FIELD:
        raise BadProfile("profile payload: bad name")
    try:
        checked = validate_display_name(name)
    except ValidationError:
        raise BadProfile("profile payload: bad name") from None
    if checked != name:  # sent trimmed and in NFC, or not at all: a sender that differs is not ours
        raise BadProfile("profile payload: bad name")
    picture, refused = _picture(obj.get("pic"))
    return ProfilePayload(checked, version, picture, refused)


def _picture(field: object) -> tuple[bytes, str]:
    """The picture of a profile payload and, if it is refused, why: it never spoils the name beside it."""
    if field is None:
        return b"", ""
    if isinstance(field, str) and len(field) > _MAX_PICTURE_FIELD:
        return b"", PICTURE_TOO_LARGE
    try:
        picture = b64decode(field, what="profile picture")
    except CryptoError:
        return b"", PICTURE_NOT_JPEG
    if len(picture) > MAX_PICTURE:
        return b"", PICTURE_TOO_LARGE
    if not is_jpeg(picture):
        return b"", PICTURE_NOT_JPEG
    return picture, ""


def is_jpeg(data: bytes) -> bool:
    """Whether ``data`` starts and ends as a JPEG does (SOI ... EOI): checked before anything decodes it."""
    return len(data) >= 4 and data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9"


def check_text(text: str) -> None:
    if len(text) > MAX_TEXT:
        raise ValueError(f"a message has at most {MAX_TEXT} characters")


def _is_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _ids(value: object, kind: str) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_IDS or not all(_is_id(v) for v in value):
        raise MalformedEnvelope(f"{kind} payload: bad list of ids")
    return tuple(value)


def _object(data: bytes, what: str) -> dict[str, Any]:
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedEnvelope(f"{what}: not JSON") from None
    if not isinstance(obj, dict):
        raise MalformedEnvelope(f"{what}: not an object")
    return obj
