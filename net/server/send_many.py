"""``send_many`` on the server: one request, one body per recipient, stored in one transaction.

Each copy is what a ``send`` to its recipient with the same client id would be:
stored once per (sender, client id, recipient) (a ``send`` and a ``send_many`` with
the same client id to the same recipient are one message), within that recipient's
caps, pushed once committed as the same ``message`` push (a recipient cannot tell
the two apart). The copies go to the store in one job (one savepoint, inside the
loop's group commit), so the reply, written after that commit, speaks for every
copy at once; a copy refused (its recipient unknown, a cap of its queue reached)
is answered so in its place and the others are stored.

Each item names a (recipient, device); the copies of one recipient are checked together
(PROTOCOL.md, "Devices"): they must name exactly its devices (for the sender's own number:
its devices but the sending one), or every one of them is answered ``devices_changed`` with
the recipient's current ``devices`` and nothing is stored for it.

Whether the sender's own other devices get a copy is the sender's choice (a client sends
none of a receipt); if it names its own number, it names every other device of it. So all the
items of one recipient, the own number included, come in one request.

Whole-request refusals, in this order (after the fields, checked by the schema):
``bad_request`` for the sending device itself among the recipients or a body no
frame could deliver; ``rate_limited`` when the account or its address is past an
``unknown_account`` limit, or would be past it within this request (an unknown
recipient beyond what the limit allows refuses the whole request and stores
nothing, as those copies sent one by one would have been refused from there on;
the unknown recipients before it are counted); ``storage_full`` from the store
(nothing of the request is stored).

``expires_in`` gives every copy stored now the same expiry (a transient one ignores it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from net.protocol.copy_results import CopyStatus
from net.protocol.errors import ErrorCode, RequestRefused
from net.protocol.schema import PUSH_MESSAGE
from net.server.guards import Guards, lookups_refused
from net.server.limits import Limits
from net.server.outcome import Outcome
from net.server.presence import Presence, Session
from net.server.send_rules import deliverable_size, expired, expiry, queue_full_words
from storage.server.interface import ServerStore
from storage.server.records import (
    CopyOutcome,
    DeviceSetChanged,
    QueueFull,
    SendOutcome,
    TooManyUnknown,
    UnknownAccount,
)


def _unknown(outcome: CopyOutcome) -> bool:
    return isinstance(outcome, UnknownAccount)


Copies = list[tuple[str, int, bytes]]


class SendMany:
    """The handler of ``send_many`` (the service hands it the checked fields)."""

    def __init__(
        self,
        store: ServerStore,
        limits: Limits,
        presence: Presence,
        guards: Guards,
        now_ms: Callable[[], int],
    ) -> None:
        self._store = store
        self._limits = limits
        self._presence = presence
        self._guards = guards
        self._now_ms = now_ms

    def handle(self, session: Session, args: dict[str, Any]) -> Outcome:
        sender = session.phone
        assert sender is not None
        copies: Copies = args["items"]
        for index, (to, device, body) in enumerate(copies):
            if to == sender and device == session.device:
                raise RequestRefused(
                    ErrorCode.BAD_REQUEST,
                    f"send_many.items[{index}].device: the sending device is not a recipient",
                )
            if deliverable_size(body) > self._limits.max_frame:
                raise RequestRefused(
                    ErrorCode.BAD_REQUEST,
                    f"send_many.items[{index}].body: too long to be delivered in one frame",
                )
        self._guards.check_lookups(session)
        if args["transient"]:
            return self._transient(session, copies)
        now = self._now_ms()
        expires_at = expiry(now, args["expires_in"])
        try:
            outcomes = self._store.enqueue_many(
                sender,
                args["client_id"],
                copies,
                now,
                self._limits.queue_cap,
                per_sender=self._limits.queue_cap_per_sender,
                max_bytes=self._limits.queue_bytes,
                max_unknown=self._guards.unknown_allowed(session),
                expires_at=expires_at,
                sender_device=session.device,
            )
        except TooManyUnknown as exc:
            self._guards.count_unknown(session, exc.allowed)
            raise lookups_refused() from None
        results = [
            self._result(to, device, outcome)
            for (to, device, _), outcome in zip(copies, outcomes, strict=True)
        ]
        unknown = len({to for (to, _, _), outcome in zip(copies, outcomes, strict=True) if _unknown(outcome)})
        if unknown:
            self._guards.count_unknown(session, unknown)
        from_device = session.device
        pushes = [
            (
                to,
                device,
                {
                    "id": outcome.id,
                    "from": sender,
                    "from_device": from_device,
                    "body": body,
                    "ts": outcome.ts,
                },
            )
            for (to, device, body), outcome in zip(copies, outcomes, strict=True)
            if isinstance(outcome, SendOutcome) and not outcome.duplicate
        ]
        if not pushes:
            return Outcome({"results": results})

        def push() -> None:  # after the commit, like every push of a stored message
            if expired(expires_at, self._now_ms()):  # the commit took longer than the copies live
                return
            for to, device, message in pushes:
                online = self._presence.get(to, device)
                if online is not None:
                    online.push(PUSH_MESSAGE, message)

        return Outcome({"results": results}, then=push)

    def _result(self, to: str, device: int, outcome: CopyOutcome) -> dict[str, Any]:
        if isinstance(outcome, UnknownAccount):
            return {"to": to, "device": device, "status": CopyStatus.UNKNOWN_ACCOUNT.value}
        if isinstance(outcome, QueueFull):
            words = queue_full_words(outcome, self._limits)
            return {"to": to, "device": device, "status": CopyStatus.QUEUE_FULL.value, "message": words}
        if isinstance(outcome, DeviceSetChanged):
            status = CopyStatus.DEVICES_CHANGED.value
            return {"to": to, "device": device, "status": status, "devices": outcome.devices}
        status = CopyStatus.DUPLICATE if outcome.duplicate else CopyStatus.STORED
        return {"to": to, "device": device, "status": status.value, "id": outcome.id, "ts": outcome.ts}

    def _transient(self, session: Session, copies: Copies) -> Outcome:
        """Pushed to each recipient online now, never stored: a typing notice to a group, say."""
        allowed = self._guards.unknown_allowed(session)
        known: dict[str, bool] = {}  # per recipient, however many of its devices are named
        for to, _, _ in copies:
            if to not in known:
                known[to] = self._store.identity_text(to) is not None
                if len(known) - sum(known.values()) > allowed:  # refused before anything is pushed
                    self._guards.count_unknown(session, allowed)
                    raise lookups_refused()
        if not all(known.values()):
            self._guards.count_unknown(session, len(known) - sum(known.values()))
        sender, ts = session.phone, self._now_ms()
        results = []
        for to, device, body in copies:
            if not known[to]:
                results.append({"to": to, "device": device, "status": CopyStatus.UNKNOWN_ACCOUNT.value})
                continue
            online = self._presence.get(to, device)
            fields = {
                "from": sender,
                "from_device": session.device,
                "body": body,
                "ts": ts,
                "transient": True,
            }
            delivered = online is not None and online.push(PUSH_MESSAGE, fields)
            status = CopyStatus.DELIVERED if delivered else CopyStatus.NOT_DELIVERED
            results.append({"to": to, "device": device, "status": status.value})
        return Outcome({"results": results})
