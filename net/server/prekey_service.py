"""The prekey operations on the server: a device's bundle for others, and a device's own prekeys.

Prekeys are a device's (net/protocol/PROTOCOL.md, "Devices"): ``get_bundle`` serves the device
named (absent: the account's lowest id) with one of its one-time prekeys of each kind, and says
which device it served and which the account has; ``upload_prekeys``, ``prekey_count`` and
``set_signed_prekey`` are the logged-in device's. Every key is checked against the account's
identity, which its devices share. Past the limits, a bundle comes without one-time prekeys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crypto_core.keys import KemPreKeyPublic, PublicIdentity, SignedPreKeyPublic
from net.protocol.errors import ErrorCode, RequestRefused
from net.protocol.schema import PUSH_PREKEYS_LOW
from net.server.device_ops import devices_changed
from net.server.guards import Guards
from net.server.limits import Limits, RateLimiter
from net.server.outcome import Outcome
from net.server.presence import Presence, Session
from net.server.registrar import check_kem
from storage.server.interface import ServerStore
from storage.server.records import DeviceSetChanged, PrekeyLimit, UnknownAccount


def _refuse(code: ErrorCode, message: str) -> RequestRefused:
    return RequestRefused(code, message)


class PrekeyService:
    def __init__(
        self,
        store: ServerStore,
        limits: Limits,
        presence: Presence,
        guards: Guards,
        persisted: Callable[[str, int, float], RateLimiter],
    ) -> None:
        self._store = store
        self._limits = limits
        self._presence = presence
        self._guards = guards
        self._bundles = persisted("bundles", limits.bundles_per_hour, 3600.0)

    def get_bundle(self, session: Session, args: dict[str, Any]) -> Outcome:
        assert session.phone is not None
        self._guards.check_lookups(session)
        if not self._bundles.allow(session.phone):
            raise _refuse(ErrorCode.RATE_LIMITED, "too many bundles fetched this hour")
        target = args["phone"]
        # Past a limit the bundle still comes, without one-time prekeys: nothing is consumed.
        one_time = self._guards.may_hand_out(target, session)
        try:
            taken = self._store.take_device_bundle(target, args["device"], one_time=one_time)
        except UnknownAccount:
            raise self._guards.unknown_answer(session) from None
        except DeviceSetChanged as exc:
            raise devices_changed(exc.devices, f"the account has no device {args['device']}") from None
        bundle, served = taken.bundle, taken.device
        reply = {"bundle": bundle, "device": served, "devices": taken.devices}
        took_one_time = "one_time_prekey" in bundle
        took_kem = bundle["kem_prekey"].get("last_resort") is False
        if not (took_one_time or took_kem):
            return Outcome(reply)  # none were left, or none were to be handed out
        self._guards.handed_out(target, session)
        one_time_left, kem_left = self._store.prekey_counts(target, served)
        # Told once, as a kind falls below the mark (a fetch takes at most one of each kind).
        mark = self._limits.prekeys_low - 1
        if not ((took_one_time and one_time_left == mark) or (took_kem and kem_left == mark)):
            return Outcome(reply)

        def tell_owner() -> None:  # after the commit, like every push; the device whose prekeys they are
            owner = self._presence.get(target, served)
            if owner is not None:
                owner.push(PUSH_PREKEYS_LOW, {"one_time": one_time_left, "kem": kem_left})

        return Outcome(reply, then=tell_owner)

    def _identity_of(self, phone: str) -> PublicIdentity:
        account = self._store.account(phone)
        if account is None:
            raise _refuse(ErrorCode.UNKNOWN_ACCOUNT, "this account no longer exists")
        return PublicIdentity.from_json(account.identity)

    def upload(self, session: Session, args: dict[str, Any]) -> Outcome:
        assert session.phone is not None
        identity = self._identity_of(session.phone)
        for kem in args["kem_prekeys"]:
            check_kem(kem, identity, last_resort=False)
        try:
            one_time, kem_count = self._store.add_prekeys(
                session.phone,
                [(k.key_id, k.to_json()) for k in args["one_time_prekeys"]],
                [(k.key_id, k.to_json()) for k in args["kem_prekeys"]],
                self._limits.prekeys_per_account,
                replace=args["replace"],
                device=session.device,
            )
        except PrekeyLimit:
            raise _refuse(
                ErrorCode.PREKEY_LIMIT, f"at most {self._limits.prekeys_per_account} prekeys of a kind"
            ) from None
        return Outcome({"one_time": one_time, "kem": kem_count})

    def count(self, session: Session, _args: dict[str, Any]) -> Outcome:
        assert session.phone is not None
        one_time, kem = self._store.prekey_counts(session.phone, session.device)
        return Outcome({"one_time": one_time, "kem": kem})

    def set_signed(self, session: Session, args: dict[str, Any]) -> Outcome:
        assert session.phone is not None
        identity = self._identity_of(session.phone)
        signed_prekey: SignedPreKeyPublic = args["signed_prekey"]
        signed_prekey.verify(identity)
        last_resort: KemPreKeyPublic | None = args["kem_last_resort"]
        if last_resort is not None:
            check_kem(last_resort, identity, last_resort=True)
        self._store.set_signed_prekey(
            session.phone,
            signed_prekey.to_json(),
            None if last_resort is None else last_resort.to_json(),
            session.device,
        )
        return Outcome({})
