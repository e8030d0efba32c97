"""Starting a session from a contact's bundle: fetch it, verify it, pin the identity, run PQXDH.

Used when a contact is added, when a message must go to a contact without a
session, and when a broken session heals. The bundle's identity is pinned on
first use; a different identity than the pinned one is a key change, which is
reported once, marks the contact unverified and holds texts to it until the
person accepts the new key.

Sessions are per (phone, device) (Sesame): a bundle is asked for one device (device 1 as before
linked devices, with no field); the reply's ``devices`` keeps our list of the contact's devices
current (:mod:`net.client.devices`). Every device of a person shares one identity, so a new
device's bundle pins the same key: it is not a key change.
"""

from __future__ import annotations

import hmac
from typing import Any

from crypto_core.errors import CryptoError, InvalidSignature
from crypto_core.keys import PreKeyBundle
from net.client import devices, notices, outbox_wire, sessions
from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.core.events import ContactKeyChanged, ContactUpdated
from net.client.transport import ServerConnection
from net.protocol import replies
from net.protocol.errors import RequestRefused
from storage.profile.contacts import Contact, PinResult


def start_session(
    ctx: Context, conn: ServerConnection, phone: str, name: str = "", *, device: int = 1
) -> Contact:
    """A new current session with ``device`` of ``phone``; EngineError("unknown_account") if nobody has
    that number, EngineError("devices_changed") if the account has no such device any more."""
    reply = _bundle(ctx, conn, phone, device)
    state = _started(ctx, phone, reply.bundle)
    served = _served(reply, device)
    listed_now = reply.devices
    profile = ctx.profile
    with profile.transaction():
        profile.contacts.add(phone, name)
        # One identity for all of a person's devices: a new device's bundle pins the same one.
        outcome, contact = profile.contacts.pin_identity(phone, state.peer)
        if listed_now:
            devices.learn(ctx, phone, listed_now)
        record = ctx.load_record(phone, served)  # a damaged record reads as empty: the new one replaces it
        record.make_current(state)
        ctx.save_record(phone, record, served)
        note = notices.key_changed(ctx, phone) if outcome is PinResult.CHANGED else None
    if note is not None:
        ctx.emit(ContactKeyChanged(ctx.contact_view(contact), ctx.previous_safety_number(contact), note))
    elif outcome is PinResult.NEW:
        ctx.emit(ContactUpdated(ctx.contact_view(contact)))
    return contact


def start_own_session(ctx: Context, conn: ServerConnection, device: int) -> None:
    """A new current session with another device of ours: its bundle must be signed by our own
    identity (we are no contact of ours, and nothing is pinned)."""
    me = ctx.me()
    reply = _bundle(ctx, conn, me, device)
    state = _started(ctx, me, reply.bundle)
    if not hmac.compare_digest(state.peer.encoded(), ctx.require_identity().public.encoded()):
        raise EngineError("bad_bundle", "The keys the server gave out for your other device are not yours.")
    served = _served(reply, device)
    listed_now = reply.devices
    with ctx.profile.transaction():
        if listed_now:
            devices.learn(ctx, me, listed_now)
        record = ctx.load_record(me, served)
        record.make_current(state)
        ctx.save_record(me, record, served)


def _served(reply: replies.BundleReply, asked: int) -> int:
    """The device whose bundle the server gave (the lowest id when device 1 was asked for and is gone)."""
    return reply.device or asked


def _bundle(ctx: Context, conn: ServerConnection, phone: str, device: int) -> replies.BundleReply:
    # Device 1 is asked for as before linked devices (no field): the server serves the lowest id.
    args: dict[str, Any] = {"phone": phone} if device == 1 else {"phone": phone, "device": device}
    try:
        return conn.request(replies.GET_BUNDLE, **args)
    except RequestRefused as exc:
        if exc.code == "unknown_account":
            raise EngineError(
                "unknown_account", f"Nobody with the number {phone} uses Parley on this server."
            ) from None
        listed = outbox_wire.refused_devices(exc)
        if exc.code == "devices_changed" and listed:
            devices.learn(ctx, phone, listed)  # the device is gone: the next flush seals for the rest
        raise EngineError(
            exc.code, f"The server would not give out the keys of {phone}: {exc.message}"
        ) from None


def _started(ctx: Context, phone: str, bundle: PreKeyBundle) -> sessions.SessionState:
    try:
        return sessions.start(ctx.require_identity(), bundle, random=ctx.random, clock=ctx.clock)
    except InvalidSignature:
        raise EngineError(
            "bad_bundle", f"The keys the server gave out for {phone} are not signed by their owner."
        ) from None
    except CryptoError:
        raise EngineError("bad_bundle", f"The keys the server gave out for {phone} are malformed.") from None
