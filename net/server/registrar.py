"""Registration on the server: codes that belong to their requester, and no takeover of a number.

``register_start`` makes a code and a random token for whoever asked; only the
token's hash is kept, and ``register_finish`` must present the token, so a
stranger's starts and wrong guesses touch only the stranger's own code. Limits
count per number *and* address (a stranger cannot use up the owner's codes),
per address, and cap a number's live codes (a start past the cap is refused,
nobody's code is evicted).

A number that has an account gets new keys only with proof of ownership:

* a *move* statement signed by the account's current identity key, bound to a
  one-use ``challenge`` nonce, the phone, the new identity and the server
  (``net/protocol/registration.py``); an account that ever had a linked device
  (an id past 1 given out, or a device removed) is moved only from a connection
  logged in as one of its current devices (every linked computer got the identity
  key, and an unlinked one keeps it); or
* a code sent to the address **on file** (the request's address is ignored);
  and, when the owner set a registration lock and the account was active (logged
  in) within the last 7 days, the lock's passphrase as well, with few attempts
  per account across requesters (``net/server/registration_lock.py``).

The owner's logged-in connection is told at once when someone asks for a code
for the number. Nothing of the account changes before a re-registration
completes with proof; then it is replaced in one transaction: all its devices go
(removed ones too) and the new keys are its device 1.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crypto_core.errors import InvalidSignature
from crypto_core.keys import KemPreKeyPublic, PublicIdentity, SignedPreKeyPublic
from net.protocol.errors import ErrorCode, RequestRefused
from net.protocol.registration import mask_email, token_hash, verify_move
from net.protocol.schema import PUSH_REREGISTRATION, PUSH_SESSION_ENDED
from net.server.codes import CodeHasher
from net.server.limits import Limits, RateLimiter, source_address
from net.server.outcome import Outcome
from net.server.presence import Presence, Session
from net.server.registration_lock import LockHasher
from net.server.verification import CodeChannel, DeliveryError
from storage.server.interface import ServerStore
from storage.server.records import AccountKeys, CodeCheck, Guard, Registration, TooManyCodes, UnknownAccount

log = logging.getLogger("parley.server")


def masked(phone: str | None) -> str:
    """A phone number for logs: enough to tell lines apart, not enough to identify someone."""
    return "-" if not phone else f"…{phone[-2:]}"


def _refuse(code: ErrorCode, message: str) -> RequestRefused:
    return RequestRefused(code, message)


def check_kem(key: KemPreKeyPublic, identity: PublicIdentity, *, last_resort: bool) -> None:
    if key.last_resort is not last_resort:
        kind = "a last-resort" if last_resort else "a one-time"
        raise _refuse(ErrorCode.BAD_KEY, f"ML-KEM prekey {key.key_id} must be {kind} key")
    key.verify(identity)


@dataclass
class Registrar:
    store: ServerStore
    channel: CodeChannel
    hasher: CodeHasher
    locks: LockHasher
    fingerprint: bytes
    limits: Limits
    presence: Presence
    dev_codes: bool
    now_ms: Callable[[], int]
    make_code: Callable[[], str]
    make_token: Callable[[], bytes]
    #: Codes per number and address, and per address: created by the Service with its other limits.
    codes: RateLimiter
    codes_by_address: RateLimiter

    # ------------------------------------------------------------------ register_start

    def start(self, session: Session, args: dict[str, Any]) -> Outcome:
        phone, requested = args["phone"], args["email"]
        address = source_address(session.peer)
        if not self.codes_by_address.allow(address):
            raise _refuse(
                ErrorCode.RATE_LIMITED, "too many codes asked for from your address; try again later"
            )
        if not self.codes.allow(f"{phone} {address}"):
            raise _refuse(ErrorCode.RATE_LIMITED, "too many codes for this phone number; try again later")
        account = self.store.account(phone)
        email = requested if account is None else account.email  # an account's code goes to its address
        code, token, now = self.make_code(), self.make_token(), self.now_ms()
        lifetime = self.limits.code_lifetime
        try:
            self.store.put_code(
                token_hash(token),
                phone,
                email,
                self.hasher.hash(phone, code),
                now,
                now + int(lifetime * 1000),
                self.limits.code_attempts,
                self.limits.codes_waiting,
            )
        except TooManyCodes:
            raise _refuse(
                ErrorCode.RATE_LIMITED,
                f"{self.limits.codes_waiting} codes for this number are waiting already; try again in a few"
                " minutes",
            ) from None
        sent_to = mask_email(email)
        body: dict[str, Any] = {
            "phone": phone,
            "token": token,
            "expires_in": int(lifetime),
            "attempts": self.limits.code_attempts,
            "channel": self.channel.name,
            "existing": account is not None,
            "sent_to": sent_to,
            "lock": account is not None and self._lock_applies(phone, self.store.guard(phone), now),
        }
        if self.dev_codes:
            body["code"] = code
        if account is not None:
            for owner in self.presence.all_of(phone):  # every device, told at once, before the code is sent
                if owner is not session:
                    owner.push(PUSH_REREGISTRATION, {"ts": now, "sent_to": sent_to})
        peer = session.peer

        def deliver() -> Outcome:  # an SMTP server may take seconds: the loop runs this in a worker
            try:
                self.channel.deliver(phone, email, code)
            except DeliveryError as exc:
                log.warning("code for %s not delivered by %s: %s", masked(phone), self.channel.name, exc)
                # The reason names the address and may quote a relay that echoes it: it is told only to
                # a requester whose own address it is, never to a stranger asking for an account's code.
                text = (
                    f"the code could not be sent to {sent_to}; try again later"
                    if account is not None
                    else f"the code could not be sent: {exc}"
                )
                raise _refuse(ErrorCode.DELIVERY_FAILED, text) from None
            log.info("%s: code for %s sent by %s", peer, masked(phone), self.channel.name)
            return Outcome(body)

        return Outcome({}, later=deliver)

    def _lock_applies(self, phone: str, guard: Guard | None, now: int) -> bool:
        """A lock set, and its owner logged in now or within the inactivity period."""
        if guard is None or guard.lock_hash is None:
            return False
        recent = now - guard.last_active < int(self.limits.lock_inactivity * 1000)
        # Online here; a device held by another node is marked active by that node's sweep, so it is recent.
        return recent or bool(self.presence.here(phone))

    # ----------------------------------------------------------------- register_finish

    def finish(self, session: Session, args: dict[str, Any]) -> Outcome:
        phone = args["phone"]
        identity: PublicIdentity = args["identity"]
        identity.verify()
        signed_prekey: SignedPreKeyPublic = args["signed_prekey"]
        signed_prekey.verify(identity)
        check_kem(args["kem_last_resort"], identity, last_resort=True)
        for kem in args["kem_prekeys"]:
            check_kem(kem, identity, last_resort=False)
        keys = AccountKeys(
            identity=identity.to_json(),
            signed_prekey=signed_prekey.to_json(),
            kem_last_resort=args["kem_last_resort"].to_json(),
            one_time_prekeys=[(k.key_id, k.to_json()) for k in args["one_time_prekeys"]],
            kem_prekeys=[(k.key_id, k.to_json()) for k in args["kem_prekeys"]],
            login_key=args["device_key"],
        )
        if args["proof"] is not None:
            return self._move(session, phone, identity, args["proof"], keys)
        if args["token"] is None or args["code"] is None:
            raise _refuse(
                ErrorCode.BAD_REQUEST,
                "register_finish: give the token and code of register_start, or a proof",
            )
        found, code_hash, now = (
            token_hash(args["token"]),
            self.hasher.hash(phone, args["code"]),
            self.now_ms(),
        )
        guard = self.store.guard(phone)
        if not self._lock_applies(phone, guard, now):
            result = self.store.finish_registration(found, phone, code_hash, now, keys, keep_lock=False)
            _accepted(result, session, phone)
            return self._registered(session, phone, result.replaced)
        assert guard is not None and guard.lock_salt is not None and guard.lock_hash is not None
        _accepted(
            self.store.check_code(found, phone, code_hash, now), session, phone
        )  # the code stays usable
        lock: str | None = args["lock"]
        if lock is None:
            raise _refuse(
                ErrorCode.LOCK_REQUIRED, "this number has a registration lock: enter its passphrase as well"
            )
        refusal_ms = int(self.limits.lock_refusal * 1000)
        left = self.store.take_lock_attempt(phone, now, self.limits.lock_attempts, refusal_ms)
        if left is None:
            raise _refuse(
                ErrorCode.LOCK_BLOCKED, "too many wrong lock passphrases for this number; try later"
            )
        salt, stored = guard.lock_salt, guard.lock_hash

        def check_lock() -> Outcome:  # Argon2id takes milliseconds of CPU: the loop runs this in a worker
            if not self.locks.matches(phone, lock, salt, stored):
                log.info("%s: wrong registration lock for %s", session.peer, masked(phone))
                if left == 0:
                    raise _refuse(
                        ErrorCode.LOCK_BLOCKED,
                        "wrong lock passphrase, and that was the last try; the lock refuses every try for"
                        f" {self.limits.lock_refusal / 3600:g} hours",
                    )
                raise _refuse(ErrorCode.WRONG_LOCK, f"wrong registration lock passphrase; {left} tries left")
            self.store.lock_passed(phone)
            result = self.store.finish_registration(
                found, phone, code_hash, self.now_ms(), keys, keep_lock=True
            )
            _accepted(result, session, phone)
            return self._registered(session, phone, result.replaced)

        return Outcome({}, later=check_lock)

    def _move(
        self, session: Session, phone: str, identity: PublicIdentity, proof: bytes, keys: AccountKeys
    ) -> Outcome:
        challenge, session.challenge = session.challenge, None  # one attempt per nonce
        failed = _refuse(
            ErrorCode.PROOF_FAILED,
            "the proof failed: ask for a new challenge and sign the move with the old keys",
        )
        account = self.store.account(phone)
        if challenge is None or challenge[0] != phone or account is None:
            raise failed
        devices = self.store.device_ids(phone)
        if self.store.ever_linked(phone) and not (session.phone == phone and session.device in devices):
            # The identity key alone does not move an account that ever had a linked device: every such
            # device holds the identity key, and an unlinked one keeps it. A current device must ask.
            raise _refuse(
                ErrorCode.PROOF_FAILED,
                "this account has had linked devices: move it from a connection logged in as one of its"
                " devices",
            )
        current = PublicIdentity.from_json(account.identity)
        try:
            verify_move(current.signing_key, proof, challenge[1], phone, identity, self.fingerprint)
        except InvalidSignature:
            log.info("%s: a move of %s failed its proof", session.peer, masked(phone))
            raise failed from None
        if not self.store.move_account(phone, self.now_ms(), keys):
            raise failed
        return self._registered(session, phone, replaced=True)

    def _registered(self, session: Session, phone: str, replaced: bool) -> Outcome:
        log.info("%s: %s %s", session.peer, "re-registered" if replaced else "registered", masked(phone))

        def end_old() -> None:  # after the commit: the old keys are gone for good only then
            for old in self.presence.take_all(phone):
                if old is session:  # the account's own connection proved it: it stays, as the new device 1
                    session.device = 1
                    self.presence.claim(phone, session)
                    continue
                old.push(PUSH_SESSION_ENDED, {"reason": "re_registered"})
                old.phone = None
                old.end()

        return Outcome({"phone": phone, "replaced": replaced}, then=end_old if replaced else None)

    # ---------------------------------------------------------------- set_registration_lock

    def set_lock(self, session: Session, args: dict[str, Any]) -> Outcome:
        phone = session.phone
        assert phone is not None
        lock: str | None = args["lock"]
        if lock is None:
            self._store_lock(phone, None, None)
            log.info("%s: registration lock of %s cleared", session.peer, masked(phone))
            return Outcome({"lock": False})
        salt = self.locks.make_salt()

        def stretch() -> Outcome:  # Argon2id: in a worker, off the loop
            self._store_lock(phone, salt, self.locks.hash(phone, lock, salt))
            log.info("%s: registration lock of %s set", session.peer, masked(phone))
            return Outcome({"lock": True})

        return Outcome({}, later=stretch)

    def _store_lock(self, phone: str, salt: bytes | None, digest: bytes | None) -> None:
        try:
            self.store.set_lock(phone, salt, digest)
        except UnknownAccount:
            raise _refuse(ErrorCode.UNKNOWN_ACCOUNT, "this account no longer exists") from None


def _accepted(result: Registration, session: Session, phone: str) -> None:
    """Refuse with the code's own error unless the code was accepted."""
    if result.outcome is CodeCheck.ACCEPTED:
        return
    if result.outcome is CodeCheck.NO_CODE:
        raise _refuse(ErrorCode.NO_CODE, "no code is waiting for this token and phone number; ask for one")
    if result.outcome is CodeCheck.EXPIRED:
        raise _refuse(ErrorCode.CODE_EXPIRED, "the code has expired; ask for a new one")
    if result.outcome is CodeCheck.LOCKED:
        raise _refuse(ErrorCode.CODE_LOCKED, "too many wrong tries; ask for a new code")
    if result.outcome is CodeCheck.NOT_OWNER:
        raise _refuse(
            ErrorCode.NO_CODE,
            "this number was registered meanwhile and the code did not go to its address; ask for a new one",
        )
    log.info("%s: wrong code for %s", session.peer, masked(phone))
    if result.attempts_left == 0:
        raise _refuse(ErrorCode.CODE_LOCKED, "wrong code, and that was the last try; ask for a new code")
    raise _refuse(ErrorCode.WRONG_CODE, f"wrong code; {result.attempts_left} tries left")
