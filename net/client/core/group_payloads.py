"""The group payloads of the end-to-end format, and the group fields of a text and a typing notice.

=================  ==============================================================
``group_change``   ``{"t": "group_change", "change": {...}, "sig": b64}``: one signed change,
                   sent by its author to each member (and to whoever it adds or removes)
``group_state``    ``{"t": "group_state", "g": group id, "changes": [{"change": ..., "sig": ...}],
                   "want": bool}``: the changes one member has, to bring another up to date;
                   ``want`` asks for the other's in return
``text``           the 1:1 fields and ``"g"`` (group id), ``"gv"`` (the sender's version),
                   ``"gd"`` (the sender's digest) for a group text
``typing``         the 1:1 fields and ``"g"`` for a group's typing notice
=================  ==============================================================

:mod:`net.client.core.envelope` encodes and decodes the payloads; this module
holds their shapes and checks their fields. A change in either group payload is
parsed by :func:`net.client.core.group_changes.parse_signed`, and a malformed one
refuses the whole payload (:class:`~net.client.core.group_changes.BadGroupChange`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from net.client.core.group_changes import MAX_VERSION, BadGroupChange, SignedChange, is_id, parse_signed
from net.client.core.malformed import MalformedEnvelope

#: The changes one ``group_state`` payload may carry (a payload near :data:`STATE_PAYLOAD_LIMIT`
#: holds a few hundred); more go in more payloads.
MAX_STATE_CHANGES = 1000
#: The most bytes (padded) of one ``group_state`` payload a sender makes: far inside what one
#: ``send`` carries after the ratchet, the envelope's base64 and a session's initial message.
STATE_PAYLOAD_LIMIT = 48 * 1024
#: The group fields of a text, all or none.
_TAG_FIELDS = ("g", "gv", "gd")


@dataclass(frozen=True)
class GroupTag:
    """What a group text says of its group: the id, and the sender's version and digest of it."""

    group_id: str
    version: int
    digest: str


@dataclass(frozen=True)
class GroupChangePayload:
    signed: SignedChange


@dataclass(frozen=True)
class GroupStatePayload:
    group_id: str
    changes: tuple[SignedChange, ...]
    #: The receiver is asked to answer with its own changes.
    want: bool

    def __repr__(self) -> str:
        return f"GroupStatePayload(changes={len(self.changes)}, want={self.want})"


def tag_fields(tag: GroupTag | None) -> dict[str, Any]:
    return {} if tag is None else {"g": tag.group_id, "gv": tag.version, "gd": tag.digest}


def parse_tag(obj: dict[str, Any]) -> GroupTag | None:
    """The group fields of a text: all three or none; :class:`MalformedEnvelope` otherwise."""
    present = [name in obj for name in _TAG_FIELDS]
    if not any(present):
        return None
    group_id, version, digest = obj.get("g"), obj.get("gv"), obj.get("gd")
    if not (
        all(present)
        and is_id(group_id)
        and is_id(digest)
        and isinstance(version, int)
        and not isinstance(version, bool)
        and 1 <= version <= MAX_VERSION
    ):
        raise MalformedEnvelope("text payload: bad group fields")
    return GroupTag(group_id, version, digest)


def parse_group_of_typing(obj: dict[str, Any]) -> str | None:
    if "g" not in obj:
        return None
    group_id = obj["g"]
    if not is_id(group_id):
        raise MalformedEnvelope("typing payload: bad group id")
    return group_id


def change_fields(payload: GroupChangePayload) -> dict[str, Any]:
    return {"t": "group_change", **payload.signed.to_json()}


def parse_group_change(obj: dict[str, Any]) -> GroupChangePayload:
    return GroupChangePayload(parse_signed({key: value for key, value in obj.items() if key != "t"}))


def state_fields(payload: GroupStatePayload) -> dict[str, Any]:
    return {
        "t": "group_state",
        "g": payload.group_id,
        "changes": [signed.to_json() for signed in payload.changes],
        "want": payload.want,
    }


def parse_group_state(obj: dict[str, Any]) -> GroupStatePayload:
    if set(obj) != {"t", "g", "changes", "want"}:
        raise BadGroupChange("group state payload: wrong fields")
    group_id, changes, want = obj["g"], obj["changes"], obj["want"]
    if not is_id(group_id) or not isinstance(want, bool):
        raise BadGroupChange("group state payload: bad group id or 'want'")
    if not isinstance(changes, list) or len(changes) > MAX_STATE_CHANGES:
        raise BadGroupChange("group state payload: bad list of changes")
    parsed = tuple(parse_signed(signed) for signed in changes)
    if any(signed.change.group_id != group_id for signed in parsed):
        raise BadGroupChange("group state payload: a change of another group")
    return GroupStatePayload(group_id, parsed, want)
