"""What people do with a message, end to end: reply, react, edit, delete for everyone.

Each names its message by its author and its client id (:class:`Target`): the author is a
phone, the sender's own or the receiver's, so one payload reads the same on both sides. A group's
action carries the group's tag, as group texts do. Payloads (inside the ratchet, like texts)::

    text, with "reply": {"a": author, "id": client id, "q": quote}   (a reply; see net.client.core.envelope)
    {"t": "react",  "a": author, "id": client id, "e": emoji or "", "ts": when (ms)}
    {"t": "edit",   "id": client id, "text": "...", "ts": when (ms)}     (the sender's own message)
    {"t": "delete", "id": client id, "ts": when (ms)}                    (the sender's own message)

An edit and a delete name no author: only the author may send them, so the author is the
sender. A reaction's ``e`` is one emoji (at most :data:`MAX_EMOJI` characters, no letters, digits,
spaces or controls), "" to take one's reaction back; the newest (by ``ts``) of one person's
reactions to a message wins, so a repeat or a late older one changes nothing. Parsing is strict:
anything else is a :class:`MalformedEnvelope`, which never quotes the input.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, TypeGuard

from net.client.core.group_payloads import GroupTag, parse_tag, tag_fields
from net.client.core.malformed import MalformedEnvelope

#: How long after sending one may edit or delete a message for everyone, in milliseconds.
ACTION_WINDOW_MS = 24 * 60 * 60 * 1000
#: How much of the quoted message a reply carries, in characters.
QUOTE_CHARS = 200
#: The longest reaction, in characters (an emoji with skin tone and joiners is several).
MAX_EMOJI = 16
_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
_MAX_TEXT = 64 * 1024
_MAX_TS = 2**63
#: What may follow an emoji's first symbol: symbols, modifiers (skin tones), marks (variation
#: selectors, keycaps) and the zero-width joiner that makes one emoji of several.
_EMOJI_PARTS = frozenset({"So", "Sk", "Mn", "Me"})
_JOINER = "\u200d"


@dataclass(frozen=True)
class Target:
    """A message as both sides name it: who wrote it (a phone) and its client id."""

    author: str
    message_id: str


@dataclass(frozen=True)
class ReplyRef:
    """What a reply quotes: the original's author and client id, and the start of its text."""

    target: Target
    quote: str

    def __repr__(self) -> str:  # the quote stays out of logs
        return f"ReplyRef(message_id={self.target.message_id!r})"


@dataclass(frozen=True)
class ReplyView:
    """The message a reply quotes, as its bubble shows it: the author ("" for ours; a phone for
    theirs), the client id (to scroll to it) and the start of its text ("" once it was deleted)."""

    sender: str
    message_id: str
    text: str

    def __repr__(self) -> str:  # the quote stays out of logs
        return f"ReplyView(message_id={self.message_id!r})"


@dataclass(frozen=True)
class React:
    target: Target
    #: One emoji, or "" to take the reaction back.
    emoji: str
    at_ms: int
    group: GroupTag | None = None


@dataclass(frozen=True)
class Edit:
    message_id: str
    text: str
    at_ms: int
    group: GroupTag | None = None

    def __repr__(self) -> str:  # the text stays out of logs
        return f"Edit(message_id={self.message_id!r})"


@dataclass(frozen=True)
class Delete:
    message_id: str
    at_ms: int
    group: GroupTag | None = None


Action = React | Edit | Delete
KINDS = frozenset({"react", "edit", "delete"})


def quote_of(text: str) -> str:
    """The start of a text as a reply quotes it."""
    return text[:QUOTE_CHARS]


def is_emoji(text: str) -> bool:
    """Whether ``text`` can be a reaction: short, and only symbols, marks and joiners."""
    if not text or len(text) > MAX_EMOJI:
        return False
    if unicodedata.category(text[0]) != "So":
        return False
    return all(unicodedata.category(char) in _EMOJI_PARTS or char == _JOINER for char in text)


def fields(action: Action) -> dict[str, Any]:
    """The payload object of an action."""
    obj: dict[str, Any]
    if isinstance(action, React):
        obj = {"t": "react", "a": action.target.author, "id": action.target.message_id, "e": action.emoji}
    elif isinstance(action, Edit):
        obj = {"t": "edit", "id": action.message_id, "text": action.text}
    else:
        obj = {"t": "delete", "id": action.message_id}
    obj["ts"] = action.at_ms
    obj.update(tag_fields(action.group))
    return obj


def parse(obj: dict[str, Any]) -> Action:
    """The action of a payload object whose ``t`` is one of :data:`KINDS`."""
    kind, message_id, at = obj.get("t"), obj.get("id"), obj.get("ts")
    if not (_is_id(message_id) and isinstance(at, int) and not isinstance(at, bool) and 0 <= at < _MAX_TS):
        raise MalformedEnvelope(f"{kind} payload: a field is malformed")
    allowed = {"t", "id", "ts", "g", "gv", "gd"}
    group = parse_tag(obj)
    if kind == "react":
        author, emoji = obj.get("a"), obj.get("e")
        if not (isinstance(author, str) and _PHONE.fullmatch(author)):
            raise MalformedEnvelope("react payload: bad author")
        if not (isinstance(emoji, str) and (emoji == "" or is_emoji(emoji))):
            raise MalformedEnvelope("react payload: not one emoji")
        _only(obj, allowed | {"a", "e"}, kind)
        return React(Target(author, message_id), emoji, at, group)
    if kind == "edit":
        text = obj.get("text")
        if not (isinstance(text, str) and 0 < len(text) <= _MAX_TEXT and text.strip()):
            raise MalformedEnvelope("edit payload: bad text")
        _only(obj, allowed | {"text"}, kind)
        return Edit(message_id, text, at, group)
    _only(obj, allowed, "delete")
    return Delete(message_id, at, group)


def reply_fields(reply: ReplyRef) -> dict[str, Any]:
    return {"a": reply.target.author, "id": reply.target.message_id, "q": reply.quote}


def parse_reply(value: object) -> ReplyRef:
    """A text's ``reply`` object; :class:`MalformedEnvelope` unless it is exactly one."""
    if not isinstance(value, dict) or set(value) != {"a", "id", "q"}:
        raise MalformedEnvelope("text payload: bad reply")
    author, message_id, quote = value["a"], value["id"], value["q"]
    if not (
        isinstance(author, str)
        and _PHONE.fullmatch(author)
        and _is_id(message_id)
        and isinstance(quote, str)
        and len(quote) <= QUOTE_CHARS
    ):
        raise MalformedEnvelope("text payload: bad reply")
    return ReplyRef(Target(author, message_id), quote)


def within_window(sent_ms: int, at_ms: int) -> bool:
    """Whether an edit or a delete at ``at_ms`` is in time for a message sent at ``sent_ms``."""
    return 0 <= at_ms - sent_ms <= ACTION_WINDOW_MS


def _is_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _only(obj: dict[str, Any], allowed: set[str], kind: str) -> None:
    if not set(obj) <= allowed:
        raise MalformedEnvelope(f"{kind} payload: unknown field")
