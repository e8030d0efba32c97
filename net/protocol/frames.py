"""Framing: a 4-byte big-endian length, then that many bytes of payload.

The decoder checks the announced length against the limit before it buffers a
single byte of the payload, so a peer cannot make us hold more than one frame
of the maximum size. A length over the limit is fatal: after it the stream has
no trustworthy boundary left, so the connection has to go.
"""

from __future__ import annotations

import struct

from net.protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError

HEADER = struct.Struct(">I")
HEADER_SIZE = HEADER.size
DEFAULT_MAX_FRAME = 1024 * 1024


def encode_frame(payload: bytes, max_size: int = DEFAULT_MAX_FRAME) -> bytes:
    """The frame that carries ``payload``; refuses one the peer would have to reject."""
    if len(payload) > max_size:
        raise LocalProtocolError(
            ErrorCode.FRAME_TOO_LARGE, f"frame of {len(payload)} bytes exceeds the limit of {max_size}"
        )
    return HEADER.pack(len(payload)) + payload


class FrameDecoder:
    """Collects bytes and cuts them into frame payloads."""

    __slots__ = ("max_size", "_buffer", "_eof")

    def __init__(self, max_size: int = DEFAULT_MAX_FRAME) -> None:
        if not 0 < max_size < 2**32:
            raise ValueError("max_size must fit the 4-byte length")
        self.max_size = max_size
        self._buffer = bytearray()
        self._eof = False

    def feed(self, data: bytes) -> None:
        """Add received bytes; ``b""`` means the peer closed its side."""
        if not data:
            self._eof = True
        else:
            self._buffer += data

    @property
    def eof(self) -> bool:
        return self._eof

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    @property
    def awaiting(self) -> int:
        """Bytes still to come of the frame begun at the head of the buffer (0: none begun, or whole)."""
        if len(self._buffer) < HEADER_SIZE:
            return HEADER_SIZE - len(self._buffer) if self._buffer else 0
        length = int(HEADER.unpack_from(self._buffer)[0])
        return max(0, HEADER_SIZE + min(length, self.max_size) - len(self._buffer))

    def next_frame(self) -> bytes | None:
        """The next complete payload, or None when more bytes are needed.

        Raises :class:`RemoteProtocolError` (fatal) for an oversized length, and for a
        stream that ended in the middle of a frame.
        """
        if len(self._buffer) >= HEADER_SIZE:
            (length,) = HEADER.unpack_from(self._buffer)
            if length > self.max_size:
                raise RemoteProtocolError(
                    ErrorCode.FRAME_TOO_LARGE,
                    f"a frame of {length} bytes exceeds the limit of {self.max_size}",
                    fatal=True,
                )
            end = HEADER_SIZE + length
            if len(self._buffer) >= end:
                with memoryview(self._buffer) as view:  # one copy of a big payload, not two
                    payload = bytes(view[HEADER_SIZE:end])
                del self._buffer[:end]
                return payload
        if self._eof and self._buffer:
            raise RemoteProtocolError(
                ErrorCode.BAD_FRAME, "the connection ended in the middle of a frame", fatal=True
            )
        return None
