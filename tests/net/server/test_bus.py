"""Hints: their versioned JSON form, their channels, and the refusal of anything else; NoBus."""

from __future__ import annotations

import json

import pytest

from net.server.bus import (
    HINT_VERSION,
    AccountEnded,
    BadHint,
    DeviceClaimed,
    DeviceEnded,
    DevicePush,
    MessageWaiting,
    NoBus,
    account_channel,
    channel_key,
    channel_of,
    decode_hint,
    device_channel,
    encode_hint,
)

HINTS = [
    MessageWaiting("+442079460001", 2, 17),
    DeviceClaimed("+442079460001", 1, "node-a", 7),
    DeviceEnded("+442079460001", 3, "unlinked", "node-a"),
    AccountEnded("+442079460001", "re_registered", "node-b", 1_700_000_000_000),
    DevicePush("+442079460001", 1, "message", {"body": b"\x00\xfftyping", "transient": True}, "node-a"),
    DevicePush("+442079460001", None, "devices_changed", {"devices": [1, 2]}, "node-a"),
]


@pytest.mark.parametrize("hint", HINTS, ids=lambda h: type(h).__name__)
def test_every_hint_comes_back_as_it_went(hint: object) -> None:
    payload = encode_hint(hint)  # type: ignore[arg-type]
    assert json.loads(payload)["v"] == HINT_VERSION
    assert decode_hint(payload) == hint


def test_a_message_hint_carries_no_body_only_where_and_which() -> None:
    assert json.loads(encode_hint(MessageWaiting("+442079460001", 2, 17))) == {
        "v": 1,
        "hint": "message",
        "phone": "+442079460001",
        "device": 2,
        "id": 17,
    }


def test_channels_a_device_s_or_its_account_s() -> None:
    assert channel_of(HINTS[0]) == device_channel("+442079460001", 2) == "parley:device:+442079460001:2"
    assert channel_of(HINTS[3]) == account_channel("+442079460001") == "parley:account:+442079460001"
    assert channel_of(HINTS[5]) == account_channel("+442079460001")
    assert channel_of(HINTS[4]) == device_channel("+442079460001", 1)


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"v": 2, "hint": "message", "phone": "+1", "device": 1, "id": 1}', "version 2"),
        (b'{"hint": "message", "phone": "+1", "device": 1, "id": 1}', "version None"),
        (b'{"v": 1, "hint": "launch", "phone": "+1"}', "unknown kind"),
        (b'{"v": 1, "hint": "message", "phone": "+1", "device": 1}', "fields"),
        (b'{"v": 1, "hint": "message", "phone": "+1", "device": 1, "id": 1, "x": 0}', "fields"),
        (b'{"v": 1, "hint": "message", "phone": "+1", "device": "1", "id": 1}', "message.device"),
        (b'{"v": 1, "hint": "message", "phone": "+1", "device": true, "id": 1}', "message.device"),
        (
            b'{"v": 1, "hint": "push", "phone": "+1", "device": 1, "kind": "k",'
            b' "body": {"b": {"$bytes": "!!"}}, "node": "n"}',
            "base64",
        ),
    ],
)
def test_anything_else_is_a_bad_hint_that_says_why(payload: bytes, why: str) -> None:
    with pytest.raises(BadHint, match=why):
        decode_hint(payload)


def test_a_body_that_no_hint_can_carry_is_refused_in_words() -> None:
    with pytest.raises(TypeError, match="object"):
        encode_hint(DevicePush("+1", 1, "k", {"x": object()}, "n"))


def test_no_bus_tells_nobody() -> None:
    bus = NoBus()
    bus.start(lambda _payload: None, lambda: None)
    bus.subscribe("c")
    bus.publish("c", b"x")
    bus.unsubscribe("c")
    assert bus.dropped == 0
    bus.close()


def test_channels_under_a_key_name_the_phone_by_an_hmac_of_its_own_label() -> None:
    key = channel_key(b"k" * 32)
    assert key != b"k" * 32 and len(key) == 32 and channel_key(b"k" * 32) == key
    named = device_channel("+442079460001", 2, key)
    assert named.startswith("parley:device:") and named.endswith(":2") and "442079460001" not in named
    assert named == channel_of(HINTS[0], key) != device_channel("+442079460002", 2, key)
    assert (
        account_channel("+442079460001", key) == channel_of(HINTS[3], key) != account_channel("+442079460001")
    )
    assert device_channel("+442079460001", 2, channel_key(b"j" * 32)) != named
