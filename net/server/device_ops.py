"""An account's devices on the server: list them, name one, unlink one (PROTOCOL.md, "Devices").

Any device of an account may unlink any other, or itself; the last one is not unlinked (the
account is deleted instead). An unlinked device is gone at once: its row is marked removed, its
keys, prekeys and queue are deleted in the same commit, and after that commit its connection
is told ``session_ended {reason: "unlinked"}`` and closed, and the account's other devices
online get ``devices_changed``. Names are sealed by the clients; the server keeps the bytes.
``set_login_key`` gives the logged-in device a login key of its own: after it, the identity's
sign key no longer logs that device in (``link_join`` requires it, see net/server/links.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from net.protocol.devices import PUSH_DEVICES_CHANGED, UNLINKED
from net.protocol.errors import ErrorCode, RequestRefused
from net.protocol.schema import PUSH_SESSION_ENDED
from net.server.outcome import Outcome
from net.server.presence import Presence, Session
from net.server.registrar import masked
from storage.server.interface import ServerStore
from storage.server.records import DeviceSetChanged, LastDevice, UnknownAccount

log = logging.getLogger("parley.server")


def devices_changed(devices: list[int], message: str) -> RequestRefused:
    """The refusal ``devices_changed``, with the account's device ids now."""
    return RequestRefused(ErrorCode.DEVICES_CHANGED, message, devices=devices)


class DeviceOps:
    """The handlers of ``list_devices``, ``set_device_name``, ``unlink_device`` and ``set_login_key``."""

    def __init__(self, store: ServerStore, presence: Presence, now_ms: Callable[[], int]) -> None:
        self._store = store
        self._presence = presence
        self._now_ms = now_ms
        self.handlers: dict[str, Callable[[Session, dict[str, Any]], Outcome]] = {
            "list_devices": self.list_devices,
            "set_device_name": self.set_name,
            "unlink_device": self.unlink,
            "set_login_key": self.set_login_key,
        }

    def list_devices(self, session: Session, _args: dict[str, Any]) -> Outcome:
        assert session.phone is not None
        listed = [
            {
                "device": record.device,
                "name": record.name,
                "created": record.created,
                "last_seen": record.last_seen,
                "current": record.device == session.device,
            }
            for record in self._store.device_records(session.phone)
        ]
        return Outcome({"devices": listed})

    def set_name(self, session: Session, args: dict[str, Any]) -> Outcome:
        assert session.phone is not None
        try:
            self._store.set_device_name(session.phone, session.device, args["name"])
        except UnknownAccount:
            raise RequestRefused(ErrorCode.DEVICE_UNLINKED, "this device is no longer linked") from None
        return Outcome({})

    def set_login_key(self, session: Session, args: dict[str, Any]) -> Outcome:
        """From now on this device logs in with ``key`` only (no longer with the identity's sign key)."""
        assert session.phone is not None
        try:
            self._store.set_login_key(session.phone, session.device, args["key"])
        except UnknownAccount:
            raise RequestRefused(ErrorCode.DEVICE_UNLINKED, "this device is no longer linked") from None
        log.info(
            "%s: device %d of %s has a login key of its own",
            session.peer,
            session.device,
            masked(session.phone),
        )
        return Outcome({})

    def unlink(self, session: Session, args: dict[str, Any]) -> Outcome:
        phone, device = session.phone, args["device"]
        assert phone is not None
        try:
            remaining = self._store.remove_device(phone, device, self._now_ms())
        except DeviceSetChanged as exc:
            raise devices_changed(exc.devices, f"the account has no device {device}") from None
        except LastDevice:
            raise RequestRefused(
                ErrorCode.BAD_REQUEST,
                f"device {device} is the account's last: delete the account instead",
            ) from None
        log.info("%s: device %d of %s unlinked", session.peer, device, masked(phone))

        def tell() -> None:  # after the commit: the device is gone for good only then
            gone = self._presence.take(phone, device)
            if gone is not None:
                gone.push(PUSH_SESSION_ENDED, {"reason": UNLINKED})
                gone.phone = None
                gone.end()
            for online in self._presence.all_of(phone):
                online.push(PUSH_DEVICES_CHANGED, {"devices": remaining})

        return Outcome({"devices": remaining}, then=tell)
