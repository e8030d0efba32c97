"""What nodes sharing one store tell each other at once: hints, their wire form, the bus that carries them.

A hint is only a hint: the store is the truth, and a node that lost some (its bus connection dropped, a
queue overflowed) catches up by reading the store (:mod:`net.server.cluster_presence`). So a hint carries
no message body: "a message is waiting for (phone, device) with id N" is enough for the node holding that
device to read it from the store. The one exception is a transient push (a typing notice), which is never
stored and whose body is small.

Channels (one concept, one name each): ``parley:device:<phone>:<device>`` for what concerns one device,
``parley:account:<phone>`` for what concerns every device of an account. A node subscribes to a
device's channel, and to its account's, while one of its connections holds that device.

The wire form is JSON with a version field ``v``; a payload that is not a hint of this version is
:class:`BadHint` (the receiver logs and ignores it: a stray publish never crashes a node).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HINT_VERSION = 1
_BYTES = "$bytes"  # how a bytes value travels in a push body (JSON has no bytes)


class BadHint(ValueError):
    """A payload on a bus channel that is not a hint this node understands."""


@dataclass(frozen=True)
class MessageWaiting:
    """A message was committed for (phone, device): the node holding the device reads and pushes it."""

    phone: str
    device: int
    id: int


@dataclass(frozen=True)
class DeviceClaimed:
    """(phone, device) logged in on ``node`` with login ``epoch`` (the device's count in the store): any
    other node ends its session of it (logged_in_elsewhere) if that session's epoch is lower."""

    phone: str
    device: int
    node: str
    epoch: int = 0


@dataclass(frozen=True)
class DeviceEnded:
    """The device's session ends everywhere, with ``reason`` (it was unlinked, say)."""

    phone: str
    device: int
    reason: str
    node: str


@dataclass(frozen=True)
class AccountEnded:
    """The account was re-registered or deleted at ``before`` (ms): every node ends its sessions of it that
    logged in earlier (a login epoch below it), with ``reason``; a later login, of the account's new
    generation, stays even when this hint arrives late."""

    phone: str
    reason: str
    node: str
    before: int = 0


@dataclass(frozen=True)
class DevicePush:
    """A push for one device (``device``) or for every device of the account (``device`` None).

    Devices changed, prekeys low, a re-registration notice, a typing notice (a transient message).
    """

    phone: str
    device: int | None
    kind: str
    body: dict[str, Any]
    node: str


@dataclass(frozen=True)
class LinkJoin:
    """A device on ``node`` joins the link whose code has SHA-256 ``digest``: its opener's node answers."""

    digest: bytes
    phone: str
    device: int
    key: bytes
    node: str
    ask: str  # which question, so that the answer finds its waiting request


@dataclass(frozen=True)
class LinkAnswer:
    """The opener's node to the joiner's (``to``): the opener's handshake key, or not ``found``."""

    to: str
    ask: str
    found: bool
    key: bytes


@dataclass(frozen=True)
class LinkRelay:
    """A relay body from the device that joined the link (on ``node``) to its opener, on another node."""

    digest: bytes
    phone: str
    device: int
    body: bytes
    node: str


Hint = (
    MessageWaiting
    | DeviceClaimed
    | DeviceEnded
    | AccountEnded
    | DevicePush
    | LinkJoin
    | LinkAnswer
    | LinkRelay
)

_NAMES: dict[type[Any], str] = {
    MessageWaiting: "message",
    DeviceClaimed: "device_claimed",
    DeviceEnded: "device_ended",
    AccountEnded: "account_ended",
    DevicePush: "push",
    LinkJoin: "link_join",
    LinkAnswer: "link_answer",
    LinkRelay: "link_relay",
}
_TYPES = {name: kind for kind, name in _NAMES.items()}
_FIELDS: dict[str, dict[str, type[Any] | tuple[type[Any], ...]]] = {
    "message": {"phone": str, "device": int, "id": int},
    "device_claimed": {"phone": str, "device": int, "node": str, "epoch": int},
    "device_ended": {"phone": str, "device": int, "reason": str, "node": str},
    "account_ended": {"phone": str, "reason": str, "node": str, "before": int},
    "push": {"phone": str, "device": (int, type(None)), "kind": str, "body": dict, "node": str},
    "link_join": {"digest": bytes, "phone": str, "device": int, "key": bytes, "node": str, "ask": str},
    "link_answer": {"to": str, "ask": str, "found": bool, "key": bytes},
    "link_relay": {"digest": bytes, "phone": str, "device": int, "body": bytes, "node": str},
}


CHANNEL_KEY_LABEL = b"parley bus channel names v1"  # HKDF info: the channel key's own purpose


def channel_key(code_key: bytes) -> bytes:
    """The key that names device and account channels, derived from the server's code key (which every
    node of a cluster is given): its own label, so it says nothing of the codes' key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CHANNEL_KEY_LABEL).derive(code_key)


def _phone_name(phone: str, key: bytes | None) -> str:
    """The phone as a channel shows it: an HMAC under the channel key, so that Redis's list of channels
    (``PUBSUB CHANNELS``) names nobody; the number itself only without a key (tests of the wire form)."""
    if key is None:
        return phone
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(phone.encode("utf-8"))
    return mac.finalize()[:16].hex()


def device_channel(phone: str, device: int, key: bytes | None = None) -> str:
    return f"parley:device:{_phone_name(phone, key)}:{device}"


def account_channel(phone: str, key: bytes | None = None) -> str:
    return f"parley:account:{_phone_name(phone, key)}"


def node_channel(node: str) -> str:
    """A node's own channel (answers to its questions); it is subscribed to it for as long as it runs."""
    return f"parley:node:{node}"


def link_channel(digest: bytes) -> str:
    """An open link's channel (by its code's SHA-256, as the opener's node keeps it), while it is open."""
    return f"parley:link:{digest.hex()}"


def channel_of(hint: Hint, key: bytes | None = None) -> str:
    """The channel a hint is published on: its device's, its account's (named under ``key``), a link's or
    a node's."""
    if isinstance(hint, LinkJoin | LinkRelay):
        return link_channel(hint.digest)
    if isinstance(hint, LinkAnswer):
        return node_channel(hint.to)
    device = getattr(hint, "device", None)
    if isinstance(hint, AccountEnded) or device is None:
        return account_channel(hint.phone, key)
    return device_channel(hint.phone, device, key)


def _to_json(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a push body holds a {type(value).__name__}, which no hint can carry")


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_BYTES} and isinstance(value[_BYTES], str):
            return base64.b64decode(value[_BYTES], validate=True)
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def encode_hint(hint: Hint) -> bytes:
    fields = {name: _to_json(getattr(hint, name)) for name in _FIELDS[_NAMES[type(hint)]]}
    return json.dumps(
        {"v": HINT_VERSION, "hint": _NAMES[type(hint)], **fields}, separators=(",", ":")
    ).encode()


def decode_hint(payload: bytes) -> Hint:
    """The hint in ``payload``; :class:`BadHint` (saying why, never quoting the payload) otherwise."""
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        raise BadHint("not JSON") from None
    if not isinstance(data, dict):
        raise BadHint("not a JSON object")
    if data.get("v") != HINT_VERSION:
        raise BadHint(f"version {data.get('v')!r}, not {HINT_VERSION}")
    name = data.get("hint")
    if not isinstance(name, str) or name not in _FIELDS:
        raise BadHint("an unknown kind of hint")
    wanted = _FIELDS[name]
    if set(data) != {"v", "hint", *wanted}:
        raise BadHint(f"the fields of a {name} hint are wrong")
    try:
        values = {field: _from_json(data[field]) for field in wanted}
    except ValueError:
        raise BadHint(f"{name} holds bad base64") from None
    for field, kind in wanted.items():
        value = values[field]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise BadHint(f"{name}.{field} is not a {getattr(kind, '__name__', 'value')}")
    hint: Hint = _TYPES[name](**values)
    return hint


class Bus(Protocol):
    """Carries hints between nodes. No method waits for the network: the loop calls them."""

    def start(self, deliver: Callable[[bytes], None], resync: Callable[[], None]) -> None:
        """Begin: ``deliver`` gets each payload published on a subscribed channel, ``resync`` is called
        after the bus's connection came back (hints may have been lost meanwhile). Both are called from
        the bus's own thread."""
        ...

    def publish(self, channel: str, payload: bytes) -> None:
        """Send ``payload`` to the nodes subscribed to ``channel``, later; never blocks."""
        ...

    def subscribe(self, channel: str) -> None: ...

    def unsubscribe(self, channel: str) -> None: ...

    @property
    def dropped(self) -> int:
        """Hints not sent (the publisher's queue was full, or the bus was down): the sweep catches up."""
        ...

    def close(self) -> None:
        """Stop, within a bounded time."""
        ...


class NoBus:
    """One node alone: nothing to tell anyone."""

    def start(self, deliver: Callable[[bytes], None], resync: Callable[[], None]) -> None:
        pass

    def publish(self, channel: str, payload: bytes) -> None:
        pass

    def subscribe(self, channel: str) -> None:
        pass

    def unsubscribe(self, channel: str) -> None:
        pass

    @property
    def dropped(self) -> int:
        return 0

    def close(self) -> None:
        pass
