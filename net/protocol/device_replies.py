"""The replies and pushes of the device operations, as the client checks them (PROTOCOL.md, "Devices").

Like every reply of :mod:`net.protocol.replies` (which lists these in its ``REPLIES`` and
``PUSHES``): checked field by field into a frozen dataclass, a broken one a ``bad_reply``
naming the field. A list of device ids is ascending and without repeats; a sealed name and
a relayed body are bytes, kept out of reprs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from net.protocol.devices import (
    LINK_CODE_LENGTH,
    MAX_DEVICES,
    MAX_RELAY_BODY,
    PUSH_DEVICES_CHANGED,
    PUSH_LINK_DONE,
    PUSH_LINK_JOINED,
    PUSH_LINK_RELAY,
)
from net.protocol.errors import ErrorCode
from net.protocol.reply_shapes import COUNT, E164, TS, Shape, items, push_shape, record, reply
from net.protocol.schema import (
    DEVICE_ID,
    Converter,
    Field,
    FieldError,
    base64_bytes,
    boolean,
    sealed_name,
    text,
)

#: How many device ids a list may hold: an account's at most, with room for a newer server's.
MAX_LISTED = 4 * MAX_DEVICES


def _ascending(value: tuple[int, ...]) -> tuple[int, ...]:
    if list(value) != sorted(set(value)):
        raise FieldError(ErrorCode.BAD_REQUEST, "expected device ids in ascending order, each once")
    return value


def _device_ids(*, min_items: int) -> Converter:
    listed = items(DEVICE_ID, MAX_LISTED)

    def convert(value: object) -> tuple[int, ...]:
        ids: tuple[int, ...] = _ascending(listed(value))
        if len(ids) < min_items:
            raise FieldError(ErrorCode.BAD_REQUEST, f"expected at least {min_items} device ids")
        return ids

    return convert


#: An account's device ids (login, get_bundle, unlink_device, devices_changed): at least one.
DEVICE_IDS = _device_ids(min_items=1)
#: An error's or a copy's current devices (``devices_changed``): ascending, maybe none left.
CURRENT_DEVICES = _device_ids(min_items=0)
LINK_KEY = base64_bytes(32, exact=32)


@dataclass(frozen=True)
class LinkOpenReply:
    code: str  # the link code: a secret of this link, kept out of reprs
    expires_in: int

    def __repr__(self) -> str:
        return f"LinkOpenReply(expires_in={self.expires_in})"


@dataclass(frozen=True)
class LinkJoinReply:
    key: bytes  # the new device's X25519 public key of the handshake


@dataclass(frozen=True)
class LinkRelayReply:
    """A ``link_relay`` was passed on (the reply has no fields)."""


@dataclass(frozen=True)
class LinkDeviceReply:
    phone: str
    device: int


@dataclass(frozen=True)
class DeviceInfo:
    device: int
    name: bytes  # sealed by the clients; the server cannot read it
    created: int
    last_seen: int
    current: bool

    def __repr__(self) -> str:
        return f"DeviceInfo(device={self.device}, current={self.current}, last_seen={self.last_seen})"


@dataclass(frozen=True)
class ListDevicesReply:
    devices: tuple[DeviceInfo, ...]


@dataclass(frozen=True)
class SetDeviceNameReply:
    """The sealed name was stored (the reply has no fields)."""


@dataclass(frozen=True)
class SetLoginKeyReply:
    """This device logs in with the new key from now on (the reply has no fields)."""


@dataclass(frozen=True)
class UnlinkDeviceReply:
    devices: tuple[int, ...]  # what remains


@dataclass(frozen=True)
class DevicesChangedPush:
    devices: tuple[int, ...]


@dataclass(frozen=True)
class LinkJoinedPush:
    key: bytes
    phone: str


@dataclass(frozen=True)
class LinkRelayPush:
    body: bytes

    def __repr__(self) -> str:
        return f"LinkRelayPush(body={len(self.body)} bytes)"


@dataclass(frozen=True)
class LinkDonePush:
    device: int


DEVICE_INFO = record(
    DeviceInfo,
    Field("device", DEVICE_ID),
    Field("name", sealed_name),
    Field("created", TS),
    Field("last_seen", TS),
    Field("current", boolean),
)

LINK_OPEN = reply(
    "link_open",
    LinkOpenReply,
    Field("code", text(LINK_CODE_LENGTH, min_len=LINK_CODE_LENGTH, pattern=r"[A-Z2-7]+")),
    Field("expires_in", COUNT),
)
LINK_JOIN = reply("link_join", LinkJoinReply, Field("key", LINK_KEY))
LINK_RELAY = reply("link_relay", LinkRelayReply)
LINK_DEVICE = reply("link_device", LinkDeviceReply, Field("phone", E164), Field("device", DEVICE_ID))
LIST_DEVICES = reply("list_devices", ListDevicesReply, Field("devices", items(DEVICE_INFO, MAX_LISTED)))
SET_DEVICE_NAME = reply("set_device_name", SetDeviceNameReply)
SET_LOGIN_KEY = reply("set_login_key", SetLoginKeyReply)
UNLINK_DEVICE = reply("unlink_device", UnlinkDeviceReply, Field("devices", DEVICE_IDS))

DEVICE_REPLIES: tuple[Shape[Any], ...] = (
    LINK_OPEN,
    LINK_JOIN,
    LINK_RELAY,
    LINK_DEVICE,
    LIST_DEVICES,
    SET_DEVICE_NAME,
    SET_LOGIN_KEY,
    UNLINK_DEVICE,
)
DEVICE_PUSHES: tuple[Shape[Any], ...] = (
    push_shape(PUSH_DEVICES_CHANGED, DevicesChangedPush, Field("devices", DEVICE_IDS)),
    push_shape(PUSH_LINK_JOINED, LinkJoinedPush, Field("key", LINK_KEY), Field("phone", E164)),
    push_shape(PUSH_LINK_RELAY, LinkRelayPush, Field("body", base64_bytes(MAX_RELAY_BODY))),
    push_shape(PUSH_LINK_DONE, LinkDonePush, Field("device", DEVICE_ID)),
)
