"""Small shared helpers: strict base64 and JSON for the wire, injectable randomness, fixed-width ints."""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable
from typing import Any

from crypto_core.errors import InvalidKeyFormat

#: A source of random bytes: called with a length, returns that many bytes.
#: ``os.urandom`` in production; tests pass a deterministic one for known answers.
RandomSource = Callable[[int], bytes]

default_random: RandomSource = os.urandom


def b64encode(data: bytes) -> str:
    """Standard base64 with padding, as text (the wire and JSON state use this)."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: object, *, length: int | None = None, what: str = "value") -> bytes:
    """Strict base64 decode; raises :class:`InvalidKeyFormat` naming ``what`` on any defect.

    Only the canonical encoding is accepted (padding present, unused bits zero), so
    that every value has exactly one spelling on the wire.
    """
    if not isinstance(text, str):
        raise InvalidKeyFormat(f"{what}: expected base64 text")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InvalidKeyFormat(f"{what}: not valid base64") from None
    if b64encode(data) != text:
        raise InvalidKeyFormat(f"{what}: not canonical base64")
    if length is not None and len(data) != length:
        raise InvalidKeyFormat(f"{what}: expected {length} bytes, got {len(data)}")
    return data


def canonical_json(obj: dict[str, Any]) -> bytes:
    """Compact JSON with sorted keys: one byte string per value, so it can be pinned and compared."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def parse_json(data: bytes, *, what: str) -> object:
    """Parse JSON bytes; any defect (bad UTF-8, bad syntax, absurd nesting) is InvalidKeyFormat."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidKeyFormat(f"{what}: not JSON") from None


def expect_dict(data: object, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidKeyFormat(f"{what}: expected an object")
    return data


def u32(value: int) -> bytes:
    """Big-endian unsigned 32-bit."""
    return value.to_bytes(4, "big")


def require_int(value: object, *, what: str, low: int = 0, high: int = 2**32 - 1) -> int:
    """A JSON integer in ``[low, high]`` (bools are not integers here)."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidKeyFormat(f"{what}: expected an integer in [{low}, {high}]")
    return value


def require_bool(value: object, *, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidKeyFormat(f"{what}: expected true or false")
    return value
