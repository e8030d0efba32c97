"""Starting a session from a contact's bundle: fetch it, verify it, pin the identity, run PQXDH.

Used when a contact is added, when a message must go to a contact without a
session, and when a broken session heals. The bundle's identity is pinned on
first use; a different identity than the pinned one is a key change, which is
reported once, marks the contact unverified and holds texts to it until the
person accepts the new key.
"""

from __future__ import annotations

from crypto_core.errors import CryptoError, InvalidSignature
from net.client import notices, sessions
from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.core.events import ContactKeyChanged, ContactUpdated
from net.client.transport import ServerConnection
from net.protocol import replies
from net.protocol.errors import RequestRefused
from storage.profile.contacts import Contact, PinResult


def start_session(ctx: Context, conn: ServerConnection, phone: str, name: str = "") -> Contact:
    """A new current session with ``phone``; EngineError("unknown_account") if nobody has that number."""
    try:
        reply = conn.request(replies.GET_BUNDLE, phone=phone)
    except RequestRefused as exc:
        if exc.code == "unknown_account":
            raise EngineError(
                "unknown_account", f"Nobody with the number {phone} uses Parley on this server."
            ) from None
        raise EngineError(
            exc.code, f"The server would not give out the keys of {phone}: {exc.message}"
        ) from None
    try:
        state = sessions.start(ctx.require_identity(), reply.bundle, random=ctx.random, clock=ctx.clock)
    except InvalidSignature:
        raise EngineError(
            "bad_bundle", f"The keys the server gave out for {phone} are not signed by their owner."
        ) from None
    except CryptoError:
        raise EngineError("bad_bundle", f"The keys the server gave out for {phone} are malformed.") from None
    profile = ctx.profile
    with profile.transaction():
        profile.contacts.add(phone, name)
        outcome, contact = profile.contacts.pin_identity(phone, state.peer)
        record = ctx.load_record(phone)  # a damaged record reads as empty: the new session replaces it
        record.make_current(state)
        ctx.save_record(phone, record)
        note = notices.key_changed(ctx, phone) if outcome is PinResult.CHANGED else None
    if note is not None:
        ctx.emit(ContactKeyChanged(ctx.contact_view(contact), ctx.previous_safety_number(contact), note))
    elif outcome is PinResult.NEW:
        ctx.emit(ContactUpdated(ctx.contact_view(contact)))
    return contact
