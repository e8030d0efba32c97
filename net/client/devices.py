"""Keeping device lists: which devices of each phone (ours included) a message must go to.

The profile keeps, per phone, the device ids we know (:class:`storage.profile.devices.DeviceStore`);
this module changes them from what the server and the contacts say, the same way each time:

* a bundle's ``devices``, a ``devices_changed`` refusal, a ``devices_changed`` push or our login's
  ``devices`` replace the list (:func:`learn`); a device no longer in it loses its session at once
  (an unlinked computer must not read what we send next), a new one gets a session when something
  is next sealed for it (its bundle is asked for then);
* a message from a device of a known contact that we did not know of (their newly linked computer
  wrote first) adds it (:func:`heard_from`): it came under the contact's pinned identity, so it is
  not a key change. A message under another identity still is, whatever device it names.

The one-device case costs nothing: a phone without rows is device 1 alone, and nothing is written
until a second device appears.
"""

from __future__ import annotations

from collections.abc import Iterable

from net.client.context import Context
from net.client.core import outbox_plan as plan
from net.client.core.outbox_plan import DeviceChange


def known(ctx: Context, phone: str) -> list[int]:
    """The device ids of ``phone`` we know, ascending (``[1]`` when we know of no other)."""
    return ctx.profile.devices.of(phone)


def own_others(ctx: Context) -> list[int]:
    """Our own devices but this one: where sync copies go (empty on the only device)."""
    phone = ctx.phone
    if phone is None:
        return []
    return plan.own_others(ctx.profile.devices.of(phone), ctx.profile.devices.own())


def learn(ctx: Context, phone: str, devices: Iterable[int]) -> DeviceChange:
    """Take the server's word for ``phone``'s devices; a removed device's session is dropped."""
    current = sorted(set(devices))
    if not current:
        return DeviceChange()
    profile = ctx.profile
    with profile.transaction():
        change = plan.device_change(profile.devices.of(phone), current)
        if not change:
            return change  # the one-device case writes nothing: a phone without rows is device 1
        profile.devices.set_of(phone, current)
        for device in change.removed:
            profile.sessions.delete(phone, device)
    return change


def learn_own(ctx: Context, devices: Iterable[int], own: int | None = None) -> DeviceChange:
    """Our login's (or a push's) list of our own devices; ``own`` is this connection's device id."""
    phone = ctx.phone
    if phone is None:
        return DeviceChange()
    with ctx.profile.transaction():
        if own is not None and own != ctx.profile.devices.own():
            ctx.profile.devices.set_own(own)
        return learn(ctx, phone, devices)


def heard_from(ctx: Context, phone: str, device: int) -> bool:
    """A message opened from ``device`` of ``phone``: a device we did not know is added. True if it was."""
    profile = ctx.profile
    have = profile.devices.of(phone)
    if device in have:
        return False
    profile.devices.set_of(phone, [*have, device])
    return True
