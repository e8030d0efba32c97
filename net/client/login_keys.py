"""This device's own login key: made at registration, or handed to the server before a first link.

Every device of an account holds the identity key (a linked computer is given it), so the identity
key cannot also be what logs a device in: a computer unlinked later would keep it, log in as
device 1 and link itself back. So each device logs in with an Ed25519 key of its own, which only
it holds. A profile registered before linked devices logs in with the identity key until it joins
its first link; the server refuses that ``link_join`` (``login_key_required``) while any device of
the account still does, so :func:`ensure` gives the server this device's own key first.

The private key is stored before its public half leaves (as every key here): first as *pending*,
then, once the server answered, as the key. If the answer is lost the pending key stays, is offered
again by the next :func:`ensure`, and :func:`login_candidates` lets the login try it.
"""

from __future__ import annotations

import hmac

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.transport import ServerConnection
from net.protocol.errors import RequestRefused


def public_of(private: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def offer(ctx: Context) -> bytes:
    """A login key for this device, kept as pending (made now unless one waits already); its private bytes."""
    devices = ctx.profile.devices
    pending = devices.pending_login_key()
    if pending is None:
        pending = ctx.random(32)  # an Ed25519 private key is any 32 random bytes
        devices.set_pending_login_key(pending)
    return pending


def adopt(ctx: Context, private: bytes) -> None:
    """The server holds ``private``'s public half: from now on this device logs in with it."""
    with ctx.profile.transaction():
        ctx.profile.devices.set_login_key(private)
        ctx.profile.devices.set_pending_login_key(None)


def ensure(ctx: Context, conn: ServerConnection) -> None:
    """Give the server a login key of this device's own, if it still logs in with the identity key."""
    if ctx.profile.devices.login_key() is not None:
        return
    private = offer(ctx)
    try:
        conn.set_login_key(public_of(private))
    except RequestRefused as exc:
        raise EngineError(
            exc.code, f"The server did not take this computer's login key: {exc.message}"
        ) from None
    adopt(ctx, private)


def login_candidates(ctx: Context) -> list[bytes | None]:
    """The keys a login tries, in order: the own key (None: the identity's), then a pending one."""
    devices = ctx.profile.devices
    pending = devices.pending_login_key()
    first = devices.login_key()
    if pending is None or (first is not None and hmac.compare_digest(pending, first)):
        return [first]
    return [first, pending]
