"""The rules a stored message meets beyond its fields: deliverable in one frame; a full queue in words."""

from __future__ import annotations

import base64
import json

from net.protocol.frames import DEFAULT_MAX_FRAME
from net.protocol.schema import MAX_BODY
from net.server.limits import Limits
from net.server.send_rules import deliverable_size, queue_full_words
from storage.server.records import QueueFull


def test_a_deliverable_size_bounds_the_longest_fetch_reply_holding_only_that_body() -> None:
    for size in (1, 2, 3, 1000, MAX_BODY):
        body = bytes(size)
        longest = {
            "re": 2**53 - 1,
            "ok": True,
            "messages": [
                {
                    "id": 2**63 - 1,
                    "from": "+" + "9" * 15,
                    "body": base64.b64encode(body).decode(),
                    "ts": 2**53 - 1,
                }
            ],
            "more": True,
        }
        assert len(json.dumps(longest, separators=(",", ":"))) <= deliverable_size(body)
    # The largest body fits the default frame: only a smaller --max-frame refuses bodies for it.
    assert deliverable_size(bytes(MAX_BODY)) <= DEFAULT_MAX_FRAME


def test_a_full_queue_names_its_cap_with_the_servers_own_numbers() -> None:
    limits = Limits(queue_cap=7, queue_cap_per_sender=3, queue_bytes=1000)
    assert queue_full_words(QueueFull(QueueFull.MESSAGES, 7), limits) == (
        "the recipient has 7 messages waiting; nothing was stored, try later"
    )
    assert queue_full_words(QueueFull(QueueFull.BYTES, 999), limits) == (
        "the recipient has as many bytes waiting as the server keeps (1000); nothing was stored, try later"
    )
    assert queue_full_words(QueueFull(QueueFull.SENDER, 3), limits) == (
        "you have 3 messages waiting for this recipient; nothing was stored, try later"
    )
