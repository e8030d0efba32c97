"""The typed calls of the device operations and of device-aware login and get_bundle, for a connection.

:class:`DeviceCalls` is a part of :class:`~net.client.transport.ServerConnection`: each method
writes one request (net/protocol/PROTOCOL.md, "Devices") and returns its checked, typed reply,
or raises :class:`~net.protocol.errors.RequestRefused` (whose ``devices`` a ``devices_changed``
refusal fills). A default is left out of the request (``device`` 1 of ``login``, no ``device``
for ``get_bundle``), so a call means the same to a server from before linked devices.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, TypeVar

from crypto_core.keys import KemPreKeyPublic, OneTimePreKeyPublic, SignedPreKeyPublic
from net.protocol import device_replies, replies
from net.protocol.device_replies import (
    LinkDeviceReply,
    LinkJoinReply,
    LinkOpenReply,
    LinkRelayReply,
    ListDevicesReply,
    SetDeviceNameReply,
    SetLoginKeyReply,
    UnlinkDeviceReply,
)
from net.protocol.replies import BundleReply, LoginReply
from net.protocol.reply_shapes import Shape

T = TypeVar("T")


class DeviceCalls(ABC):
    """Typed device calls over :meth:`request` (the connection's own)."""

    @abstractmethod
    def request(self, shape: Shape[T], *, timeout: float | None = None, **args: Any) -> T:
        """Made by the class this is mixed into (the connection)."""

    def login(
        self, phone: str, signature: bytes, *, device: int = 1, timeout: float | None = None
    ) -> LoginReply:
        """Log in as (phone, device) with a signature over the login statement by that device's key."""
        args: dict[str, Any] = {"phone": phone, "signature": signature}
        if device != 1:
            args["device"] = device
        return self.request(replies.LOGIN, timeout=timeout, **args)

    def get_bundle(
        self, phone: str, *, device: int | None = None, timeout: float | None = None
    ) -> BundleReply:
        """The bundle of ``phone``'s ``device`` (None: its lowest id); the reply names every device."""
        args: dict[str, Any] = {"phone": phone}
        if device is not None:
            args["device"] = device
        return self.request(replies.GET_BUNDLE, timeout=timeout, **args)

    def link_open(self, key: bytes, *, timeout: float | None = None) -> LinkOpenReply:
        """Ask for a link code (before login), offering this end's X25519 handshake key."""
        return self.request(device_replies.LINK_OPEN, timeout=timeout, key=key)

    def link_join(self, code: str, key: bytes, *, timeout: float | None = None) -> LinkJoinReply:
        """Meet the new device that showed ``code`` (logged in); its handshake key comes back."""
        return self.request(device_replies.LINK_JOIN, timeout=timeout, code=code, key=key)

    def link_relay(self, code: str, body: bytes, *, timeout: float | None = None) -> LinkRelayReply:
        """Pass ``body`` (sealed by the ends) to the link's other end."""
        return self.request(device_replies.LINK_RELAY, timeout=timeout, code=code, body=body)

    def link_device(
        self,
        code: str,
        device_key: bytes,
        name: bytes,
        signed_prekey: SignedPreKeyPublic,
        kem_last_resort: KemPreKeyPublic,
        signature: bytes,
        *,
        one_time_prekeys: Sequence[OneTimePreKeyPublic] = (),
        kem_prekeys: Sequence[KemPreKeyPublic] = (),
        timeout: float | None = None,
    ) -> LinkDeviceReply:
        """Create this (new) device under the account that joined the link; ``signature`` by its identity
        over :func:`net.protocol.devices.link_statement`."""
        return self.request(
            device_replies.LINK_DEVICE,
            timeout=timeout,
            code=code,
            device_key=device_key,
            name=name,
            signed_prekey=signed_prekey,
            kem_last_resort=kem_last_resort,
            one_time_prekeys=list(one_time_prekeys),
            kem_prekeys=list(kem_prekeys),
            signature=signature,
        )

    def list_devices(self, *, timeout: float | None = None) -> ListDevicesReply:
        return self.request(device_replies.LIST_DEVICES, timeout=timeout)

    def set_device_name(self, name: bytes, *, timeout: float | None = None) -> SetDeviceNameReply:
        """This device's sealed name (at most 512 bytes)."""
        return self.request(device_replies.SET_DEVICE_NAME, timeout=timeout, name=name)

    def set_login_key(self, key: bytes, *, timeout: float | None = None) -> SetLoginKeyReply:
        """From now on this device logs in with ``key`` (Ed25519 public, 32 bytes) only."""
        return self.request(device_replies.SET_LOGIN_KEY, timeout=timeout, key=key)

    def unlink_device(self, device: int, *, timeout: float | None = None) -> UnlinkDeviceReply:
        """Unlink a device of the account (this one too); the ids that remain."""
        return self.request(device_replies.UNLINK_DEVICE, timeout=timeout, device=device)
