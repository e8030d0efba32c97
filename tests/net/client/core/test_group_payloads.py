"""The group payloads and the group fields of texts and typing notices, through the end-to-end format."""

from __future__ import annotations

import json
from typing import Any

import pytest
from group_support import ALICE, BOB, CAROL, change, created, group
from hypothesis import given, settings
from hypothesis import strategies as st
from json_strategies import json_values

from net.client.core.envelope import (
    PAD_TO,
    GroupChangePayload,
    GroupStatePayload,
    GroupTag,
    MalformedEnvelope,
    Text,
    Typing,
    decode_payload,
    encode_payload,
)
from net.client.core.group_changes import BadGroupChange, ChangeKind
from net.client.core.group_payloads import MAX_STATE_CHANGES

CREATE = created("Club", [BOB, CAROL])
GID = CREATE.change.group_id
TAG = group(ALICE, CREATE).tag()


def _decoded(obj: dict[str, Any]) -> object:
    return decode_payload(json.dumps(obj).encode())


def test_the_group_payloads_round_trip_and_are_padded() -> None:
    add = change(CREATE, ALICE, 2, ChangeKind.ADD, who="+442079460199")
    for payload in (
        GroupChangePayload(CREATE),
        GroupStatePayload(GID, (CREATE, add), want=True),
        GroupStatePayload(GID, (), want=False),
        Text("m-1", 5, "hello all", TAG),
        Typing(True, GID),
    ):
        encoded = encode_payload(payload)
        assert len(encoded) % PAD_TO == 0
        assert decode_payload(encoded) == payload


def test_a_group_change_payload_has_its_documented_shape() -> None:
    obj = json.loads(encode_payload(GroupChangePayload(CREATE)))
    assert set(obj) == {"t", "change", "sig"} and obj["t"] == "group_change"
    assert obj["change"] == CREATE.change.to_json()
    state = json.loads(encode_payload(GroupStatePayload(GID, (CREATE,), want=True)))
    assert state == {"t": "group_state", "g": GID, "changes": [CREATE.to_json()], "want": True}


def test_a_group_text_carries_its_group_version_and_digest() -> None:
    obj = json.loads(encode_payload(Text("m-1", 5, "hi", TAG)))
    assert (obj["g"], obj["gv"], obj["gd"]) == (GID, 1, TAG.digest)
    assert json.loads(encode_payload(Typing(False, GID)))["g"] == GID


def test_one_to_one_texts_and_typing_notices_are_byte_for_byte_as_before() -> None:
    assert encode_payload(Text("m-1", 5, "hi")).rstrip(b" ") == b'{"t":"text","id":"m-1","ts":5,"text":"hi"}'
    assert encode_payload(Typing(True)).rstrip(b" ") == b'{"t":"typing","on":true}'
    assert decode_payload(encode_payload(Text("m-1", 5, "hi"))) == Text("m-1", 5, "hi", None)


@pytest.mark.parametrize(
    "fields",
    [
        {"g": GID},
        {"g": GID, "gv": 1},
        {"g": GID, "gv": 0, "gd": TAG.digest},
        {"g": GID, "gv": True, "gd": TAG.digest},
        {"g": GID, "gv": 1, "gd": "short"},
        {"g": "not an id", "gv": 1, "gd": TAG.digest},
        {"gv": 1, "gd": TAG.digest},
    ],
)
def test_bad_group_fields_on_a_text_are_malformed(fields: dict[str, Any]) -> None:
    with pytest.raises(MalformedEnvelope) as caught:
        _decoded({"t": "text", "id": "m-1", "ts": 1, "text": "secret words", **fields})
    assert "secret" not in str(caught.value)


def test_a_bad_group_on_a_typing_notice_is_malformed() -> None:
    with pytest.raises(MalformedEnvelope):
        _decoded({"t": "typing", "on": True, "g": 7})


@pytest.mark.parametrize(
    "obj",
    [
        {"t": "group_change", "change": CREATE.change.to_json()},
        {"t": "group_change", **CREATE.to_json(), "extra": 1},
        {"t": "group_change", "change": {**CREATE.change.to_json(), "v": 2}, "sig": CREATE.to_json()["sig"]},
        {"t": "group_state", "g": GID, "changes": [CREATE.to_json()]},
        {"t": "group_state", "g": GID, "changes": [CREATE.to_json()], "want": 1},
        {"t": "group_state", "g": GID, "changes": CREATE.to_json(), "want": True},
        {"t": "group_state", "g": "x", "changes": [], "want": True},
        {"t": "group_state", "g": GID, "changes": [{"change": {}, "sig": ""}], "want": True},
        {
            "t": "group_state",
            "g": created("Other").change.group_id,
            "changes": [CREATE.to_json()],
            "want": True,
        },
        {"t": "group_state", "g": GID, "changes": [CREATE.to_json()] * (MAX_STATE_CHANGES + 1), "want": True},
    ],
)
def test_a_malformed_group_payload_is_a_bad_group_change(obj: dict[str, Any]) -> None:
    with pytest.raises(BadGroupChange) as caught:
        _decoded(obj)
    assert isinstance(caught.value, MalformedEnvelope)
    assert "Club" not in str(caught.value) and ALICE not in str(caught.value)


_GOOD = json.loads(encode_payload(GroupStatePayload(GID, (CREATE,), want=True)))


def _mutated(document: object, draw: st.DrawFn) -> object:
    if isinstance(document, dict) and document and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(document)))
        return {**document, key: _mutated(document[key], draw)}
    if isinstance(document, list) and document and draw(st.booleans()):
        return [_mutated(document[0], draw), *document[1:]]
    return draw(json_values(allow_nan=True)) if draw(st.booleans()) else document


@settings(max_examples=300, deadline=2000)
@given(st.data())
def test_any_mutated_group_state_is_a_payload_that_round_trips_or_malformed(data: st.DataObject) -> None:
    body = json.dumps(_mutated(_GOOD, data.draw)).encode()
    try:
        payload = decode_payload(body)
    except MalformedEnvelope as exc:
        assert "Club" not in str(exc)
        return
    assert decode_payload(encode_payload(payload)) == payload


def test_group_payload_reprs_hold_no_names() -> None:
    assert "Club" not in repr(GroupStatePayload(GID, (CREATE,), want=True))
    assert "Club" not in repr(GroupChangePayload(CREATE))
    assert "hello" not in repr(Text("m-1", 1, "hello", TAG))
    assert GroupTag(GID, 1, TAG.digest) == TAG
