"""The reply of ``send_many``, checked as Parley's client checks it: each copy's status and what it needs."""

from __future__ import annotations

from typing import Any

import pytest

from net.protocol.copy_results import (
    SEND_MANY,
    SEND_MANY_TRANSIENT,
    CopyResult,
    CopyStatus,
    PendingSendMany,
    SendManyReply,
    answers_in_order,
)
from net.protocol.errors import RemoteProtocolError
from net.protocol.reply_shapes import BAD_REPLY

ADA, BEN, CY = "+442079460958", "+442079460959", "+442079460960"
FULL = "the recipient has 10000 messages waiting; nothing was stored, try later"
# The example of net/protocol/PROTOCOL.md ("send_many").
DOCUMENTED = {
    "results": [
        {"to": ADA, "status": "stored", "id": 43, "ts": 1764099000789},
        {"to": BEN, "status": "duplicate", "id": 40, "ts": 1764098990001},
        {"to": CY, "status": "queue_full", "message": FULL},
    ]
}


def _refusal(body: dict[str, Any], shape: Any = SEND_MANY) -> str:
    with pytest.raises(RemoteProtocolError) as caught:
        shape.parse(body)
    assert caught.value.code == BAD_REPLY
    return caught.value.message


def test_the_documented_reply_becomes_one_result_per_copy_in_order() -> None:
    reply = SEND_MANY.parse(DOCUMENTED)
    assert reply == SendManyReply(
        (
            CopyResult(ADA, CopyStatus.STORED, 43, 1764099000789),
            CopyResult(BEN, CopyStatus.DUPLICATE, 40, 1764098990001),
            CopyResult(CY, CopyStatus.QUEUE_FULL, message=FULL),
        )
    )
    assert [r.stored for r in reply.results] == [True, True, False]


def test_an_unknown_account_needs_nothing_and_fields_it_does_not_need_are_dropped() -> None:
    body = {"results": [{"to": ADA, "status": "unknown_account", "id": 5, "ts": 6, "later": [1]}]}
    assert SEND_MANY.parse(body) == SendManyReply((CopyResult(ADA, CopyStatus.UNKNOWN_ACCOUNT),))


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            {"to": ADA, "status": "stored", "ts": 1},
            "send_many reply.results[0]: a stored copy needs its id and ts",
        ),
        ({"to": ADA, "status": "duplicate", "id": 1}, "send_many reply.results[0]: a duplicate copy needs"),
        (
            {"to": ADA, "status": "queue_full"},
            "send_many reply.results[0]: a queue_full copy needs its message",
        ),
        (
            {"to": ADA, "status": "lost"},
            "send_many reply.results[0].status: expected one of devices_changed, duplicate, queue_full",
        ),
        ({"to": ADA, "status": "delivered"}, "send_many reply.results[0].status: expected one of"),
        ({"to": ADA, "status": 1}, "send_many reply.results[0].status: expected one of"),
        ({"status": "unknown_account"}, "send_many reply.results[0].to: missing"),
        ({"to": "ada", "status": "unknown_account"}, "send_many reply.results[0].to: "),
        ({"to": ADA, "status": "stored", "id": 0, "ts": 1}, "send_many reply.results[0].id: "),
        ("stored", "send_many reply.results[0]: expected an object"),
    ],
)
def test_a_result_that_breaks_its_shape_is_named(result: object, expected: str) -> None:
    assert _refusal({"results": [result]}).startswith(expected)


def test_results_must_be_a_list_of_at_most_five_hundred() -> None:
    assert _refusal({}) == "send_many reply.results: missing"
    assert _refusal({"results": {"to": ADA}}) == "send_many reply.results: expected a list"
    one = {"to": ADA, "status": "unknown_account"}
    assert len(SEND_MANY.parse({"results": [one] * 500}).results) == 500
    assert _refusal({"results": [one] * 501}) == "send_many reply.results: at most 500 items"


def test_a_transient_reply_says_delivered_not_delivered_or_unknown() -> None:
    body = {
        "results": [
            {"to": ADA, "status": "delivered"},
            {"to": BEN, "status": "not_delivered"},
            {"to": CY, "status": "unknown_account"},
        ]
    }
    reply = SEND_MANY_TRANSIENT.parse(body)
    assert [r.status for r in reply.results] == [
        CopyStatus.DELIVERED,
        CopyStatus.NOT_DELIVERED,
        CopyStatus.UNKNOWN_ACCOUNT,
    ]
    assert not any(r.stored for r in reply.results)
    stored = {"results": [{"to": ADA, "status": "stored", "id": 1, "ts": 1}]}
    assert _refusal(stored, SEND_MANY_TRANSIENT).startswith("send_many reply.results[0].status: expected one")


def test_messages_name_fields_never_values() -> None:
    secret = "+442079460999"
    message = _refusal({"results": [{"to": secret, "status": "stored"}]})
    assert secret not in message


def test_results_answer_the_items_only_one_by_one_in_their_order() -> None:
    reply = SEND_MANY.parse(DOCUMENTED)
    assert answers_in_order(reply, [ADA, BEN, CY])
    assert answers_in_order(reply, ["+44 20 7946 0958", BEN, CY])  # written otherwise, the same number
    assert not answers_in_order(reply, [BEN, ADA, CY])
    assert not answers_in_order(reply, [ADA, BEN])
    assert not answers_in_order(reply, [ADA, BEN, CY, "+442079460961"])
    assert not answers_in_order(reply, [ADA, BEN, "not a number"])


def test_a_pending_send_many_is_checked_by_its_own_kind_of_reply() -> None:
    assert PendingSendMany(1, (ADA,), transient=False).shape is SEND_MANY
    assert PendingSendMany(2, (ADA,), transient=True).shape is SEND_MANY_TRANSIENT
