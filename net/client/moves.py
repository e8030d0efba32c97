"""Moving an account to new identity keys, proved by the current ones (no code, no registration lock).

The new identity and its prekeys are stored in the profile (the identity as
*pending*) before their public parts leave; the server's yes makes the pending
identity the profile's identity. A refusal forgets them. A connection lost before
the reply leaves the pending identity in place and the move unknown: the old keys
still log in if the server never took it.
"""

from __future__ import annotations

from typing import Any

from crypto_core.keys import IdentityKeyPair
from net.client import prekeys
from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.transport import ConnectionLost
from net.protocol import replies
from net.protocol.errors import RequestRefused
from net.protocol.registration import sign_move


def move_to_new_keys(ctx: Context, conn: Any, current: IdentityKeyPair) -> IdentityKeyPair:
    """Register the number anew under fresh keys, signed by ``current``; returns the new identity."""
    phone = ctx.profile.account.get().phone
    if phone is None:
        raise EngineError("not_registered", "Register this profile with a server first.")
    new = IdentityKeyPair.generate(ctx.random)
    with ctx.profile.transaction():
        ctx.profile.keys.set_pending_identity(new)
        published = prekeys.for_registration(ctx.profile.keys, new, ctx.clock(), ctx.random)
    try:
        nonce = conn.request(replies.CHALLENGE, phone=phone).nonce
        conn.request(
            replies.REGISTER_FINISH,
            phone=phone,
            proof=sign_move(current, nonce, phone, new.public, conn.fingerprint),
            identity=new.public,
            **published.registration_fields(),
        )
    except RequestRefused as exc:
        with ctx.profile.transaction():
            prekeys.forget(ctx.profile.keys, published)
            ctx.profile.keys.set_pending_identity(None)
        raise EngineError(exc.code, f"The server refused the move to new keys: {exc.message}") from None
    except ConnectionLost as exc:
        raise EngineError("offline", f"The connection to the server was lost: {exc}.") from None
    with ctx.profile.transaction():
        # The account starts again with this computer as its only device, device 1, whose login
        # key is the identity's: a linked device's own login key is of no use from now on.
        ctx.profile.devices.set_login_key(None)
        ctx.profile.devices.set_own(1)
        ctx.profile.devices.set_of(phone, [1])
        return ctx.profile.keys.adopt_pending_identity()
