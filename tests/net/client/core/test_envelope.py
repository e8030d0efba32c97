"""The end-to-end format: outer envelope and inner payloads round-trip, pad, and refuse anything else."""

from __future__ import annotations

import base64
import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from json_strategies import json_values
from session_support import bundle_of

from crypto_core.encoding import canonical_json
from crypto_core.keys import IdentityKeyPair
from net.client.core.envelope import (
    MAX_PICTURE,
    PAD_TO,
    PICTURE_NOT_JPEG,
    PICTURE_TOO_LARGE,
    BadProfile,
    Delivered,
    Envelope,
    MalformedEnvelope,
    ProfilePayload,
    Read,
    SessionReset,
    Text,
    Typing,
    check_text,
    decode_payload,
    encode_payload,
)
from net.client.images import PICTURE_MAX_BYTES
from net.client.sessions import start


def test_payloads_round_trip() -> None:
    for payload in (
        Text("m-1", 1_764_000_000_123, "Grüße 👋"),
        Delivered(("m-1", "m-2")),
        Read(("m-3",)),
        Typing(True),
        Typing(False),
        SessionReset(("m-4", "m-5.a1b2")),
        SessionReset(),
    ):
        assert decode_payload(encode_payload(payload)) == payload


def test_payloads_are_padded_so_short_ones_look_alike() -> None:
    sizes = {len(encode_payload(p)) for p in (Text("m-1", 1, "ok"), Delivered(("m-1",)), Typing(True))}
    assert sizes == {PAD_TO}
    assert len(encode_payload(Text("m-1", 1, "x" * 100))) % PAD_TO == 0


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe",
        b"[1, 2]",
        b'{"t": "nope"}',
        b'{"t": "text", "id": "m-1", "ts": -1, "text": "hi"}',
        b'{"t": "text", "id": "has space", "ts": 1, "text": "hi"}',
        b'{"t": "text", "id": "m-1", "ts": true, "text": "hi"}',
        b'{"t": "delivered", "ids": "m-1"}',
        b'{"t": "typing", "on": 1}',
    ],
)
def test_malformed_payloads_are_refused_without_quoting_them(data: bytes) -> None:
    with pytest.raises(MalformedEnvelope) as caught:
        decode_payload(data)
    assert "has space" not in str(caught.value) and "hi" not in str(caught.value)


def test_a_text_repr_hides_the_text() -> None:
    assert "secret" not in repr(Text("m-1", 1, "secret"))


def test_too_long_a_text_is_refused() -> None:
    check_text("x" * 100)
    with pytest.raises(ValueError):
        check_text("x" * (64 * 1024 + 1))


def test_the_envelope_round_trips_with_and_without_the_initial_message() -> None:
    alice, bob = IdentityKeyPair.generate(), IdentityKeyPair.generate()
    state = start(alice, bundle_of(bob), clock=time.time)
    with_init = Envelope(state.session_id, "m-1", b"ratchet bytes", state.initial)
    assert Envelope.from_bytes(with_init.to_bytes()) == with_init
    without = Envelope(state.session_id, "c-2", b"more bytes")
    assert Envelope.from_bytes(without.to_bytes()) == without
    assert b"init" not in without.to_bytes()


@pytest.mark.parametrize(
    "change",
    [
        {"v": 2},
        {"cid": "bad id"},
        {"sid": "AAAA"},
        {"msg": "not base64!"},
        {"init": {"identity": {}}},
    ],
)
def test_malformed_envelopes_are_refused(change: dict[str, object]) -> None:
    good = json.loads(Envelope(b"\x01" * 16, "m-1", b"bytes").to_bytes())
    with pytest.raises(MalformedEnvelope):
        Envelope.from_bytes(canonical_json({**good, **change}))
    with pytest.raises(MalformedEnvelope):
        Envelope.from_bytes(b"not json")


_JSONISH = json_values(allow_nan=True)
_ALICE, _BOB = IdentityKeyPair.generate(), IdentityKeyPair.generate()
_GOOD_ENVELOPE = json.loads(
    Envelope(
        b"\x01" * 16,
        "m-1",
        b"ratchet bytes",
        start(_ALICE, bundle_of(_BOB), clock=time.time).initial,
    ).to_bytes()
)


def _mutated(document: object, draw: st.DrawFn) -> object:
    """``document`` with one value somewhere in it replaced by any JSON value (or left alone)."""
    if isinstance(document, dict) and document and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(document)))
        return {**document, key: _mutated(document[key], draw)}
    return draw(_JSONISH) if draw(st.booleans()) else document


@settings(max_examples=300, deadline=2000)
@given(st.data())
def test_any_body_is_an_envelope_or_malformed(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["bytes", "mutated"]))
    if kind == "bytes":
        body = data.draw(st.binary(max_size=200))
    else:
        body = json.dumps(_mutated(_GOOD_ENVELOPE, data.draw)).encode()
    try:
        envelope = Envelope.from_bytes(body)
    except MalformedEnvelope as exc:
        assert "ratchet" not in str(exc)
        return
    assert Envelope.from_bytes(envelope.to_bytes()) == envelope


@settings(max_examples=300, deadline=2000)
@given(st.one_of(st.binary(max_size=200), _JSONISH.map(lambda v: json.dumps(v).encode())))
def test_any_plaintext_is_a_payload_or_malformed(data: bytes) -> None:
    try:
        payload = decode_payload(data)
    except MalformedEnvelope:
        return
    assert decode_payload(encode_payload(payload)) == payload


def test_a_profile_payload_round_trips_and_hides_the_name() -> None:
    profile = ProfilePayload("Zoë Ñandú", 3)
    assert decode_payload(encode_payload(profile)) == profile
    assert "Zoë" not in repr(profile)


JPEG = b"\xff\xd8\xff\xe0" + b"pixels" * 10 + b"\xff\xd9"


def test_a_profile_payload_carries_a_picture_and_hides_it() -> None:
    profile = ProfilePayload("Zoë", 4, JPEG)
    data = encode_payload(profile)
    assert json.loads(data)["pic"] == base64.b64encode(JPEG).decode()
    assert decode_payload(data) == profile
    assert "pixels" not in repr(profile) and "Zoë" not in repr(profile)
    # None: no field at all, byte for byte what a profile payload was before pictures.
    assert "pic" not in json.loads(encode_payload(ProfilePayload("Zoë", 4)))
    assert decode_payload(encode_payload(ProfilePayload("Zoë", 4))) == ProfilePayload("Zoë", 4)


def test_the_largest_picture_is_the_one_images_makes() -> None:
    assert MAX_PICTURE == PICTURE_MAX_BYTES == 48 * 1024
    biggest = b"\xff\xd8\xff" + bytes(MAX_PICTURE - 5) + b"\xff\xd9"
    assert decode_payload(encode_payload(ProfilePayload("ok", 1, biggest))).picture == biggest


@pytest.mark.parametrize(
    ("pic", "words"),
    [
        (
            base64.b64encode(b"\xff\xd8\xff" + bytes(MAX_PICTURE - 4) + b"\xff\xd9").decode(),
            PICTURE_TOO_LARGE,
        ),
        ("A" * (200 * 1024), PICTURE_TOO_LARGE),
        (base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(40)).decode(), PICTURE_NOT_JPEG),
        (base64.b64encode(b"\xff\xd8\xff cut off").decode(), PICTURE_NOT_JPEG),
        ("not base64 at all!", PICTURE_NOT_JPEG),
        (12345, PICTURE_NOT_JPEG),
        ("", PICTURE_NOT_JPEG),
    ],
    ids=["one byte too many", "huge field", "a png", "no end marker", "not base64", "a number", "empty"],
)
def test_a_bad_picture_is_refused_in_words_and_the_name_still_taken(pic: object, words: str) -> None:
    payload = decode_payload(json.dumps({"t": "profile", "name": "Zoë", "v": 5, "pic": pic}).encode())
    assert payload == ProfilePayload("Zoë", 5, b"", words)
    assert "KiB" in PICTURE_TOO_LARGE and "JPEG" in PICTURE_NOT_JPEG


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "", "v": 1},
        {"name": "x" * 65, "v": 1},
        {"name": "line\nbreak", "v": 1},
        {"name": "tab\there", "v": 1},
        {"name": "\u202eevil", "v": 1},
        {"name": " padded ", "v": 1},
        {"name": "Zoe\u0308", "v": 1},  # not NFC: a sender of this format sends NFC
        {"name": "ok", "v": 0},
        {"name": "ok", "v": True},
        {"name": "ok", "v": "1"},
        {"name": 7, "v": 1},
        {"v": 1},
        {"name": "ok"},
        {"name": "x" * 5000, "v": 1},
    ],
)
def test_a_bad_profile_payload_is_its_own_malformed_kind(fields: dict[str, object]) -> None:
    data = json.dumps({"t": "profile", **fields}).encode()
    with pytest.raises(BadProfile) as caught:
        decode_payload(data)
    assert isinstance(caught.value, MalformedEnvelope)
    assert "evil" not in str(caught.value) and "break" not in str(caught.value)
