"""What each operation does on the server, apart from any socket.

:meth:`Service.handle` takes a checked :class:`~net.protocol.connection.Request` and the
:class:`~net.server.presence.Session` it came on, and returns an :class:`Outcome`: the
reply's fields, what to do once the request's writes are committed (pushes to
other people happen after the sender's message is durable), and whether to close.
Registration lives in ``net/server/registrar.py``, ``send_many`` in
``net/server/send_many.py``, the blob operations in ``net/server/blob_service.py``, linking
in ``net/server/links.py`` and the other device operations in ``net/server/device_ops.py``.
A connection is logged in as one device of an account (``session.device``): fetch, ack,
the prekey operations and presence are that device's.
Work that may block for long (a code sent by e-mail, a registration lock's Argon2id,
a blob's sync and hash) is not done in ``handle``: the outcome carries it as ``later``, which the server
runs off its event loop and whose own outcome is the reply.
A refusal is a :class:`~net.protocol.errors.RequestRefused` with a stable code. Logs
name phones only by their last digits and never hold a code, key, signature or body.

Rate limits are :class:`~net.server.limits.PersistedLimiter` objects (see :meth:`Service.persisted`):
their counts are written in the same group commit as the request, so a restart keeps them. On a store
that several nodes share (``shared``) they are :class:`~net.server.shared_limiter.SharedLimiter` objects,
which count every node's events through the store.
What each counts, and what happens past it, is written in net/protocol/PROTOCOL.md ("Limits").
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from crypto_core.errors import InvalidSignature
from crypto_core.keys import IdentityKeyPair, PublicIdentity
from net.protocol.connection import Request
from net.protocol.errors import ErrorCode, RequestRefused
from net.protocol.login import NONCE_SIZE, make_nonce, verify_login
from net.protocol.registration import make_token
from net.protocol.schema import (
    OPERATIONS,
    PROTOCOL_VERSION,
    PUSH_MESSAGE,
    PUSH_SESSION_ENDED,
)
from net.server.blob_service import BlobService
from net.server.codes import CodeHasher, make_code
from net.server.device_ops import DeviceOps, devices_changed
from net.server.guards import Guards
from net.server.limits import Limits, PersistedLimiter, RateLimiter
from net.server.links import Links
from net.server.outcome import Outcome
from net.server.prekey_service import PrekeyService
from net.server.presence import Presence, Session
from net.server.registrar import Registrar, masked
from net.server.registration_lock import LockHasher
from net.server.send_many import SendMany
from net.server.send_rules import (
    FETCH_REPLY_OVERHEAD,
    MESSAGE_OVERHEAD,
    deliverable_size,
    expired,
    expiry,
    queue_full_words,
)
from net.server.shared_limiter import SharedLimiter
from net.server.verification import CodeChannel
from storage.server.interface import ServerStore
from storage.server.records import DeviceSetChanged, QueueFull, StoredMessage, UnknownAccount

log = logging.getLogger("parley.server")

#: What changes an account: checked against the store first (Presence.current) by a node of a cluster.
ACCOUNT_CHANGES = frozenset(
    {
        "delete_account",
        "unlink_device",
        "set_registration_lock",
        "link_join",
        "set_login_key",
        "set_device_name",
    }
)


def message_fields(message: StoredMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "from": message.sender,
        "from_device": message.sender_device,
        "body": message.body,
        "ts": message.ts,
    }


def _encoded_size(message: StoredMessage) -> int:
    """An upper bound of the bytes ``message`` takes in a fetch reply (base64 body, JSON around it)."""
    digits = len(str(message.id)) + len(str(message.ts)) + len(str(message.sender_device))
    return MESSAGE_OVERHEAD + digits + 6 * len(message.sender) + 4 * ((len(message.body) + 2) // 3)


def _refuse(code: ErrorCode, message: str) -> RequestRefused:
    return RequestRefused(code, message)


def _queue_full(exc: QueueFull, limits: Limits) -> RequestRefused:
    return _refuse(ErrorCode.QUEUE_FULL, queue_full_words(exc, limits))


class Service:
    def __init__(
        self,
        store: ServerStore,
        channel: CodeChannel,
        hasher: CodeHasher,
        fingerprint: bytes,
        *,
        limits: Limits | None = None,
        dev_codes: bool = False,
        clock: Callable[[], float] = time.time,
        randbelow: Callable[[int], int] | None = None,
        nonce_source: Callable[[int], bytes] | None = None,
        blob_ids: Callable[[int], bytes] | None = None,
        link_random: Callable[[int], bytes] | None = None,
        presence: Presence | None = None,
        shared: bool = False,
    ) -> None:
        self.store = store
        #: Whether other nodes serve from the same store: then the limits count through it.
        self.shared = shared
        self.channel = channel
        self.hasher = hasher
        self.fingerprint = fingerprint
        self.limits = limits = limits or Limits()
        self.dev_codes = dev_codes
        self.presence = presence if presence is not None else Presence()  # a cluster's knows the others
        self._clock = clock
        self._make_code = (lambda: make_code(randbelow)) if randbelow else make_code
        self._make_nonce: Callable[[], bytes] = (
            (lambda: make_nonce(nonce_source)) if nonce_source else make_nonce
        )
        self._codes = self.persisted("codes", limits.codes_per_hour, 3600.0)  # per number and address
        self._codes_by_address = self.persisted("codes_by_address", limits.codes_per_address, 3600.0)
        self._guards = Guards(limits, self.persisted)
        # A failed login for a number nobody holds checks the signature against this key instead,
        # so that it takes as long as one for a registered number (whose private key nobody has).
        self._dummy_identity = json.dumps(IdentityKeyPair.generate().public.to_json())
        self._dummy_nonce = bytes(NONCE_SIZE)
        self._registrar = Registrar(
            store=store,
            channel=channel,
            hasher=hasher,
            locks=LockHasher(hasher.subkey(b"registration lock pepper")),
            fingerprint=fingerprint,
            limits=limits,
            presence=self.presence,
            dev_codes=dev_codes,
            now_ms=self.now_ms,
            make_code=self._make_code,
            make_token=(lambda: make_token(nonce_source)) if nonce_source else make_token,
            codes=self._codes,
            codes_by_address=self._codes_by_address,
        )
        self._send_many = SendMany(store, limits, self.presence, self._guards, self.now_ms)
        self._blobs = BlobService(store, limits, self.persisted, self.now_ms, blob_ids or os.urandom)
        self.links = Links(
            store, limits, self.presence, self.persisted, clock, self.now_ms, fingerprint, link_random
        )
        self._device_ops = DeviceOps(store, self.presence, self.now_ms)
        self._prekeys = PrekeyService(store, limits, self.presence, self._guards, self.persisted)
        self._handlers: dict[str, Callable[[Session, dict[str, Any]], Outcome]] = {
            "hello": self._hello,
            "register_start": self._registrar.start,
            "register_finish": self._registrar.finish,
            "challenge": self._challenge,
            "login": self._login,
            "ping": self._ping,
            "get_bundle": self._prekeys.get_bundle,
            "send": self._send,
            "send_many": self._send_many.handle,
            "fetch": self._fetch,
            "ack": self._ack,
            "upload_prekeys": self._prekeys.upload,
            "prekey_count": self._prekeys.count,
            "set_signed_prekey": self._prekeys.set_signed,
            "delete_account": self._delete_account,
            "set_registration_lock": self._registrar.set_lock,
            **self._blobs.handlers,
            **self.links.handlers,
            **self._device_ops.handlers,
        }
        assert set(self._handlers) == set(OPERATIONS), "every operation needs a handler"

    def persisted(self, name: str, limit: int, window: float) -> RateLimiter:
        """A rate limiter of ``limit`` events per ``window`` seconds whose counts survive a restart.

        On a shared store it counts the events of every node (a slower query per check); alone,
        in memory.
        """
        if self.shared:
            return SharedLimiter(self.store.rate_events, name, limit, window, self._clock)
        return PersistedLimiter(self.store.rate_events, name, limit, window, self._clock)

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def handle(self, session: Session, request: Request) -> Outcome:
        if OPERATIONS[request.op].needs_login and session.phone is None:
            raise _refuse(ErrorCode.NOT_LOGGED_IN, f"log in before {request.op}")
        if request.op in ACCOUNT_CHANGES and not self.presence.current(session):
            # On a node of a cluster, a hint that should have ended this session was lost: the store says.
            raise _refuse(
                ErrorCode.NOT_LOGGED_IN, f"this session has ended; log in again before {request.op}"
            )
        try:
            outcome = self._handlers[request.op](session, request.args)
        except InvalidSignature as exc:
            raise _refuse(ErrorCode.BAD_SIGNATURE, str(exc)) from None
        if request.op == "login" and session.phone is not None and not self.store.space.full:
            # The last login is the activity a registration lock counts (it lapses after 7 days without).
            # Not while the disk is full: a login must keep working then, and an hour's gap is harmless.
            self.store.mark_active(session.phone, self.now_ms(), session.device)
        return outcome

    def tick(self) -> None:
        """Called by the loop on every turn (at least once a second): sweeps expired links; a node of a
        cluster reads its devices' queues when its sweep is due."""
        self.links.sweep()
        self.presence.tick()

    def after_commit(self) -> None:
        """Called by the loop after each turn's commit: a node of a cluster catches up from the store."""
        self.presence.after_commit()

    @property
    def work_waiting(self) -> bool:
        return self.presence.work_waiting

    def next_due(self) -> float | None:
        return self.presence.next_due()

    def session_ended(self, session: Session) -> None:
        self.links.forget(session)
        if session.phone is not None:
            self.presence.release(session.phone, session)

    # ---------------------------------------------------------------- registration

    def _hello(self, _session: Session, args: dict[str, Any]) -> Outcome:
        if args["version"] != PROTOCOL_VERSION:
            raise _refuse(ErrorCode.UNSUPPORTED_VERSION, f"this server speaks version {PROTOCOL_VERSION}")
        return Outcome(
            {
                "server": "parley",
                "version": PROTOCOL_VERSION,
                "max_frame": self.limits.max_frame,
                "idle_timeout": int(self.limits.idle_timeout),
                "dev_codes": self.dev_codes,
            }
        )

    # ----------------------------------------------------------------------- login

    def _challenge(self, session: Session, args: dict[str, Any]) -> Outcome:
        nonce = self._make_nonce()
        session.challenge = (args["phone"], nonce)
        return Outcome({"nonce": nonce})

    def _login(self, session: Session, args: dict[str, Any]) -> Outcome:
        phone, device = args["phone"], args["device"]
        if session.phone is not None:
            raise _refuse(ErrorCode.ALREADY_LOGGED_IN, "this connection is logged in already")
        challenge, session.challenge = session.challenge, None  # one attempt per nonce
        # The same work whether or not the number and device are registered or the challenge fits: one
        # read, one key parsed, one signature checked (against a key nobody holds when there is none).
        # A device logs in with its own login key (set_login_key, register_finish's device_key, a linked
        # device's device_key); only a device 1 that never gave one still logs in with the identity key.
        stored = self.store.device_login(phone, device)
        fits = challenge is not None and challenge[0] == phone
        nonce = challenge[1] if challenge is not None and fits else self._dummy_nonce
        identity = PublicIdentity.from_json(json.loads(stored.identity if stored else self._dummy_identity))
        signing_key = stored.login_key if stored is not None and stored.login_key else identity.signing_key
        try:
            verify_login(signing_key, args["signature"], nonce, phone, self.fingerprint)
            correct = fits and stored is not None
        except InvalidSignature:
            correct = False
        if not correct:
            log.info("%s: login for %s failed", session.peer, masked(phone))
            raise self._guards.login_failed(session, phone)
        assert stored is not None
        if stored.removed:
            log.info("%s: login for %s by an unlinked device", session.peer, masked(phone))
            raise _refuse(
                ErrorCode.DEVICE_UNLINKED,
                "This computer was unlinked from the account; link it again from a device that is still"
                " logged in, or register the number anew",
            )
        session.phone, session.device = phone, device
        previous = self.presence.claim(phone, session)
        if previous is not None:
            previous.push(PUSH_SESSION_ENDED, {"reason": "logged_in_elsewhere"})
            previous.phone = None
            previous.end()
        log.info("%s: logged in as %s device %d", session.peer, masked(phone), device)
        return Outcome(
            {
                "phone": phone,
                "queued": self.store.queued_count(phone, device),
                "device": device,
                "devices": self.store.device_ids(phone),
            }
        )

    def _ping(self, _session: Session, _args: dict[str, Any]) -> Outcome:
        return Outcome({"time": self.now_ms()})

    # ------------------------------------------------------------------- messages

    def _send(self, session: Session, args: dict[str, Any]) -> Outcome:
        sender, recipient, body, device = session.phone, args["to"], args["body"], args["device"]
        assert sender is not None
        if recipient == sender and device == session.device:
            raise _refuse(ErrorCode.BAD_REQUEST, "send.device: the sending device is not a recipient")
        if deliverable_size(body) > self.limits.max_frame:
            # A send that fits a frame may still make a push or fetch reply that does not (below the
            # default frame size): stored, it could never be delivered, nor anything queued after it.
            raise _refuse(ErrorCode.BAD_REQUEST, "send.body: too long to be delivered in one frame")
        self._guards.check_lookups(session)
        if args["transient"]:
            if self.store.identity_text(recipient) is None:
                raise self._guards.unknown_answer(session)
            online = self.presence.get(recipient, device)  # the device named only; no completeness check
            fields = {
                "from": sender,
                "from_device": session.device,
                "body": body,
                "ts": self.now_ms(),
                "transient": True,
            }
            return Outcome({"delivered": online is not None and online.push(PUSH_MESSAGE, fields)})
        now = self.now_ms()
        expires_at = expiry(now, args["expires_in"])
        try:
            sent = self.store.enqueue(
                sender,
                args["client_id"],
                recipient,
                body,
                now,
                self.limits.queue_cap,
                per_sender=self.limits.queue_cap_per_sender,
                max_bytes=self.limits.queue_bytes,
                expires_at=expires_at,
                device=device,
                sender_device=session.device,
            )
        except UnknownAccount:
            raise self._guards.unknown_answer(session) from None
        except DeviceSetChanged as exc:
            raise devices_changed(
                exc.devices, "the recipient's devices are not the one named: send a copy to each of them"
            ) from None
        except QueueFull as exc:
            raise _queue_full(exc, self.limits) from None
        reply = {"id": sent.id, "ts": sent.ts, "duplicate": sent.duplicate}
        if sent.duplicate:
            return Outcome(reply)
        message = {"id": sent.id, "from": sender, "from_device": session.device, "body": body, "ts": sent.ts}

        def push() -> None:
            online = self.presence.get(recipient, device)
            if online is not None and not expired(expires_at, self.now_ms()):
                online.push(PUSH_MESSAGE, message)

        return Outcome(reply, then=push)

    def _fetch(self, session: Session, args: dict[str, Any]) -> Outcome:
        assert session.phone is not None
        messages, more = self.store.fetch(
            session.phone, args["after"], args["limit"], self.now_ms(), session.device
        )
        # Cut the page so that its reply fits in one frame; the client fetches the rest after it.
        room = self.limits.max_frame - FETCH_REPLY_OVERHEAD
        page: list[dict[str, Any]] = []
        for message in messages:
            room -= _encoded_size(message)
            if room < 0 and page:  # a message too big for any page still goes alone (and is refused)
                more = True
                break
            page.append(message_fields(message))
        return Outcome({"messages": page, "more": more})

    def _ack(self, session: Session, args: dict[str, Any]) -> Outcome:
        assert session.phone is not None
        return Outcome({"deleted": self.store.ack(session.phone, args["ids"], session.device)})

    def _delete_account(self, session: Session, _args: dict[str, Any]) -> Outcome:
        phone = session.phone
        assert phone is not None
        self.store.delete_account(phone)
        self.presence.release(phone, session)
        session.phone = None
        log.info("%s: deleted the account %s", session.peer, masked(phone))

        def end_others() -> None:  # after the commit: every device of the account is gone
            for other in self.presence.take_all(phone):
                other.push(PUSH_SESSION_ENDED, {"reason": "account_deleted"})
                other.phone = None
                other.end()

        return Outcome({"deleted": True}, then=end_others, close=True)
