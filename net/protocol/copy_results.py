"""The reply of ``send_many``: what became of each copy, as the client checks it.

One result per item of the request, in its order: ``to`` (E.164), ``device`` (1 when
absent: a server before linked devices), ``status``, and what the status needs: ``id``
and ``ts`` for a copy ``stored`` (or a ``duplicate`` of one stored before), the cap's
``message`` for ``queue_full``, the recipient's current ``devices`` for ``devices_changed``. A transient
``send_many`` answers ``delivered``, ``not_delivered`` or ``unknown_account`` per
copy (:data:`SEND_MANY_TRANSIENT`). A status the shape does not allow, or one
without what it needs, is a ``bad_reply`` naming the result (``send_many
reply.results[2].status: ...``), like every reply of :mod:`net.protocol.replies`.
:func:`answers_in_order` checks what the shape cannot: that the results answer the
request's items one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from net.protocol.device_replies import CURRENT_DEVICES
from net.protocol.errors import ErrorCode
from net.protocol.reply_shapes import E164, MESSAGE_ID, TS, Shape, items, record, reply
from net.protocol.schema import DEVICE_ID, MAX_COPIES, Converter, Field, FieldError, text
from net.protocol.validation import ValidationError, normalize_phone


class CopyStatus(StrEnum):
    """What became of one copy of a ``send_many``; the last two answer a transient one."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # stored already under this client id: ``id`` and ``ts`` are the first reply's
    UNKNOWN_ACCOUNT = "unknown_account"
    QUEUE_FULL = "queue_full"  # nothing stored for this recipient; ``message`` says which cap
    #: The devices named for this recipient are not its set: nothing stored for it; ``devices`` is the set.
    DEVICES_CHANGED = "devices_changed"
    DELIVERED = "delivered"  # handed to the recipient's connection
    NOT_DELIVERED = "not_delivered"  # the recipient is not online: a transient copy is dropped


#: The statuses of a transient ``send_many``'s copies, beside ``unknown_account``.
TRANSIENT_STATUSES = frozenset({CopyStatus.DELIVERED, CopyStatus.NOT_DELIVERED})


@dataclass(frozen=True)
class CopyResult:
    """One recipient's answer in a ``send_many`` reply; ``id`` and ``ts`` only once the server has it."""

    to: str
    status: CopyStatus
    id: int | None = None
    ts: int | None = None
    message: str | None = None  # the cap's words, for queue_full
    device: int = 1  # the recipient's device this copy was for
    devices: tuple[int, ...] | None = None  # the recipient's devices now, for devices_changed

    @property
    def stored(self) -> bool:
        """The server has this copy (now or from before): it is done."""
        return self.status in (CopyStatus.STORED, CopyStatus.DUPLICATE)


@dataclass(frozen=True)
class SendManyReply:
    """The results of a ``send_many``, one per item, in the order of the request's items."""

    results: tuple[CopyResult, ...]


_KEPT = frozenset({CopyStatus.STORED, CopyStatus.DUPLICATE})


def _copy_result(allowed: frozenset[CopyStatus]) -> Converter:
    """One result of ``send_many``: its status among ``allowed``, and what that status needs."""

    def status(value: object) -> CopyStatus:
        if not isinstance(value, str) or value not in allowed:
            raise FieldError(ErrorCode.BAD_REQUEST, f"expected one of {', '.join(sorted(allowed))}")
        return CopyStatus(value)

    def make(
        to: str,
        status: CopyStatus,
        id: int | None,
        ts: int | None,
        message: str | None,
        device: int,
        devices: tuple[int, ...] | None,
    ) -> CopyResult:
        if status in _KEPT:
            if id is None or ts is None:
                raise FieldError(ErrorCode.BAD_REQUEST, f"a {status} copy needs its id and ts")
            return CopyResult(to, status, id, ts, device=device)
        if status is CopyStatus.QUEUE_FULL:
            if message is None:
                raise FieldError(ErrorCode.BAD_REQUEST, "a queue_full copy needs its message")
            return CopyResult(to, status, message=message, device=device)
        if status is CopyStatus.DEVICES_CHANGED:
            if devices is None:
                raise FieldError(ErrorCode.BAD_REQUEST, "a devices_changed copy needs its devices")
            return CopyResult(to, status, device=device, devices=devices)
        return CopyResult(to, status, device=device)

    return record(
        make,
        Field("to", E164),
        Field("status", status),
        Field("id", MESSAGE_ID, required=False),
        Field("ts", TS, required=False),
        Field("message", text(512), required=False),
        Field("device", DEVICE_ID, required=False, default=1),
        Field("devices", CURRENT_DEVICES, required=False),
    )


SEND_MANY = reply(
    "send_many",
    SendManyReply,
    Field("results", items(_copy_result(frozenset(CopyStatus) - TRANSIENT_STATUSES), MAX_COPIES)),
)
#: The reply of a ``send_many`` with ``transient: true``: delivered, not delivered or unknown per copy.
SEND_MANY_TRANSIENT = reply(
    "send_many",
    SendManyReply,
    Field("results", items(_copy_result(TRANSIENT_STATUSES | {CopyStatus.UNKNOWN_ACCOUNT}), MAX_COPIES)),
)


@dataclass(frozen=True)
class PendingSendMany:
    """A ``send_many`` written and not yet answered: its request id, its recipients in order, its kind."""

    request_id: int
    recipients: tuple[str, ...]
    transient: bool
    #: Each item's device, beside ``recipients`` (empty: not checked, for callers from before devices).
    devices: tuple[int, ...] = ()

    @property
    def shape(self) -> Shape[SendManyReply]:
        return SEND_MANY_TRANSIENT if self.transient else SEND_MANY


def answers_in_order(reply: SendManyReply, recipients: Sequence[str], devices: Sequence[int] = ()) -> bool:
    """Whether ``reply`` has one result per item, in their order (each named in E.164, and by its device
    when ``devices`` gives the items' devices)."""
    if len(reply.results) != len(recipients) or (devices and len(devices) != len(recipients)):
        return False
    if devices and any(
        result.device != device for result, device in zip(reply.results, devices, strict=True)
    ):
        return False
    return all(
        result.to == sent or result.to == _e164(sent)
        for result, sent in zip(reply.results, recipients, strict=True)
    )


def _e164(phone: str) -> str:
    # Only for a recipient the caller wrote otherwise: parsing a number costs about 50 µs.
    try:
        return normalize_phone(phone)
    except ValidationError:
        return phone
