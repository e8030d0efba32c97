"""What both ends of a link share: the wire they use, the framing of relayed messages, the base.

:class:`LinkWire` is the server's link operations as the ends use them
(net/client/link_wire.py implements it on the engine's connection); :class:`End` holds a
link's machine (net/client/core/link_plan.py), keys, deadline and the failure in words.
The ends themselves, and what travels between them, are :mod:`net.client.linking`'s.
"""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto_core.encoding import RandomSource
from crypto_core.errors import CryptoError
from crypto_core.linking import LinkChannel, LinkKeyPair
from net.client.context import Context
from net.client.core.device_events import LinkFailed
from net.client.core.engine_error import EngineError
from net.client.core.link_plan import LinkAction, LinkInput, LinkMachine, LinkPlanError, Role
from net.client.device_words import failure_words, refusal_words
from net.client.provisioning import ProvisioningError
from net.client.transport import ConnectionLost
from storage.profile.errors import ProfileError

LINK_SECONDS = 600
#: The most a relay body holds (the wire's limit); a provisioning larger goes as a blob.
MAX_RELAY = 512 * 1024
_MAX_DOCUMENT = 256 * 1024 * 1024  # what a zlib'd document may unpack to: no decompression bombs
MAX_DEVICES = 5


class LinkRefused(Exception):
    """The server refused a link operation; ``code`` as on the wire, ``message`` in words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class LinkWire(Protocol):
    """The server's link operations, as the ends use them. Each raises LinkRefused or ConnectionLost."""

    @property
    def fingerprint(self) -> bytes: ...

    def open(self, key: bytes) -> tuple[str, int]: ...

    def join(self, code: str, key: bytes) -> bytes: ...

    def relay(self, code: str, body: bytes) -> None: ...

    def link_device(self, fields: dict[str, Any]) -> tuple[str, int]: ...

    def log_in(self, phone: str, device: int, login_key: Ed25519PrivateKey) -> list[int]: ...

    def put_blob(self, data: bytes) -> str: ...

    def get_blob(self, blob: str, size: int) -> bytes: ...


def frame(kind: str, sealed: bytes) -> bytes:
    return kind.encode("ascii") + b"\x00" + sealed


def unframe(body: bytes) -> tuple[str, bytes]:
    kind, sep, sealed = body.partition(b"\x00")
    if not sep or not kind.isascii() or len(kind) > 32:
        return "", b""
    return kind.decode("ascii"), sealed


def unpack_document(data: bytes) -> bytes:
    unpacker = zlib.decompressobj()
    try:
        out = unpacker.decompress(data, _MAX_DOCUMENT)
    except zlib.error:
        raise ProvisioningError("the account's data did not arrive whole") from None
    if unpacker.unconsumed_tail:
        raise ProvisioningError("the account's data is larger than Parley takes in at once")
    if not unpacker.eof:
        raise ProvisioningError("the account's data did not arrive whole")
    return out


class End(ABC):
    """What both ends share: the machine, the link's keys, the deadline, failing in words."""

    role: Role

    def __init__(
        self,
        ctx: Context,
        wire: LinkWire,
        emit: Callable[[Any], None],
        *,
        random: RandomSource,
        monotonic: Callable[[], float],
    ) -> None:
        self.ctx, self.wire, self.emit = ctx, wire, emit
        self.random, self.monotonic = random, monotonic
        self.machine = LinkMachine(self.role)
        self.code = ""
        self.keys: LinkKeyPair | None = None
        self.channel: LinkChannel | None = None
        self.deadline = 0.0
        self.refusal: tuple[str, str] | None = None

    @property
    def active(self) -> bool:
        return self.machine.state.value != "idle" and not self.machine.finished

    def feed(self, event: LinkInput) -> None:
        """Apply ``event`` and do what the table says, feeding back what the work reports."""
        try:
            actions = self.machine.send(event)
        except LinkPlanError as exc:
            raise EngineError("no_link", _out_of_place(exc)) from None
        for action in actions:
            follow = self.act(action)
            if follow is not None:
                self.feed(follow)
                return

    @abstractmethod
    def act(self, action: LinkAction) -> LinkInput | None:
        """Each subclass's own."""

    def attempt(self, step: Callable[[], LinkInput | None]) -> LinkInput | None:
        """Run one network step; a refusal or a lost connection becomes the table's input."""
        try:
            return step()
        except LinkRefused as exc:
            self.refusal = refusal_words(exc.code, str(exc))
            return LinkInput.REFUSED
        except ConnectionLost as exc:
            self.refusal = ("offline", f"The connection to the server was lost: {exc}.")
            return LinkInput.DROPPED
        except (ProvisioningError, CryptoError) as exc:
            self.refusal = ("bad_link", f"The other computer's data cannot be used: {exc}.")
            return LinkInput.REFUSED
        except ProfileError as exc:
            # A full disk or a damaged file here: the profile's transaction rolled back whole.
            self.refusal = (getattr(exc, "code", "profile_error"), f"Nothing was linked: {exc}.")
            return LinkInput.REFUSED

    def send_sealed(self, kind: str, payload: bytes, then: LinkInput | None = None) -> LinkInput | None:
        """Seal ``payload`` to the other end and relay it; returns ``then`` (the table's next input)."""
        assert self.channel is not None
        self.wire.relay(self.code, frame(kind, self.channel.seal(kind, payload, random=self.random)))
        return then

    def cancel_quietly(self) -> None:
        """Tell the other end, if the server still relays; a failure here changes nothing."""
        if self.channel is not None:
            kept = self.refusal
            self.attempt(lambda: self.send_sealed("cancel", b""))
            self.refusal = kept

    def fail(self) -> None:
        cause = self.machine.failed_by
        code, words = self.refusal or failure_words(cause.value if cause is not None else "")
        self.emit(LinkFailed(code, words))

    def tick(self) -> None:
        """The clock: a link not done by its deadline expires."""
        if self.active and self.monotonic() >= self.deadline:
            self.feed(LinkInput.EXPIRED)

    def cancel(self) -> None:
        if self.active:
            self.feed(LinkInput.CANCEL)

    def on_relay(self, body: bytes) -> None:
        """A sealed message from the other end; one that does not open ends the link."""
        if not self.active or self.channel is None:
            return
        kind, sealed = unframe(body)
        try:
            payload = self.channel.open(kind, sealed)
        except CryptoError:
            self.refusal = ("bad_link", "A message of the link did not open: nothing was linked.")
            self.feed(LinkInput.REFUSED)
            return
        self.received(kind, payload)

    @abstractmethod
    def received(self, kind: str, payload: bytes) -> None:
        """Each subclass's own."""


def _out_of_place(exc: LinkPlanError) -> str:
    if exc.input is LinkInput.SAY_SAME or exc.input is LinkInput.SAY_DIFFERENT:
        return "There is no link waiting for the numbers to be compared."
    return "A link is already under way; finish or cancel it first."
