"""Small shared helpers: base64 for JSON fields, injectable randomness, fixed-width ints."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable

from crypto_core.errors import InvalidKeyFormat

#: A source of random bytes: called with a length, returns that many bytes.
#: ``os.urandom`` in production; tests pass a deterministic one for known answers.
RandomSource = Callable[[int], bytes]

default_random: RandomSource = os.urandom


def b64encode(data: bytes) -> str:
    """Standard base64 with padding, as text (the wire and JSON state use this)."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: object, *, length: int | None = None, what: str = "value") -> bytes:
    """Strict base64 decode; raises :class:`InvalidKeyFormat` naming ``what`` on any defect."""
    if not isinstance(text, str):
        raise InvalidKeyFormat(f"{what}: expected base64 text")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InvalidKeyFormat(f"{what}: not valid base64") from None
    if length is not None and len(data) != length:
        raise InvalidKeyFormat(f"{what}: expected {length} bytes, got {len(data)}")
    return data


def u32(value: int) -> bytes:
    """Big-endian unsigned 32-bit."""
    return value.to_bytes(4, "big")


def require_int(value: object, *, what: str, low: int = 0, high: int = 2**32 - 1) -> int:
    """A JSON integer in ``[low, high]`` (bools are not integers here)."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidKeyFormat(f"{what}: expected an integer in [{low}, {high}]")
    return value
