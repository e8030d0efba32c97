"""A group's changes: the signed operations that make a group, their strict format and their signatures.

A change is one operation by one author (a member's phone)::

    {"g": group id, "n": change id, "by": author, "v": version, "k": kind, ...kind's fields, "ts": ms}

=============  =============================================================
``create``     ``name``, ``members`` (the initial phones, the author first)
``add``        ``who`` (the phone added)
``remove``     ``who`` (the phone removed)
``admin``      ``who`` (made an admin)
``unadmin``    ``who`` (no longer an admin)
``leave``      nothing more: the author leaves
``rename``     ``name``
=============  =============================================================

Ids are 16 bytes in base64url without padding (22 characters). A new change has
``v`` = 1 + the highest version its author knows; a ``create`` is version 1 and
every other change is at least 2, so the ``create`` always comes first.

The group id is bound to its creator: it is the first 16 bytes of
SHA-256(``"Parley group id v1" 0x00`` || creator's phone || 0x00 || the create's
change id), and a ``create`` whose ``g`` is not that is malformed. So nobody but
the creator can make a ``create`` for a group, and a member cannot take a group
over by signing a ``create`` of their own that would sort first.

The author signs :func:`statement`: ``b"Parley group change v1\\x00"`` followed
by the change's canonical JSON (sorted keys, no spaces, ASCII), with the Ed25519
key of their identity (:meth:`crypto_core.keys.IdentityKeyPair.sign`); whoever
receives it checks it with the author's pinned identity
(:func:`crypto_core.key_encoding.verify_signature`). The label is the change's
own, so no other signature of the identity key can be passed off as a change.

Parsing is strict: exactly the fields of the kind, each of its type and in its
range, phones in E.164 exactly as :func:`net.protocol.validation.normalize_phone`
writes them, names 1 to 64 characters already trimmed and in NFC with no control,
line-break or direction characters (the display-name rule of
:func:`net.protocol.validation.validate_display_name`). Anything else is
:class:`BadGroupChange`, a :class:`MalformedEnvelope` that never quotes the input.
So a change that parses writes back to exactly the JSON it was read from, and the
statement a receiver checks is the one its author signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeGuard

from crypto_core.encoding import RandomSource, b64decode, b64encode, canonical_json
from crypto_core.errors import CryptoError
from crypto_core.key_encoding import SIGNATURE_LEN, verify_signature
from crypto_core.keys import IdentityKeyPair
from net.client.core.malformed import MalformedEnvelope
from net.protocol.validation import ValidationError, normalize_phone, validate_display_name

#: The purpose label of a change's signature.
STATEMENT_LABEL = b"Parley group change v1\x00"
#: The label of the hash that binds a group id to its creator.
GROUP_ID_LABEL = b"Parley group id v1\x00"
#: Group ids and change ids: this many bytes, base64url without padding.
ID_BYTES = 16
#: Members of a group at most, its creator included.
MAX_MEMBERS = 100
#: The highest version a change may carry; a group that reaches it takes no more changes.
MAX_VERSION = 2**31 - 1
#: The longest text field read before it is checked (a checked name is at most 64 characters).
_MAX_FIELD = 1024
_ID_TEXT = re.compile(r"[A-Za-z0-9_-]{22}")


class BadGroupChange(MalformedEnvelope):
    """A change that is not in the format: refused whole, and noted without its content."""


class ChangeKind(StrEnum):
    CREATE = "create"
    ADD = "add"
    REMOVE = "remove"
    ADMIN = "admin"
    UNADMIN = "unadmin"
    LEAVE = "leave"
    RENAME = "rename"


_KINDS = frozenset(kind.value for kind in ChangeKind)
#: The kinds whose field is ``who``.
TARGETED = frozenset({ChangeKind.ADD, ChangeKind.REMOVE, ChangeKind.ADMIN, ChangeKind.UNADMIN})
_COMMON = frozenset({"g", "n", "by", "v", "k", "ts"})
_FIELDS: dict[ChangeKind, frozenset[str]] = {
    ChangeKind.CREATE: _COMMON | {"name", "members"},
    ChangeKind.ADD: _COMMON | {"who"},
    ChangeKind.REMOVE: _COMMON | {"who"},
    ChangeKind.ADMIN: _COMMON | {"who"},
    ChangeKind.UNADMIN: _COMMON | {"who"},
    ChangeKind.LEAVE: _COMMON,
    ChangeKind.RENAME: _COMMON | {"name"},
}


# --------------------------------------------------------------------------- ids


def encode_id(raw: bytes) -> str:
    """16 bytes as base64url without padding (22 characters)."""
    if len(raw) != ID_BYTES:
        raise ValueError(f"an id is {ID_BYTES} bytes")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_id(text: object) -> bytes | None:
    """The 16 bytes of an id in its one canonical spelling, or None."""
    if not isinstance(text, str) or not _ID_TEXT.fullmatch(text):
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "==")
    except (binascii.Error, ValueError):
        return None
    # The last character carries 2 unused bits: only the spelling with them zero is the id.
    return raw if len(raw) == ID_BYTES and encode_id(raw) == text else None


def is_id(text: object) -> TypeGuard[str]:
    return decode_id(text) is not None


def new_id(random: RandomSource) -> str:
    return encode_id(random(ID_BYTES))


def group_id_for(creator: str, create_id: str) -> str:
    """The id of the group that ``creator`` creates with the change id ``create_id``."""
    raw = decode_id(create_id)
    if raw is None:
        raise ValueError("not a change id")
    digest = hashlib.sha256(GROUP_ID_LABEL + creator.encode("ascii") + b"\x00" + raw).digest()
    return encode_id(digest[:ID_BYTES])


# --------------------------------------------------------------------------- the change


@dataclass(frozen=True)
class Change:
    """One operation on a group, as its author wrote it."""

    group_id: str
    change_id: str
    by: str
    version: int
    kind: ChangeKind
    sent_at_ms: int
    #: The member a targeted change (add, remove, admin, unadmin) is about; "" for the others.
    who: str = ""
    #: The name of a create or a rename; "" for the others.
    name: str = ""
    #: The initial members of a create, its author first; () for the others.
    members: tuple[str, ...] = ()

    @property
    def order(self) -> tuple[int, str, str]:
        """Where the change sits in the fold: by version, then author, then change id."""
        return (self.version, self.by, self.change_id)

    def to_json(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "g": self.group_id,
            "n": self.change_id,
            "by": self.by,
            "v": self.version,
            "k": self.kind.value,
            "ts": self.sent_at_ms,
        }
        if self.kind in TARGETED:
            obj["who"] = self.who
        if self.kind in (ChangeKind.CREATE, ChangeKind.RENAME):
            obj["name"] = self.name
        if self.kind is ChangeKind.CREATE:
            obj["members"] = list(self.members)
        return obj

    def __repr__(self) -> str:  # names and phones stay out of logs
        return f"Change(kind={self.kind.value}, version={self.version}, change_id={self.change_id!r})"


def statement(change: Change) -> bytes:
    """The bytes the author signs: the purpose label, then the change's canonical JSON."""
    return STATEMENT_LABEL + canonical_json(change.to_json())


@dataclass(frozen=True)
class SignedChange:
    """A change with its author's signature, as it travels and as it is kept."""

    change: Change
    signature: bytes

    @property
    def change_id(self) -> str:
        return self.change.change_id

    def to_json(self) -> dict[str, Any]:
        return {"change": self.change.to_json(), "sig": b64encode(self.signature)}

    def tie_break(self) -> bytes:
        """Which of two different changes under one id is kept: the lower of these, on every member."""
        return hashlib.sha256(statement(self.change) + self.signature).digest()

    def __repr__(self) -> str:
        return f"SignedChange({self.change!r})"


def sign(identity: IdentityKeyPair, change: Change) -> SignedChange:
    return SignedChange(change, identity.sign(statement(change)))


def signature_valid(signed: SignedChange, signing_key: bytes) -> bool:
    """Whether the change was signed by the Ed25519 key ``signing_key`` (the author's pinned identity)."""
    try:
        verify_signature(signing_key, signed.signature, statement(signed.change), "group change")
    except CryptoError:
        return False
    return True


# --------------------------------------------------------------------------- parsing


def parse_signed(obj: object) -> SignedChange:
    """``{"change": {...}, "sig": base64}``, strictly; :class:`BadGroupChange` otherwise."""
    if not isinstance(obj, dict) or set(obj) != {"change", "sig"}:
        raise BadGroupChange("group change: not a signed change")
    try:
        signature = b64decode(obj["sig"], length=SIGNATURE_LEN, what="group change signature")
    except CryptoError:
        raise BadGroupChange("group change: bad signature field") from None
    return SignedChange(parse_change(obj["change"]), signature)


def parse_change(obj: object) -> Change:
    """A change, strictly (see the module's docstring); :class:`BadGroupChange` otherwise."""
    if not isinstance(obj, dict):
        raise BadGroupChange("group change: not an object")
    found = obj.get("k")
    if not isinstance(found, str) or found not in _KINDS:
        raise BadGroupChange("group change: unknown kind")
    kind = ChangeKind(found)
    if set(obj) != _FIELDS[kind]:
        raise BadGroupChange(f"group change ({kind.value}): wrong fields")
    group_id, change_id = obj["g"], obj["n"]
    if not (is_id(group_id) and is_id(change_id)):
        raise BadGroupChange("group change: bad id")
    by = _phone(obj["by"], "author")
    version = _integer(obj["v"], "version", 1 if kind is ChangeKind.CREATE else 2, MAX_VERSION)
    if kind is ChangeKind.CREATE and version != 1:
        raise BadGroupChange("group change (create): the version of a create is 1")
    sent = _integer(obj["ts"], "time", 0, 2**63 - 1)
    who = _phone(obj["who"], "member") if kind in TARGETED else ""
    name = _name(obj["name"]) if kind in (ChangeKind.CREATE, ChangeKind.RENAME) else ""
    members: tuple[str, ...] = ()
    if kind is ChangeKind.CREATE:
        members = _members(obj["members"], by)
        if group_id != group_id_for(by, change_id):
            raise BadGroupChange("group change (create): the group id is not its creator's")
    return Change(group_id, change_id, by, version, kind, sent, who, name, members)


def _integer(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadGroupChange(f"group change: bad {what}")
    return value


def _phone(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) > _MAX_FIELD:
        raise BadGroupChange(f"group change: bad {what}")
    try:
        checked = normalize_phone(value)
    except ValidationError:
        raise BadGroupChange(f"group change: bad {what}") from None
    if checked != value:  # one spelling per number, or the same member could be two
        raise BadGroupChange(f"group change: bad {what}")
    return checked


def _name(value: object) -> str:
    if not isinstance(value, str) or len(value) > _MAX_FIELD:
        raise BadGroupChange("group change: bad name")
    try:
        checked = validate_display_name(value)
    except ValidationError:
        raise BadGroupChange("group change: bad name") from None
    if checked != value:  # sent trimmed and in NFC, or not at all
        raise BadGroupChange("group change: bad name")
    return checked


def _members(value: object, creator: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_MEMBERS:
        raise BadGroupChange("group change (create): bad list of members")
    members = tuple(_phone(phone, "member") for phone in value)
    if len(set(members)) != len(members) or members[0] != creator:
        raise BadGroupChange("group change (create): bad list of members")
    return members
