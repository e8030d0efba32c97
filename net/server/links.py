"""Linking a new device to an account: link codes, the meeting of two connections, the relay, the new device.

All of it lives in memory and belongs to open connections (net/protocol/PROTOCOL.md, "Devices"):

* ``link_open`` (the new device, not logged in; a logged-in connection is ``already_logged_in``)
  makes a link code and keeps only its SHA-256, with the connection and its handshake key; the code
  dies after 10 minutes, when that connection closes, or when it opens another. The loop's periodic
  tick sweeps expired links; at most 20 opens per address an hour bound what one address holds.
* ``link_join`` (a device logged in to the account) meets it: each end gets the other's handshake key.
  Every join counts against the account and the address, found or not, so codes cannot be guessed
  (80 random bits, at most 10 tries an hour per account and per address; both limits are checked
  before either counts). Refused ``login_key_required`` while the joining device still logs in with
  the identity key, and ``too_many_devices`` when the account has its 5 devices already. The same
  connection joining the same code again gets the same answer (and the opener the push again); a
  join whose turn's commit fails is taken back.
* ``link_relay`` passes opaque bodies (sealed by the ends) between the two connections.
* ``link_device`` (on the opening connection, before login) creates the device under the account of
  the device that joined, authorised by the link statement signed with the account's identity key.
  A refused link_device uses the link up; one that creates the device uses it up once the device is
  committed (a commit that fails for lack of room leaves the link as it was, to try again).

A code nobody opened, an expired one, one whose connection closed or that was joined already, a
link whose other end is closed or closing, and a connection that is not an end of the link: all
``link_not_found``, alike. A closing connection ends the links it opened and those it joined.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from crypto_core.keys import PublicIdentity, SignedPreKeyPublic
from net.protocol.devices import (
    LINK_LIFETIME,
    PUSH_DEVICES_CHANGED,
    PUSH_LINK_DONE,
    PUSH_LINK_JOINED,
    PUSH_LINK_RELAY,
    make_link_code,
    verify_link,
)
from net.protocol.errors import ErrorCode, RequestRefused
from net.server.limits import Limits, RateLimiter, source_address
from net.server.outcome import Outcome
from net.server.presence import Presence, Session
from net.server.registrar import check_kem, masked
from storage.server.interface import ServerStore
from storage.server.records import DeviceKeys, TooManyDevices, UnknownAccount

log = logging.getLogger("parley.server")
HOUR = 3600.0


def _not_found() -> RequestRefused:
    return RequestRefused(
        ErrorCode.LINK_NOT_FOUND, "no such link: the code is wrong, expired, used, or its computer went away"
    )


@dataclass
class OpenLink:
    """One open link: who opened it, its handshake key, when it dies; who joined it, once someone has."""

    opener: Session
    key: bytes
    expires_at: float  # seconds, on the service's clock
    joiner: Session | None = None
    phone: str | None = None
    joiner_key: bytes | None = None
    #: A ``link_device`` is creating the device in this turn: nobody else may use the link meanwhile.
    linking: bool = False

    def __repr__(self) -> str:
        return f"OpenLink(joined={self.joiner is not None})"


class LinkCluster(Protocol):
    """Links across nodes (net/server/link_bus.py); None on one node."""

    def opened(self, digest: bytes) -> None: ...

    def closed(self, digest: bytes) -> None: ...

    def forget(self, session: Session) -> None: ...

    def join(self, session: Session, phone: str, code: str, key: bytes) -> Outcome: ...

    def relay(self, session: Session, code: str, body: bytes) -> Outcome: ...


def _same_remote(joiner: Session | None, phone: str, device: int) -> bool:
    """Whether ``joiner`` is the proxy of (phone, device) on another node."""
    if joiner is None or not getattr(joiner, "remote", False):
        return False
    return (joiner.phone, joiner.device) == (phone, device)


def _gone(session: Session) -> bool:
    """Whether the connection is closed or closing (a session without those marks is open)."""
    return bool(getattr(session, "closed", False) or getattr(session, "closing", False))


class Links:
    """The handlers of ``link_open``, ``link_join``, ``link_relay`` and ``link_device``."""

    def __init__(
        self,
        store: ServerStore,
        limits: Limits,
        presence: Presence,
        persisted: Callable[[str, int, float], RateLimiter],
        clock: Callable[[], float],
        now_ms: Callable[[], int],
        fingerprint: bytes,
        random: Callable[[int], bytes] | None = None,
    ) -> None:
        self._store = store
        self._limits = limits
        self._presence = presence
        self._clock = clock
        self._now_ms = now_ms
        self._fingerprint = fingerprint
        self._random = random
        self._by_hash: dict[bytes, OpenLink] = {}
        self._by_opener: dict[Session, bytes] = {}
        self._next_sweep = 0.0
        #: In a cluster: the link of a code held by another node is met through the bus.
        self.cluster: LinkCluster | None = None
        self._opens = persisted("link_opens", limits.link_opens_per_address, HOUR)
        self._joins = persisted("link_joins", limits.link_joins_per_account, HOUR)
        self._joins_by_address = persisted("link_joins_by_address", limits.link_joins_per_address, HOUR)
        self.handlers: dict[str, Callable[[Session, dict[str, Any]], Outcome]] = {
            "link_open": self.open,
            "link_join": self.join,
            "link_relay": self.relay,
            "link_device": self.device,
        }

    def __len__(self) -> int:
        return len(self._by_hash)

    def forget(self, session: Session) -> None:
        """The connection closed: the link it opened and those it joined die with it."""
        digest = self._by_opener.pop(session, None)
        if digest is not None:
            self._by_hash.pop(digest, None)
            if self.cluster is not None:
                self.cluster.closed(digest)
        if self.cluster is not None:
            self.cluster.forget(session)
        for joined in [d for d, link in self._by_hash.items() if link.joiner is session]:
            self._drop(joined, self._by_hash[joined])

    def sweep(self) -> int:
        """Drop the expired links (the loop calls this on every turn; it looks once a second): how many."""
        now = self._clock()
        if now < self._next_sweep:
            return 0
        self._next_sweep = now + 1.0
        expired = [(d, link) for d, link in self._by_hash.items() if now >= link.expires_at]
        for digest, link in expired:
            self._drop(digest, link)
        return len(expired)

    def _live(self, code: str) -> tuple[bytes, OpenLink] | None:
        digest = hashlib.sha256(code.encode("ascii")).digest()
        link = self._by_hash.get(digest)
        if link is None:
            return None
        if self._clock() >= link.expires_at:
            self._drop(digest, link)
            return None
        return digest, link

    def _drop(self, digest: bytes, link: OpenLink) -> None:
        if self._by_hash.pop(digest, None) is not None and self.cluster is not None:
            self.cluster.closed(digest)
        if self._by_opener.get(link.opener) == digest:
            del self._by_opener[link.opener]

    # ------------------------------------------------------------------ handlers

    def open(self, session: Session, args: dict[str, Any]) -> Outcome:
        if session.phone is not None:
            raise RequestRefused(
                ErrorCode.ALREADY_LOGGED_IN, "a logged-in device joins a link; it does not open one"
            )
        if not self._opens.allow(source_address(session.peer)):
            raise RequestRefused(ErrorCode.RATE_LIMITED, "too many link codes asked for from your address")
        self.forget(session)  # a new code replaces the connection's old one
        code = make_link_code(self._random) if self._random else make_link_code()
        digest = hashlib.sha256(code.encode("ascii")).digest()
        self._by_hash[digest] = OpenLink(session, args["key"], self._clock() + LINK_LIFETIME)
        self._by_opener[session] = digest
        if self.cluster is not None:
            self.cluster.opened(digest)
        return Outcome({"code": code, "expires_in": LINK_LIFETIME})

    def join(self, session: Session, args: dict[str, Any]) -> Outcome:
        phone = session.phone
        assert phone is not None
        address = source_address(session.peer)
        if self._joins.exceeded(phone) or self._joins_by_address.exceeded(address):
            raise RequestRefused(ErrorCode.RATE_LIMITED, "too many link codes tried this hour; try later")
        self._joins.count(phone)
        self._joins_by_address.count(address)
        login = self._store.device_login(phone, session.device)
        if login is None or login.login_key is None:
            raise RequestRefused(
                ErrorCode.LOGIN_KEY_REQUIRED,
                "this device still logs in with the identity key; give it a login key of its own with"
                " set_login_key first",
            )
        live = self._store.device_ids(phone)
        if len(live) >= self._limits.max_devices:
            raise RequestRefused(
                ErrorCode.TOO_MANY_DEVICES,
                f"this account has {self._limits.max_devices} devices already: unlink one first",
            )
        found = self._live(args["code"])
        if found is None and self.cluster is not None:  # maybe opened on another node
            return self.cluster.join(session, phone, args["code"], args["key"])
        if found is None or found[1].opener is session or _gone(found[1].opener):
            raise _not_found()
        link = found[1]
        again = link.joiner is session and link.joiner_key == args["key"] and not link.linking
        if link.joiner is not None and not again:
            raise _not_found()
        link.joiner, link.phone, link.joiner_key = session, phone, args["key"]
        opener, pushed = link.opener, {"key": args["key"], "phone": phone}
        log.info("%s: a link for %s was joined%s", session.peer, masked(phone), " again" if again else "")

        def tell() -> None:
            opener.push(PUSH_LINK_JOINED, pushed)

        def take_back() -> None:  # the turn's commit failed: the join did not happen
            if not again and link.joiner is session:
                link.joiner = link.phone = link.joiner_key = None

        return Outcome({"key": link.key}, then=tell, undo=take_back)

    def relay(self, session: Session, args: dict[str, Any]) -> Outcome:
        found = self._live(args["code"])
        if found is None and self.cluster is not None:  # joined on this node, opened on another
            return self.cluster.relay(session, args["code"], args["body"])
        if found is None or found[1].joiner is None or found[1].linking:
            raise _not_found()
        link = found[1]
        if session is link.opener:
            other = link.joiner
        elif session is link.joiner:
            other = link.opener
        else:
            raise _not_found()
        assert other is not None
        if _gone(other):  # nobody would read it
            raise _not_found()
        body = {"body": args["body"]}

        def relay() -> None:
            other.push(PUSH_LINK_RELAY, body)

        return Outcome({}, then=relay)

    def join_from_afar(self, digest: bytes, joiner: Session, key: bytes) -> bytes | None:
        """A device on another node joins a link opened here (its node checked what ``join`` checks
        before the lookup): the opener's handshake key, or None for ``link_not_found``."""
        link = self._by_hash.get(digest)
        if link is None or self._clock() >= link.expires_at or _gone(link.opener) or joiner.phone is None:
            return None
        phone = joiner.phone
        again = (
            _same_remote(link.joiner, phone, joiner.device) and link.joiner_key == key and not link.linking
        )
        if link.joiner is not None and not again:
            return None
        link.joiner, link.phone, link.joiner_key = joiner, phone, key
        log.info("a link for %s was joined from another node%s", masked(phone), " again" if again else "")
        link.opener.push(PUSH_LINK_JOINED, {"key": key, "phone": phone})
        return link.key

    def relay_from_afar(self, digest: bytes, phone: str, device: int, body: bytes) -> None:
        """A relay body from the device on another node that joined a link opened here."""
        link = self._by_hash.get(digest)
        if link is None or link.linking or not _same_remote(link.joiner, phone, device) or _gone(link.opener):
            return
        link.opener.push(PUSH_LINK_RELAY, {"body": body})

    def device(self, session: Session, args: dict[str, Any]) -> Outcome:
        if session.phone is not None:
            raise RequestRefused(ErrorCode.ALREADY_LOGGED_IN, "a new device links before it logs in")
        found = self._live(args["code"])
        if found is None or found[1].opener is not session or found[1].joiner is None or found[1].linking:
            raise _not_found()
        digest, link = found
        link.linking = True  # until the device is committed, or the request refused
        try:
            outcome = self._make_device(session, link, args)
        except BaseException as exc:
            if self._store.lacks_room(exc) or self._store.unreachable(exc):
                link.linking = False  # nothing was stored: the same request may come again
            else:
                self._drop(digest, link)  # refused: the link is used up
            raise
        then = outcome.then
        assert then is not None

        def committed() -> None:
            self._drop(digest, link)
            then()

        def take_back() -> None:  # the commit failed (no room, no database): the link stays, to try again
            link.linking = False

        return Outcome(outcome.body, then=committed, undo=take_back)

    def _make_device(self, session: Session, link: OpenLink, args: dict[str, Any]) -> Outcome:
        phone, joiner = link.phone, link.joiner
        assert phone is not None and joiner is not None
        account = self._store.account(phone)
        if account is None:
            raise _not_found()
        identity = PublicIdentity.from_json(account.identity)
        verify_link(  # InvalidSignature: bad_signature (the service's handle says so)
            identity.signing_key,
            args["signature"],
            args["code"],
            phone,
            args["device_key"],
            self._fingerprint,
        )
        signed_prekey: SignedPreKeyPublic = args["signed_prekey"]
        signed_prekey.verify(identity)
        check_kem(args["kem_last_resort"], identity, last_resort=True)
        for kem in args["kem_prekeys"]:
            check_kem(kem, identity, last_resort=False)
        keys = DeviceKeys(
            signed_prekey=signed_prekey.to_json(),
            kem_last_resort=args["kem_last_resort"].to_json(),
            one_time_prekeys=[(k.key_id, k.to_json()) for k in args["one_time_prekeys"]],
            kem_prekeys=[(k.key_id, k.to_json()) for k in args["kem_prekeys"]],
        )
        try:
            device, devices = self._store.add_device(
                phone,
                args["device_key"],
                args["name"],
                keys,
                self._now_ms(),
                max_devices=self._limits.max_devices,
            )
        except TooManyDevices:
            raise RequestRefused(
                ErrorCode.TOO_MANY_DEVICES,
                f"this account has {self._limits.max_devices} devices already: unlink one first",
            ) from None
        except UnknownAccount:
            raise _not_found() from None
        log.info("%s: device %d linked to %s", session.peer, device, masked(phone))

        def tell() -> None:  # after the commit: the device exists for good only then
            joiner.push(PUSH_LINK_DONE, {"device": device})
            for online in self._presence.all_of(phone):
                online.push(PUSH_DEVICES_CHANGED, {"devices": devices})

        return Outcome({"phone": phone, "device": device}, then=tell)
