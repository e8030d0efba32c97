"""The Messenger's linked devices: linking a computer (both ends), the list, unlinking, renaming.

A mixin, so that :mod:`net.client.messenger` stays small; the link's work is
:mod:`net.client.linking`'s, over :mod:`net.client.link_wire`. Errors, as EngineError:

=====================  ===========================================================
``registered``         ``link_start`` on a profile that is an account's already
``no_link``            ``link_confirm`` with nothing to compare, a second link at once
``bad_link_code``      a code that is not 16 letters A–Z and digits 2–7 (dashes, spaces ok)
``too_many_devices``   the account has five devices already
``bad_device_name``    an empty name, or one longer than 254 bytes of UTF-8
``offline``            not logged in (the list, unlinking, renaming, joining a link)
=====================  ===========================================================

plus the server's refusals in words (``bad_request`` for unlinking the last device). The
device's name is sealed for the account's devices (crypto_core/device_names.py); the server
keeps only opaque bytes. The default name is "Parley on <host name>".
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from typing import Any

from crypto_core import device_names
from crypto_core.encoding import RandomSource
from crypto_core.errors import CryptoError
from net.client import login_keys
from net.client.api_base import ApiBase
from net.client.core.connection_state import Input
from net.client.core.device_events import DevicesChanged, DeviceView, LinkFinished
from net.client.core.engine_error import EngineError
from net.client.core.events import Event, LoggedIn
from net.client.link_wire import EngineWire
from net.client.linking import ExistingEnd, NewEnd
from net.protocol import device_replies


def default_device_name() -> str:
    """What a device calls itself until renamed: the platform's host name."""
    host = platform.node().strip() or "this computer"
    return f"Parley on {host}"[: device_names.MAX_NAME_BYTES]


class DevicesApi(ApiBase):
    """Linked devices of :class:`net.client.messenger.Messenger`."""

    _emit: Callable[[Event], None]
    _random: RandomSource
    _monotonic: Callable[[], float]
    _link_end: NewEnd | ExistingEnd | None
    #: A devices_changed push came: the list is read again (and DevicesChanged emitted) after the round.
    _devices_stale: bool

    # ------------------------------------------------------------------ linking

    def link_start(self) -> None:
        """On the new computer: ask the server for a link code (LinkCodeShown, then LinkComparison)."""
        ctx, duties = self._unlocked()
        with ctx.storing("account"):
            if ctx.profile.account.get().registered:
                raise EngineError(
                    "registered", "This profile is an account's already: make a new profile to link."
                )
            self._membership.connect(ctx, duties, log_in=False)
        end = NewEnd(
            ctx,
            EngineWire(self._link),
            self._link_event,
            random=self._random,
            monotonic=self._monotonic,
            device_name=default_device_name(),
        )
        self._link_end = end
        with ctx.storing("account"):
            end.start()

    def link_join(self, code: str) -> None:
        """On a logged-in device: join the link the new computer shows the code of."""
        ctx = self._require()
        conn = self._link.require()
        if self._link_end is not None and self._link_end.active:
            raise EngineError("no_link", "A link is already under way; finish or cancel it first.")
        # The server links no computer to an account one of whose devices logs in with the
        # identity key (every linked computer holds it): an older device 1 gets a key of its own.
        with ctx.storing("account"):
            self._membership.guard(lambda: login_keys.ensure(ctx, conn))
        end = ExistingEnd(
            ctx, EngineWire(self._link), self._link_event, random=self._random, monotonic=self._monotonic
        )
        self._link_end = end
        with ctx.storing("account"):
            end.join(code)

    def link_confirm(self, same: bool, *, history: bool = False) -> None:
        """The person says the numbers on both screens are the same (or not: nothing is linked).

        On the existing device, ``history`` sends the last six months of messages too.
        """
        end = self._link_end
        if end is None:
            raise EngineError("no_link", "There is no link waiting for the numbers to be compared.")
        ctx = self._require()
        with ctx.storing("account"):
            if isinstance(end, NewEnd):
                end.confirm(same)
            else:
                end.confirm(same, history=history)

    def link_cancel(self) -> None:
        end = self._link_end
        if end is not None:
            end.cancel()

    def _link_event(self, event: Any) -> None:
        end = self._link_end
        if isinstance(event, LinkFinished) and isinstance(end, NewEnd):
            # The new device is logged in as itself and holds the account: it is online from now on.
            self._link.send(Input.REGISTERED)
            self._emit(event)
            self._emit(LoggedIn(event.phone))
            _, duties = self._unlocked()
            duties.after_login()
            return
        self._emit(event)

    def _tick_link(self) -> None:
        """Each round, online or not: a link not done by its deadline expires."""
        end = self._link_end
        if end is not None and self._ctx is not None:
            with self._ctx.storing("poll"):
                end.tick()

    def _service_link(self) -> None:
        """Each round online: a changed device list is read again and reported."""
        if self._devices_stale and self._link.online:
            self._devices_stale = False
            self._emit(DevicesChanged(self.devices()))

    def _link_push(self, push: object) -> bool:
        """Hand a link push to its end; False for a push the duties take (``devices_changed`` too)."""
        end = self._link_end
        if isinstance(push, device_replies.LinkJoinedPush):
            if isinstance(end, NewEnd):
                end.on_joined(push.key)
        elif isinstance(push, device_replies.LinkRelayPush):
            if end is not None:
                end.on_relay(push.body)
        elif isinstance(push, device_replies.LinkDonePush):
            if isinstance(end, ExistingEnd):
                end.on_done(push.device)
        elif isinstance(push, device_replies.DevicesChangedPush):
            # Our own list is the duties' to keep (a removed device's session goes, the outbox
            # looks again); here only the shown list is marked stale.
            self._devices_stale = True
            return False
        else:
            return False
        return True

    # ------------------------------------------------------------------ the list

    def devices(self) -> list[DeviceView]:
        """The account's devices, with the names they gave themselves and when they were last seen."""
        ctx = self._require()
        conn = self._link.require()
        reply = self._membership.guard(conn.list_devices)
        identity = ctx.require_identity()
        views = []
        for item in reply.devices:
            try:
                name = device_names.open_name(identity, item.name) if item.name else ""
            except CryptoError:
                name = ""  # sealed by someone without the identity: shown by its number alone
            views.append(DeviceView(item.device, name, item.created, item.last_seen, item.current))
        me = ctx.profile.account.get().phone
        if me and views:
            with ctx.storing("account"):
                ctx.profile.devices.set_of(me, [v.device for v in views])
        return views

    def unlink_device(self, device: int) -> None:
        """Unlink ``device`` (this one or another) from the account: the server refuses it from now on."""
        ctx = self._require()
        conn = self._link.require()
        reply = self._membership.guard(lambda: conn.unlink_device(device))
        me = ctx.profile.account.get().phone
        if me and reply.devices:
            with ctx.storing("account"):
                ctx.profile.devices.set_of(me, reply.devices)

    def rename_device(self, name: str) -> None:
        """Give this device a new name (sealed: only the account's devices can read it)."""
        ctx = self._require()
        cleaned = " ".join(name.split())
        if not cleaned or len(cleaned.encode("utf-8")) > device_names.MAX_NAME_BYTES:
            raise EngineError(
                "bad_device_name", f"Give the device a name of 1 to {device_names.MAX_NAME_BYTES} bytes."
            )
        sealed = device_names.seal_name(ctx.require_identity(), cleaned, random=self._random)
        conn = self._link.require()
        self._membership.guard(lambda: conn.set_device_name(sealed))
        self._devices_stale = True
