"""The first login of a profile restored from a backup: new prekeys replace whatever the server holds.

A restored profile (:mod:`storage.profile.restore`) has no ratchet sessions and
the prekeys of the time the backup was made. If the profile went on being used
elsewhere, that copy may have rotated the signed prekey and published one-time
prekeys whose private halves the restored copy never had: a contact starting a
session with one of them would send an initial message this copy cannot open.
So, right after its first login and before anything is fetched, the restored
copy publishes a fresh signed prekey (``set_signed_prekey``) and a full stock of
fresh one-time prekeys of both kinds with ``replace: true`` (``upload_prekeys``),
which deletes the server's stock of those kinds in the same transaction. Only
when the server has taken both is the mark cleared; a drop between them leaves
it, and the next login does it again (fresh keys twice cost nothing).

What follows is the ordinary healing (:meth:`net.client.duties.Duties.heal`):
a message a contact sent on an old session does not decrypt, a new session is
started and a reset notice names the message, so the contact sends it again;
our next message to each contact starts a new session too.
"""

from __future__ import annotations

from net.client import prekeys
from net.client.context import Context
from net.client.core.duties_plan import TARGET, Wanted
from net.client.link import Link
from net.protocol import replies


def publish_fresh_keys(ctx: Context, link: Link) -> bool:
    """Replace a restored profile's prekeys on the server, then clear its mark; whether it was restored."""
    profile = ctx.profile
    if not profile.account.restored():
        return False
    conn = link.require()
    identity = ctx.require_identity()
    with profile.transaction():
        rotated = prekeys.rotate(profile.keys, identity, ctx.clock(), ctx.random)
        fresh = prekeys.fresh(profile.keys, identity, Wanted(TARGET, TARGET), ctx.random)
    conn.request(replies.SET_SIGNED_PREKEY, signed_prekey=rotated.signed_prekey)
    conn.request(
        replies.UPLOAD_PREKEYS,
        one_time_prekeys=fresh.one_time_prekeys,
        kem_prekeys=fresh.kem_prekeys,
        replace=True,
    )
    profile.account.clear_restored()
    return True
