"""A frame's JSON: orjson's bytes and readings are exactly the standard library's, refusals and all."""

from __future__ import annotations

import base64
import enum
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_core.keys import IdentityKeyPair
from net.bench.codec_bench import frames
from net.protocol import frame_json
from net.protocol.errors import LocalProtocolError, RemoteProtocolError
from net.protocol.frame_json import SPLICED_BYTES, decode_json_object, encode_json

# ------------------------------------------------------------------------------------------ writing


def _written_by_reference(obj: dict[str, Any]) -> object:
    """What the standard library's path makes of ``obj``: its bytes, or the words of its refusal."""
    try:
        return frame_json._by_reference(obj)
    except (TypeError, ValueError) as exc:
        return ("refused", f"cannot encode the message: {exc}")


def _written(obj: dict[str, Any]) -> object:
    try:
        return encode_json(obj)
    except LocalProtocolError as exc:
        return ("refused", exc.message)


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Word(str):
    pass


class Count(int):
    pass


class Table(dict[str, Any]):
    pass


_IDENTITY = IdentityKeyPair.generate().public
_CYCLE: list[Any] = []
_CYCLE.append(_CYCLE)
_DEEP: list[Any] = [1]
for _ in range(40):
    _DEEP = [_DEEP]


@pytest.mark.parametrize(
    "value",
    [
        1e-07,  # orjson writes 1e-7
        1.5e300,
        float("nan"),  # orjson writes null
        float("inf"),
        -0.0,
        uuid.UUID(int=7),  # orjson writes a string; the reference refuses
        Colour.RED,  # orjson writes "red"; the reference refuses
        Level.HIGH,
        Word("word"),
        Count(5),
        Table(a=1),
        2**64,  # beyond orjson's integers
        -(2**63) - 1,
        2**63,
        "\ud800",  # a lone surrogate: no UTF-8 for it
        '\x00\x1f\x7f\u2028"\\/é😀',
        {1: "a"},  # a key that is not a string: the reference writes "1"
        {True: "a", None: "b"},
        _DEEP,  # deeper than _DEEPEST
        _CYCLE,
        _IDENTITY,  # to_json
        b"\x00\xff" * 3,
        bytearray(b"abc"),
        memoryview(b"abc"),  # neither writes it
        bytes(SPLICED_BYTES),
        object(),
        (1, "a", None),
    ],
)
def test_every_kind_of_value_is_written_as_the_reference_writes_it(value: object) -> None:
    for obj in ({"re": 1, "ok": True, "value": value}, {"value": value, "body": b"x" * SPLICED_BYTES}):
        assert _written(obj) == _written_by_reference(obj)


def test_every_character_is_written_as_the_reference_writes_it() -> None:
    # Each character as a string of its own in a list, so equal output means equal for each one.
    for block in range(0, 0x110000, 4096):
        characters = [chr(c) for c in range(block, block + 4096) if not 0xD800 <= c <= 0xDFFF]
        for obj in ({"s": characters}, {c: 0 for c in characters}):
            assert encode_json(obj) == frame_json._by_reference(obj)


_KEYS = st.text(max_size=6) | st.sampled_from(["id", "op", "re", "ok", "body", "ids"])
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.integers(-(2**63), 2**64 - 1)
    | st.text(max_size=12)
    | st.binary(max_size=40)
    | st.binary(max_size=8).map(bytearray)
    | st.floats()
    | st.sampled_from([Colour.RED, Level.HIGH, Word("w"), Count(2), uuid.UUID(int=3), _IDENTITY])
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(_KEYS | st.integers(0, 3), inner, max_size=4)
    ),
    max_leaves=16,
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=6), st.booleans())
def test_generated_objects_are_written_as_the_reference_writes_them(obj: dict[str, Any], long: bool) -> None:
    if long:  # a blob's piece among them: written after the other fields, as the reference splices it
        obj = {**obj, "data": bytes(range(256)) * (SPLICED_BYTES // 256), "offset": 0}
    assert _written(obj) == _written_by_reference(obj)


def test_a_messages_frames_are_written_by_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {frame.name: frame_json._by_reference(frame.obj) for frame in frames(560)}

    def refuse(_obj: object) -> bytes:
        raise AssertionError("written by the reference")

    monkeypatch.setattr(frame_json, "_by_reference", refuse)
    assert {frame.name: encode_json(frame.obj) for frame in frames(560)} == expected
    piece = {"blob": "A" * 43, "data": bytes(700_000), "offset": 0}
    assert encode_json(piece).endswith(b'"offset":0,"data":"' + base64.b64encode(bytes(700_000)) + b'"}')


# ------------------------------------------------------------------------------------------ reading


def _typed(value: object) -> object:
    """``value`` with its types spelled out (``1 == 1.0 == True`` in Python, not on the wire)."""
    if isinstance(value, dict):
        return ("object", [(key, _typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("array", [_typed(item) for item in value])
    return (type(value).__name__, repr(value))


def _outcome(read: Callable[[bytes], object], payload: bytes) -> object:
    try:
        return _typed(read(payload))
    except RemoteProtocolError as exc:
        return ("refused", exc.code, exc.message, exc.request_id, exc.fatal)


def _read_by_reference(payload: bytes) -> object:
    value = frame_json._read_by_reference(payload)
    if not isinstance(value, dict):
        raise RemoteProtocolError("bad_frame", "the frame is not a JSON object")
    return value


def _reads_as_reference(payload: bytes) -> None:
    assert _outcome(decode_json_object, payload) == _outcome(_read_by_reference, payload), payload


@pytest.mark.parametrize(
    "payload",
    [
        b'{"id":1,"id":2}',
        b'{"id":1,"id":1}',  # the same value twice is a repeat too
        b'{"a":{"b":1,"b":2}}',
        b'{"a":[{"b":1},{"b":1,"c":2,"b":3}]}',
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'{"a":-Infinity}',
        b'{"a":1e400}',
        b'{"a":1.5e-07}',
        b'{"a":1E5}',
        b'{"a":-0}',
        b'{"a":-0.0}',
        b'{"a":18446744073709551616}',
        b'{"a":18446744073709551615}',
        b'{"a":' + b"9" * 4300 + b"}",
        b'{"a":' + b"9" * 4301 + b"}",
        b'{"a":"\\ud800"}',  # a lone surrogate, read as one (the field's check refuses it by name)
        b'{"a":"\\ud83d\\ude00"}',
        b'{"a":"\xed\xa0\x80"}',  # a surrogate in UTF-8: not UTF-8
        b'{"a":"\xff"}',
        b'\xef\xbb\xbf{"a":1}',  # a byte order mark
        b' {"a" : 1} ',
        b'{"a":"\\/\\u0041"}',
        b'{"a":"\x7f\xc3\xa9"}',
        b'{"a":"\x01"}',  # a control character unescaped
        b"[1,2]",
        b'"text"',
        b"null",
        b"{}",
        b"",
        b'{"a":1}x',
        b'{"a":' + b"[" * 300 + b"]" * 300 + b"}",  # past orjson's depth for writing, within the reference's
        b"[" * 2000 + b"]" * 2000,
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_payloads_are_read_or_refused_as_the_reference_does(payload: bytes) -> None:
    _reads_as_reference(payload)


def test_a_repeated_key_is_refused_in_words() -> None:
    with pytest.raises(RemoteProtocolError) as caught:
        decode_json_object(b'{"id":1,"op":"ping","x":{"a":1,"a":1}}')
    assert caught.value.message == "the frame has an object with a repeated key"
    assert caught.value.code == "bad_frame" and caught.value.request_id is None


_TEXT_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["a", "b", "é", ""]), inner),
    max_leaves=14,
)


@st.composite
def _frames(draw: st.DrawFn) -> bytes:
    """A payload as a peer may write it: the one spelling, or spaced, escaped, repeating a key."""
    value = {
        "id": draw(st.integers(0, 2**53)),
        **draw(st.dictionaries(st.sampled_from(["op", "a"]), _TEXT_VALUES)),
    }
    spelling = draw(st.sampled_from(["compact", "spaced", "ascii", "repeated"]))
    if spelling == "compact":
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    elif spelling == "spaced":
        text = json.dumps(value, indent=draw(st.sampled_from([None, 1])))
    elif spelling == "ascii":
        text = json.dumps(value, separators=(",", ":"))
    else:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)[:-1] + ',"id":0}'
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=600, deadline=None)
@given(_frames())
def test_generated_frames_are_read_as_the_reference_reads_them(payload: bytes) -> None:
    _reads_as_reference(payload)


@settings(max_examples=600, deadline=None)
@given(
    _frames(),
    st.integers(0, 2**20),
    st.binary(min_size=1, max_size=3),
    st.sampled_from(["in", "over", "cut"]),
)
def test_mangled_frames_are_read_or_refused_as_the_reference_does(
    payload: bytes, at: int, junk: bytes, how: str
) -> None:
    place = at % (len(payload) + 1)
    if how == "in":
        payload = payload[:place] + junk + payload[place:]
    elif how == "over":
        payload = payload[:place] + junk + payload[place + len(junk) :]
    else:
        payload = payload[:place] + payload[place + len(junk) :]
    _reads_as_reference(payload)


def test_a_messages_frames_are_read_by_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    payloads = [frame_json._by_reference(frame.obj) for frame in frames(560)]
    expected = [json.loads(payload) for payload in payloads]

    def refuse(_payload: bytes) -> object:
        raise AssertionError("read by the reference")

    monkeypatch.setattr(frame_json, "_read_by_reference", refuse)
    assert [decode_json_object(payload) for payload in payloads] == expected
