"""What the bench's messages carry, inside and outside the Double Ratchet.

The plaintext is a sequence number, the moment the message was meant to leave
(``time.monotonic_ns``, comparable across processes on one machine) and filler
derived from the sequence number, so the recipient can check every byte it
decrypted. The body the server stores is one kind byte, then, for a session's
first message, PQXDH's initial message with its length, then the ratchet message.
"""

from __future__ import annotations

import struct

from crypto_core.errors import CryptoError
from crypto_core.pqxdh import InitialMessage

_HEAD = struct.Struct(">QQ")
_LENGTH = struct.Struct(">I")
MIN_SIZE = _HEAD.size
KIND_RATCHET = 0
KIND_FIRST = 1


class BadEnvelope(Exception):
    """A body or plaintext that is not what a bench client sends."""


def plaintext(seq: int, sent_ns: int, size: int) -> bytes:
    """``size`` bytes (at least 16): the head, then the sequence number repeated."""
    head = _HEAD.pack(seq, sent_ns)
    filler_len = size - len(head)
    if filler_len < 0:
        raise ValueError(f"a bench message has at least {MIN_SIZE} bytes")
    return head + (head[:8] * (filler_len // 8 + 1))[:filler_len]


def read_plaintext(data: bytes) -> tuple[int, int]:
    """(sequence number, send time) of a plaintext whose every byte is as :func:`plaintext` made it."""
    if len(data) < MIN_SIZE:
        raise BadEnvelope("too short")
    seq, sent_ns = _HEAD.unpack_from(data)
    filler_len = len(data) - MIN_SIZE
    if data[MIN_SIZE:] != (data[:8] * (filler_len // 8 + 1))[:filler_len]:
        raise BadEnvelope("the content is not what was sent")
    return seq, sent_ns


def wrap(ratchet_message: bytes, initial: InitialMessage | None = None) -> bytes:
    if initial is None:
        return bytes([KIND_RATCHET]) + ratchet_message
    first = initial.to_bytes()
    return bytes([KIND_FIRST]) + _LENGTH.pack(len(first)) + first + ratchet_message


def unwrap(body: bytes) -> tuple[InitialMessage | None, bytes]:
    """(initial message or None, ratchet message); :class:`BadEnvelope` for anything else."""
    if not body:
        raise BadEnvelope("empty")
    if body[0] == KIND_RATCHET:
        return None, body[1:]
    if body[0] != KIND_FIRST or len(body) < 1 + _LENGTH.size:
        raise BadEnvelope("unknown kind")
    (length,) = _LENGTH.unpack_from(body, 1)
    end = 1 + _LENGTH.size + length
    if len(body) < end:
        raise BadEnvelope("truncated")
    try:
        initial = InitialMessage.from_bytes(body[1 + _LENGTH.size : end])
    except CryptoError:
        raise BadEnvelope("bad initial message") from None
    return initial, body[end:]
