"""A frame's JSON: its payload read into an object, and an object written as a payload.

The standard library's ``json`` is the reference: what it writes, and what it reads with the
protocol's refusals (net/protocol/PROTOCOL.md, "Frames": no NaN or Infinity, no number beyond a
double, no repeated key, nesting within bounds, UTF-8), define the wire. orjson does the same work
in a fraction of the time (a message's frames cost the server half of what they did:
net/bench/PERFORMANCE.md), and it is used only where its answer is provably the reference's:

* **Writing**: only an object made of exact dicts with string keys, lists, tuples, strings,
  integers, booleans, None and bytes (the frames the code sends), where the two write the same
  bytes (tests/net/protocol/test_frame_json.py compares them); anything else (a float, which
  orjson spells ``1e-7`` where json says ``1e-07`` and NaN as ``null``; a subclass; a key
  object's ``to_json``) is written by the reference, and so is whatever orjson refuses (an
  integer beyond 64 bits, a lone surrogate): the same bytes or the same error as ever.
* **Reading**: orjson reads the payload and writes the value back; only if that gives the
  payload's very bytes is its value taken. orjson keeps the last of two equal keys, but the bytes
  written back from that value then hold the key once, so they differ, and so do they for any
  text not in the one spelling (spaces, ``\\u`` escapes, ``1E5``, nesting past orjson's 254
  levels): such a payload, and every payload orjson refuses, is read by the reference, which gives
  the value or the error in the words it always gave.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any, Final

import orjson
import pybase64

from crypto_core.encoding import b64encode
from net.protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError
from net.protocol.schema import Base64Text

# ------------------------------------------------------------------------------------------ reading


class _Unacceptable(ValueError):
    """Valid JSON text this protocol refuses; its message completes "the frame has ..."."""


def _reject_constant(name: str) -> Any:
    raise _Unacceptable(f"{name}, which is not JSON")


def _finite_float(literal: str) -> float:
    # ``1e400`` parses to infinity, which JSON cannot say: refused like the ``Infinity`` it would become.
    value = float(literal)
    if not math.isfinite(value):
        raise _Unacceptable("a number beyond the range of a double")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers may disagree on which of two equal keys wins (a proxy checks the first, the server
    # reads the last), so an object that repeats a key is refused instead of read either way.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Unacceptable("an object with a repeated key")
    return obj


# One decoder for every frame: building one per call (what ``json.loads`` does with any option) costs
# about as much as decoding a small frame. It keeps no state between calls.
_DECODER = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_finite_float, object_pairs_hook=_unique_keys
)


def _read_by_reference(payload: bytes) -> Any:
    """The value of the JSON text ``payload`` as the reference reads it, or a ``bad_frame`` error."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "the frame is not UTF-8") from None
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "the frame's JSON is nested too deeply") from None
    except _Unacceptable as exc:
        raise RemoteProtocolError(ErrorCode.BAD_FRAME, f"the frame has {exc}") from None
    except ValueError:  # includes JSONDecodeError and over-long integers
        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "the frame is not valid JSON") from None


def _read(payload: bytes) -> Any:
    """The value of the JSON text ``payload`` (orjson's, where it is the reference's), or ``bad_frame``."""
    try:
        value = orjson.loads(payload)
        if orjson.dumps(value) == payload:  # the one spelling of a value with no key repeated: see above
            return value
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        pass
    return _read_by_reference(payload)


def decode_json_object(payload: bytes) -> dict[str, Any]:
    """A frame's payload as a JSON object, or a ``bad_frame`` :class:`RemoteProtocolError`."""
    obj = _read(payload)
    if not isinstance(obj, dict):
        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "the frame is not a JSON object")
    return obj


#: A request this long may end in one long base64 string (a blob's piece), read apart from the rest.
LONG_TAIL = 64 * 1024
_TAIL_KEY = re.compile(rb"[a-z_]{1,32}")


def with_long_tail(payload: bytes) -> dict[str, Any] | None:
    """The object of ``payload`` if it ends in ``,"key":"<base64>"}``, without the JSON decoder's scan.

    The JSON decoder reads a long string character by character and copies it (0.8 ms for a blob's
    piece, more than anything else the server does with it). Base64 has no character that a JSON
    string must escape, so a tail proved to be base64 (by the SIMD decoder, which decodes it on the
    way) is a plain string; the rest, with its closing brace, is read as usual, and the tail's value
    is a :class:`~net.protocol.schema.Base64Text`, its bytes decoded already. The object means exactly
    what the whole payload means. None when the payload is not of that form, or the rest is not a
    non-empty object without that key: the caller then reads the whole payload, which gives the same
    result or the same error.
    """
    if not payload.endswith(b'"}'):
        return None
    opening = payload.rfind(b'"', 0, len(payload) - 2)  # base64 has no quote: the last value's first
    colon = opening - 2
    if colon < 0 or payload[colon:opening] != b'":':
        return None
    start = payload.rfind(b',"', 0, colon)
    if start < 0 or not _TAIL_KEY.fullmatch(payload, start + 2, colon):
        return None
    value = payload[opening + 1 : -2]
    try:
        data = pybase64.b64decode(value, validate=True)  # only the base64 alphabet: nothing escaped
        rest = _read(payload[:start] + b"}")
    except (ValueError, RemoteProtocolError):  # binascii.Error, and the rest's bad JSON
        return None
    key = payload[start + 2 : colon].decode("ascii")
    if not isinstance(rest, dict) or not rest or key in rest:  # "{ ," is no object; a repeat is refused
        return None
    rest[key] = Base64Text(value, data)
    return rest


# ------------------------------------------------------------------------------------------ writing


def _encode_leaf(value: Any) -> Any:
    # Called by the C encoder only for what JSON does not know, so dicts and lists never cross into Python.
    if isinstance(value, bytes | bytearray):
        return b64encode(bytes(value))
    if hasattr(value, "to_json"):
        return value.to_json()
    raise TypeError(f"{type(value).__name__} is not JSON")


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_encode_leaf)

_LEAVES: Final = frozenset({str, int, bool, type(None), bytes, bytearray})
_NESTS: Final = frozenset({dict, list, tuple})
_LEAVES_AND_NESTS: Final = _LEAVES | _NESTS
_BYTES: Final = (bytes, bytearray)
#: Deeper than this (no frame is), or a cycle: the reference writes it, or says why not.
_DEEPEST = 32


def _plain(values: Iterable[Any], depth: int = 0) -> bool:
    """Whether orjson writes these values as the reference would (see the module's docstring).

    Keys are left to orjson, which refuses any but exact strings (the reference writes the others).
    """
    kinds = set(map(type, values))
    if kinds <= _LEAVES:
        return True
    if depth >= _DEEPEST or not kinds <= _LEAVES_AND_NESTS:
        return False
    return all(
        _plain(value.values() if type(value) is dict else value, depth + 1)
        for value in values
        if type(value) in _NESTS
    )


def _base64(value: Any) -> str:
    # orjson calls this for what it does not know; _plain lets only bytes and bytearray through.
    if type(value) not in _BYTES:
        raise TypeError(f"{type(value).__name__} is not JSON")
    return pybase64.b64encode(value).decode("ascii")


#: A top-level bytes value this long is written after the other fields (``_by_reference``: it is
#: spliced into the JSON text, base64 needing no escaping, where the standard library's escaping of
#: a long string would cost more than the base64 itself: a blob's piece 1.2 ms of 2 per 512 KiB).
SPLICED_BYTES = 16 * 1024
#: A payload shorter than this holds no such value: its base64 alone is this long.
_SPLICED_TEXT = 4 * -(-SPLICED_BYTES // 3)


def _by_orjson(obj: dict[str, Any]) -> bytes | None:
    """The reference's bytes for a plain ``obj``, written by orjson; None when orjson refuses it."""
    try:
        payload = orjson.dumps(obj, default=_base64)
        if len(payload) < _SPLICED_TEXT:
            return payload
        last = [name for name, value in obj.items() if type(value) in _BYTES and len(value) >= SPLICED_BYTES]
        if not last:
            return payload
        # The same order as the reference's: long bytes after the other fields, in their own order.
        ordered = {name: value for name, value in obj.items() if name not in last}
        ordered.update((name, obj[name]) for name in last)
        return payload if list(ordered) == list(obj) else orjson.dumps(ordered, default=_base64)
    except orjson.JSONEncodeError:  # a key not a string, an integer beyond 64 bits, a lone surrogate
        return None


def _by_reference(obj: dict[str, Any]) -> bytes:
    """The payload of ``obj`` as the standard library writes it. Raises TypeError, ValueError."""
    spliced = [
        name
        for name, value in obj.items()
        if isinstance(value, bytes | bytearray) and len(value) >= SPLICED_BYTES
    ]
    if not spliced:
        return _ENCODER.encode(obj).encode()
    rest = _ENCODER.encode({name: value for name, value in obj.items() if name not in spliced}).encode()
    parts = [rest[:-1]]  # the object without its closing brace
    comma = rest != b"{}"
    for name in spliced:
        parts += [
            b"," if comma else b"",
            _ENCODER.encode(name).encode(),
            b':"',
            pybase64.b64encode(obj[name]),
            b'"',
        ]
        comma = True
    parts.append(b"}")
    return b"".join(parts)


def encode_json(obj: dict[str, Any]) -> bytes:
    """The payload that carries ``obj``, or a :class:`LocalProtocolError` saying why it cannot be JSON."""
    try:
        if type(obj) is dict and _plain(obj.values()):
            payload = _by_orjson(obj)
            if payload is not None:
                return payload
        return _by_reference(obj)
    except (TypeError, ValueError) as exc:
        raise LocalProtocolError(ErrorCode.BAD_REQUEST, f"cannot encode the message: {exc}") from None
