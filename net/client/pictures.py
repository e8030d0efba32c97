"""Profile pictures: ours made from a file and sent with our name; theirs checked before they are kept.

Ours is made by :func:`net.client.images.profile_picture` (a square JPEG of 256
pixels a side, at most 48 KiB, re-encoded so nothing of the file's metadata — EXIF,
GPS position, camera — leaves with it), kept in the profile's ``records`` and sent,
inside the end-to-end encrypted :class:`~net.client.core.envelope.ProfilePayload`,
with our display name: both under one version, which a change of either raises,
so it goes again to every accepted contact (and to the members of our groups as
the name does) and an older payload never wins over a newer one.

Theirs comes the same way. Before it is kept it must be a JPEG of at most 48 KiB
(checked by the envelope) that decodes within :data:`MAX_RECEIVED_PIXELS`; one that
does not is refused in words (logged, never with its bytes) and the name beside it
is still taken, with no picture, so an earlier picture does not stay beside a newer
name.
"""

from __future__ import annotations

from pathlib import Path

from net.client import images
from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.core.envelope import ProfilePayload
from net.client.core.standing import Standing
from net.client.names import share_if_due

#: The most pixels a contact's picture may have (ours have 256 × 256): a bomb in 48 KiB is refused.
MAX_RECEIVED_PIXELS = 1024 * 1024
PICTURE_NOT_SHOWN = "The profile picture they sent cannot be shown, so it was not taken."


def set_profile_picture(ctx: Context, path: str | Path | None) -> bool:
    """Make our profile picture from the picture at ``path`` (None removes it) and queue it with our name.

    True when it changed (the outbox then has something to send).
    """
    if path is None:
        picture = b""
    else:
        try:
            picture = images.profile_picture(Path(path))
        except images.ImageRefused as exc:
            raise EngineError("bad_picture", str(exc)) from None
    account = ctx.profile.account
    if picture == account.profile_picture():
        return False
    with ctx.profile.transaction():
        account.set_profile_picture(picture)
        for contact in ctx.profile.contacts.with_standing(Standing.ACCEPTED.value):
            share_if_due(ctx, contact)
    return True


def profile_picture(ctx: Context) -> bytes:
    """Our profile picture (a JPEG), b"" for none."""
    return ctx.profile.account.profile_picture()


def received_picture(payload: ProfilePayload) -> tuple[bytes, str]:
    """The picture of a contact's profile payload to keep (b"" for none), and why it was refused ("")."""
    if payload.picture_refused:
        return b"", payload.picture_refused
    if not payload.picture:
        return b"", ""
    try:
        images.decode(payload.picture, max_pixels=MAX_RECEIVED_PIXELS)
    except images.ImageRefused:
        return b"", PICTURE_NOT_SHOWN
    return payload.picture, ""
