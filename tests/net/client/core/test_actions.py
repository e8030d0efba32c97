"""The action payloads: each round-trips through the envelope's payload format; bad fields are refused."""

from __future__ import annotations

import json

import pytest

from net.client.core.actions import (
    ACTION_WINDOW_MS,
    QUOTE_CHARS,
    Delete,
    Edit,
    React,
    ReplyRef,
    Target,
    is_emoji,
    quote_of,
    within_window,
)
from net.client.core.envelope import MalformedEnvelope, Text, decode_payload, encode_payload
from net.client.core.group_changes import new_id
from net.client.core.group_payloads import GroupTag

ALICE = "+15550001111"
TAG = GroupTag(new_id(lambda n: bytes(range(n))), 3, new_id(lambda n: bytes(n)))


@pytest.mark.parametrize(
    "payload",
    [
        React(Target(ALICE, "m-1"), "👍", 5),
        React(Target(ALICE, "m-1"), "", 6, TAG),
        React(Target(ALICE, "m-1"), "👨‍👩‍👧", 7),
        Edit("m-1", "new words", 8),
        Edit("m-1", "new words", 8, TAG),
        Delete("m-2", 9),
        Delete("m-2", 9, TAG),
        Text("m-3", 1, "yes", reply=ReplyRef(Target(ALICE, "m-1"), "the start")),
        Text("m-3", 1, "yes", TAG, reply=ReplyRef(Target(ALICE, "m-1"), "")),
    ],
)
def test_each_action_round_trips(payload: object) -> None:
    assert decode_payload(encode_payload(payload)) == payload  # type: ignore[arg-type]


def _bytes(obj: dict[str, object]) -> bytes:
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    "obj",
    [
        {"t": "react", "a": ALICE, "id": "m-1", "e": "a", "ts": 1},  # a letter is no emoji
        {"t": "react", "a": ALICE, "id": "m-1", "e": "👍" * 17, "ts": 1},  # too long
        {"t": "react", "a": "alice", "id": "m-1", "e": "👍", "ts": 1},  # not a phone
        {"t": "react", "id": "m-1", "e": "👍", "ts": 1},  # no author
        {"t": "react", "a": ALICE, "id": "m 1", "e": "👍", "ts": 1},  # bad id
        {"t": "react", "a": ALICE, "id": "m-1", "e": "👍", "ts": True},  # a bool is no time
        {"t": "react", "a": ALICE, "id": "m-1", "e": "👍", "ts": 1, "extra": 1},
        {"t": "edit", "id": "m-1", "text": "", "ts": 1},  # empty
        {"t": "edit", "id": "m-1", "text": "   ", "ts": 1},  # blank
        {"t": "edit", "id": "m-1", "text": "x" * (64 * 1024 + 1), "ts": 1},
        {"t": "edit", "id": "m-1", "text": 5, "ts": 1},
        {"t": "edit", "id": "m-1", "text": "ok", "ts": -1},
        {"t": "edit", "id": "m-1", "text": "ok", "ts": 1, "g": TAG.group_id},  # half a tag
        {"t": "delete", "id": "m-1"},
        {"t": "delete", "id": "m-1", "ts": 1, "text": "no"},
        {"t": "text", "id": "m-1", "ts": 1, "text": "x", "reply": {"a": ALICE, "id": "m-0"}},
        {"t": "text", "id": "m-1", "ts": 1, "text": "x", "reply": {"a": ALICE, "id": "m-0", "q": "q" * 201}},
        {"t": "text", "id": "m-1", "ts": 1, "text": "x", "reply": ["m-0"]},
    ],
)
def test_a_bad_field_is_refused_without_quoting_it(obj: dict[str, object]) -> None:
    with pytest.raises(MalformedEnvelope) as refused:
        decode_payload(_bytes(obj))
    assert "m-1" not in str(refused.value) and "👍" not in str(refused.value)


def test_a_quote_is_the_start_of_the_text() -> None:
    assert quote_of("y" * 500) == "y" * QUOTE_CHARS
    assert quote_of("short") == "short"


def test_emoji_are_symbols_with_their_modifiers_and_joiners() -> None:
    assert all(is_emoji(e) for e in ("👍", "❤️", "👍🏽", "🇫🇷", "👨‍👩‍👧"))
    assert not any(is_emoji(e) for e in ("", "a", "1", " ", "👍 ", "\u200d👍", "ok👍"))


def test_the_window_is_24_hours_after_sending() -> None:
    assert within_window(1000, 1000 + ACTION_WINDOW_MS)
    assert not within_window(1000, 1001 + ACTION_WINDOW_MS)
    assert not within_window(1000, 999)  # before it was sent
