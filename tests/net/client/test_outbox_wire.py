"""How the outbox's copies are cut into requests: each recipient's devices in one part, parts bounded."""

from __future__ import annotations

from net.client import outbox_wire
from net.client.outbox_entries import Entry
from net.client.outbox_wire import PART, Copy
from storage.profile.delivery import OutboxItem


def _copies(devices_of: dict[str, int]) -> list[Copy]:
    entry = Entry("m1", b"inner")
    return [
        Copy(OutboxItem("c-1", phone, b"", 0.0), entry, device, b"body")
        for phone, count in devices_of.items()
        for device in range(1, count + 1)
    ]


def test_a_recipients_devices_are_never_split_across_two_requests_and_no_part_is_too_long() -> None:
    members = {f"+1415555{n:04d}": 1 + n % 5 for n in range(100)}  # 300 copies, 1 to 5 devices each
    parts = outbox_wire._parts_by_recipient(_copies(members))
    assert all(len(part) <= PART for part in parts)
    assert sum(len(part) for part in parts) == sum(members.values())
    for phone in members:
        holding = [i for i, part in enumerate(parts) if any(c.item.contact == phone for c in part)]
        assert len(holding) == 1  # the server checks a recipient's device set whole


def test_a_small_fan_out_is_one_request() -> None:
    assert len(outbox_wire._parts_by_recipient(_copies({"+14155550100": 2, "+14155550101": 3}))) == 1
