"""crypto_core.encoding: strict base64 and JSON, fixed-width integers, typed JSON fields."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto_core.encoding import (
    b64decode,
    b64encode,
    canonical_json,
    default_random,
    expect_dict,
    parse_json,
    require_bool,
    require_int,
    u32,
)
from crypto_core.errors import InvalidKeyFormat


@given(st.binary(max_size=200))
def test_base64_round_trips(data: bytes) -> None:
    assert b64decode(b64encode(data)) == data
    assert b64encode(data) == base64.b64encode(data).decode()


@pytest.mark.parametrize(
    "text",
    [
        "AB==",  # unused bits set: decodes, but is not the canonical spelling of b"\x00"
        "AA",  # padding missing
        "AA==\n",
        " AA==",
        "AA=A",
        "A-_A",  # the URL-safe alphabet is another format
        "\u00e9\u00e9\u00e9\u00e9",
    ],
)
def test_only_canonical_base64_is_accepted(text: str) -> None:
    with pytest.raises(InvalidKeyFormat):
        b64decode(text)


@pytest.mark.parametrize("value", [None, 5, b"AAAA", ["AAAA"]])
def test_base64_must_be_text(value: object) -> None:
    with pytest.raises(InvalidKeyFormat, match="field"):
        b64decode(value, what="field")


def test_base64_length_is_checked_and_named() -> None:
    assert b64decode(b64encode(b"\x01" * 32), length=32) == b"\x01" * 32
    with pytest.raises(InvalidKeyFormat, match=r"prekey: expected 32 bytes, got 31"):
        b64decode(b64encode(b"\x01" * 31), length=32, what="prekey")


def test_canonical_json_is_compact_sorted_and_ascii() -> None:
    assert (
        canonical_json({"b": 1, "a": "\u00e9", "c": [True, None]}) == b'{"a":"\\u00e9","b":1,"c":[true,null]}'
    )


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff", b"[" * 100_000, b"NaN!"])
def test_parse_json_refuses_malformed_bytes_with_one_error_type(raw: bytes) -> None:
    with pytest.raises(InvalidKeyFormat, match="thing: not JSON"):
        parse_json(raw, what="thing")


def test_parse_json_and_expect_dict() -> None:
    assert expect_dict(parse_json(b'{"a": 1}', what="x"), "x") == {"a": 1}
    with pytest.raises(InvalidKeyFormat, match="x: expected an object"):
        expect_dict(parse_json(b"[1]", what="x"), "x")


def test_u32_is_big_endian_and_four_bytes() -> None:
    assert u32(1) == b"\x00\x00\x00\x01"
    assert u32(2**32 - 1) == b"\xff\xff\xff\xff"
    with pytest.raises(OverflowError):
        u32(2**32)


@pytest.mark.parametrize("value", [True, False, -1, 2**32, 1.0, "1", None])
def test_require_int_refuses_what_is_not_an_id(value: object) -> None:
    with pytest.raises(InvalidKeyFormat, match="id"):
        require_int(value, what="id")


def test_require_int_and_bool_accept_their_values() -> None:
    assert require_int(0, what="id") == 0
    assert require_int(2**32 - 1, what="id") == 2**32 - 1
    assert require_int(2**40, what="time", high=2**63 - 1) == 2**40
    assert require_bool(True, what="flag") is True
    with pytest.raises(InvalidKeyFormat, match="flag"):
        require_bool(1, what="flag")


def test_default_randomness_is_fresh() -> None:
    assert len(default_random(32)) == 32
    assert default_random(32) != default_random(32)
