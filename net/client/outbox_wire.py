"""The outbox's sends on the wire: sealed copies in ``send``\\ s and ``send_many``\\ s, and what came back.

A copy is one sealed body for one (phone, device). The copies of one client id go together:

* one copy to device 1 of a contact (everyone before linked devices, and every contact with one
  device since) goes in one ``send``, byte for byte as before;
* copies that all go to device 1 of several recipients (a group's message to members with one
  device each) go in ``send_many``\\ s of ``(to, body)`` items, as before;
* anything else (a contact with two devices, a sync copy to our own other devices) goes in one
  ``send_many`` of ``(to, device, body)`` items, so that the server can check each recipient's
  device set whole (a ``devices_changed`` refusal names the set it has).

:func:`send_all` pipelines them all, then reads the replies; each outbox item gets one
:class:`ItemOutcome` (it is done when every copy of it was stored).

The device fields of the wire (``device`` per item and per result, ``devices`` on a refusal,
``from_device`` on a message) are read here (:func:`from_device`, :func:`refused_devices`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from net.client.core import outbox_plan as plan
from net.client.core.disappearing import queued_for
from net.client.outbox_entries import Entry
from net.client.transport import ServerConnection
from net.protocol import replies
from net.protocol.copy_results import CopyResult, CopyStatus
from net.protocol.errors import RequestRefused
from net.protocol.replies import WaitingMessage
from net.protocol.schema import MAX_COPIES
from storage.profile.delivery import OutboxItem


@dataclass(frozen=True)
class Copy:
    """One sealed body of an outbox item, for one device of its recipient."""

    item: OutboxItem
    entry: Entry
    device: int
    body: bytes

    def __repr__(self) -> str:
        return f"Copy(device={self.device})"


@dataclass(frozen=True)
class ItemOutcome:
    """What became of one outbox item: None when every copy was stored, else the refusal; the
    recipient's device set when the server said it had changed."""

    item: OutboxItem
    entry: Entry
    refusal: plan.Refusal | None
    devices: tuple[int, ...] | None = None


def from_device(message: WaitingMessage) -> int:
    """The sender's device of a message (the wire's ``from_device``; 1 from a server that names none)."""
    return message.sender_device


def refused_devices(exc: RequestRefused) -> tuple[int, ...] | None:
    """The device set a ``devices_changed`` refusal carries."""
    return exc.devices or None


def send_all(conn: ServerConnection, copies: Sequence[Copy], now_ms: int) -> list[ItemOutcome]:
    """Pipeline the copies' sends, then collect the replies: one :class:`ItemOutcome` per outbox item."""
    by_client: dict[str, list[Copy]] = defaultdict(list)
    for copy in copies:
        by_client[copy.item.client_id].append(copy)
    singles: list[tuple[Copy, int]] = []
    plain: list[tuple[list[Copy], Any]] = []
    named: list[tuple[list[Copy], Any]] = []
    for group in by_client.values():
        expires = queued_for(group[0].entry.expires_at_ms, now_ms)
        client_id = group[0].item.client_id
        if len(group) == 1 and group[0].device == 1:
            one = group[0]
            singles.append((one, conn.start_send(one.item.contact, client_id, one.body, expires_in=expires)))
        elif all(copy.device == 1 for copy in group):
            for chunk in _chunks(group):
                items = [(c.item.contact, c.body) for c in chunk]
                plain.append((chunk, conn.start_send_many(client_id, items, expires_in=expires)))
        else:
            # The server checks each recipient's device set whole: a recipient's copies share a part.
            for part in _parts_by_recipient(group):
                items3 = [(c.item.contact, c.device, c.body) for c in part]
                named.append((part, conn.start_send_many(client_id, items3, expires_in=expires)))
    outcomes: list[ItemOutcome] = []
    for one, request_id in singles:
        try:
            conn.wait_typed(replies.SEND, request_id)
            outcomes.append(ItemOutcome(one.item, one.entry, None))
        except RequestRefused as exc:
            outcomes.append(ItemOutcome(one.item, one.entry, (exc.code, exc.message), refused_devices(exc)))
    for chunk, pending in plain:
        try:
            results = conn.wait_send_many(pending).results
        except RequestRefused as exc:
            outcomes += _refused(chunk, exc)
            continue
        outcomes += _per_item(chunk, results)
    for group, pending in named:
        try:
            results = conn.wait_send_many(pending).results
        except RequestRefused as exc:
            outcomes += _refused(group, exc)
            continue
        outcomes += _per_item(group, results)
    return outcomes


def _devices_of(result: CopyResult) -> tuple[int, ...] | None:
    """The device set a ``devices_changed`` result carries."""
    return result.devices or None


#: Copies per ``send_many``. The server takes up to MAX_COPIES (500), but 500 bodies of a long
#: text pass the 1 MiB frame; 100 (the limit before linked devices) keeps a group's part in one
#: frame for texts of up to about 7,000 bytes.
PART = min(100, MAX_COPIES)


def _chunks(copies: list[Copy]) -> list[list[Copy]]:
    return [copies[start : start + PART] for start in range(0, len(copies), PART)]


def _parts_by_recipient(copies: list[Copy]) -> list[list[Copy]]:
    """The copies in parts of at most :data:`PART`, each recipient's copies (all its devices) in one."""
    by_recipient: dict[str, list[Copy]] = defaultdict(list)
    for copy in copies:
        by_recipient[copy.item.contact].append(copy)
    parts: list[list[Copy]] = [[]]
    for mine in by_recipient.values():
        if parts[-1] and len(parts[-1]) + len(mine) > PART:
            parts.append([])
        parts[-1].extend(mine)
    return parts


def _refused(copies: list[Copy], exc: RequestRefused) -> list[ItemOutcome]:
    seen: dict[tuple[str, str], Copy] = {}
    for copy in copies:
        seen.setdefault((copy.item.client_id, copy.item.contact), copy)
    return [
        ItemOutcome(c.item, c.entry, (exc.code, exc.message), refused_devices(exc)) for c in seen.values()
    ]


def _per_item(copies: list[Copy], results: Sequence[CopyResult]) -> list[ItemOutcome]:
    """The results of one ``send_many``, one per copy, folded into one outcome per outbox item."""
    folded: dict[tuple[str, str], ItemOutcome] = {}
    for copy, result in zip(copies, results, strict=True):
        key = (copy.item.client_id, copy.item.contact)
        before = folded.get(key)
        if result.stored:
            if before is None:
                folded[key] = ItemOutcome(copy.item, copy.entry, None)
            continue
        if before is None or before.refusal is None:
            folded[key] = ItemOutcome(
                copy.item, copy.entry, copy_refusal(copy.item, result), _devices_of(result)
            )
    return list(folded.values())


def copy_refusal(item: OutboxItem, copy: CopyResult) -> plan.Refusal:
    if copy.status is CopyStatus.UNKNOWN_ACCOUNT:
        return ("unknown_account", f"Nobody with the number {item.contact} uses Parley on this server.")
    if str(copy.status.value) == plan.DEVICES_CHANGED:
        return (plan.DEVICES_CHANGED, "The recipient's devices changed.")
    return (str(copy.status.value), copy.message or "The server holds too much for this member now.")
