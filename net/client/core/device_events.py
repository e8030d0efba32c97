"""The events and views of linked devices: linking a computer, the account's list of devices.

Apart from :mod:`net.client.core.events` (which re-exports them in its ``Event`` union) so
that file stays one concept per screenful.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class DeviceView:
    """One device of our account, as Settings → Linked devices lists it."""

    device: int
    #: The name the device gave itself (sealed on the server; "" when it does not open here).
    name: str
    created_ms: int
    #: When it was last online, kept by the server to the hour.
    last_seen_ms: int
    #: This computer.
    current: bool


@dataclass(frozen=True)
class LinkCodeShown:
    """The new computer's link code: ``code`` grouped ``ABCD-EFGH-IJKL-MNOP``, ``qr`` the QR code's text."""

    code: str
    qr: str
    expires_in: int = 600


@dataclass(frozen=True)
class LinkComparison:
    """Both screens show ``number`` (``123 456``); the person says whether they are the same."""

    number: str
    role: Literal["new", "existing"]


@dataclass(frozen=True)
class LinkFinished:
    """The computer is linked: ``device`` is its id on the account of ``phone``."""

    phone: str
    device: int


@dataclass(frozen=True)
class LinkFailed:
    """Nothing was linked; ``code`` is stable (``link_not_found``, ``cancelled``, ``different``,
    ``expired``, ``too_many_devices``, ...), ``message`` says it in words."""

    code: str
    message: str


@dataclass(frozen=True)
class DevicesChanged:
    """Our account's devices changed (one linked, one unlinked, one renamed)."""

    devices: list[DeviceView]
