"""The decisions of a file transfer, without I/O: which pieces go next, what a refusal means, progress.

A blob moves in pieces of :data:`~net.protocol.blobs.BLOB_PIECE` bytes, at most
:data:`~net.protocol.blobs.BLOB_WINDOW` of them in flight on one connection
(:class:`Window`): enough to keep the link busy, few enough that a text sent meanwhile
waits behind at most that many pieces at the server. Each turn of the engine's loop does a
bounded piece of work (:data:`SEAL_STEP` bytes sealed, at most a window of requests), so a
100 MiB transfer never holds the loop.

What a refusal means (:func:`upload_refused`, :func:`download_refused`): "not now" codes
wait and try again; an upload whose blob the server no longer has (expired, or removed after a
digest mismatch) starts over with a new blob; a download whose blob is gone fails, in words.
Progress events are throttled (:class:`Throttle`): at most one per :data:`PROGRESS_EVERY`
seconds per transfer, and one at every change of state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from crypto_core.stream import CHUNK_SIZE, HEADER_SIZE, SEALED_CHUNK_SIZE, TAG_SIZE
from net.client.core.connection_state import RETRY_LATER
from net.protocol.blobs import BLOB_PIECE, BLOB_WINDOW

#: Plaintext bytes sealed per turn of the loop (a few chunks).
SEAL_STEP = 8 * CHUNK_SIZE
#: Bytes of a downloaded file checked again per turn after a restart (its ``.part`` re-read).
VERIFY_STEP = 4 * BLOB_PIECE
PROGRESS_EVERY = 0.1
#: How long a transfer waits after a "not now" refusal or a full disk before it tries again (seconds).
RETRY_AFTER = 2.0


@dataclass
class Window:
    """A blob's pieces in flight: each request id with the ``(offset, length)`` it asks for."""

    size: int
    next: int = 0
    in_flight: dict[int, tuple[int, int]] = field(default_factory=dict)
    piece: int = BLOB_PIECE
    limit: int = BLOB_WINDOW

    def wanted(self) -> list[tuple[int, int]]:
        """The pieces to ask for now: the window filled up, never past the end."""
        pieces: list[tuple[int, int]] = []
        offset = self.next
        while len(self.in_flight) + len(pieces) < self.limit and offset < self.size:
            length = min(self.piece, self.size - offset)
            pieces.append((offset, length))
            offset += length
        return pieces

    def sent(self, request_id: int, piece: tuple[int, int]) -> None:
        self.in_flight[request_id] = piece
        self.next = max(self.next, piece[0] + piece[1])

    def answered(self, request_id: int) -> tuple[int, int]:
        return self.in_flight.pop(request_id)

    def restart(self, offset: int) -> list[int]:
        """Go on from ``offset`` (after a drop, a refusal, a resync); the request ids given up."""
        dropped = list(self.in_flight)
        self.in_flight.clear()
        self.next = offset
        return dropped

    @property
    def idle(self) -> bool:
        return not self.in_flight


class Next(StrEnum):
    """What a transfer does after a refusal."""

    RETRY_LATER = "retry_later"  # wait RETRY_AFTER and ask again
    START_OVER = "start_over"  # upload: a new blob from the first byte
    RESYNC = "resync"  # upload: ask blob_status and go on from what the server holds
    FAIL = "fail"  # FAILED, with words


def upload_refused(code: str) -> Next:
    if code in RETRY_LATER:
        return Next.RETRY_LATER
    if code in ("blob_not_found", "blob_digest"):
        return Next.START_OVER
    if code in ("blob_offset", "blob_incomplete"):
        return Next.RESYNC
    return Next.FAIL


def download_refused(code: str) -> Next:
    return Next.RETRY_LATER if code in RETRY_LATER else Next.FAIL


#: Words for a person, by the code that stopped a transfer.
WORDS = {
    "blob_too_large": "The file is larger than the server accepts.",
    "blob_quota": "The server holds as many of your files as it keeps; try again once older ones expire.",
    "blob_not_found": "The file is no longer on the server: it expired or its sender removed it.",
    "damaged": "The file arrived damaged or was altered on the way, so it was not kept.",
    "file_unreadable": "The file could not be read any more; it was moved or removed before it was sent.",
    "disk_full": "The disk is full: the transfer goes on once there is space on it again.",
    "bad_size": "The server's copy of the file does not have the size its message announced.",
}


def words_for(code: str) -> str:
    return WORDS.get(code, f"The transfer stopped ({code}); resume it to try again.")


#: Bytes a piece's frame holds besides its base64 (the request's other fields, the framing).
FRAME_SLACK = 4096


def piece_for(max_frame: int) -> int:
    """The largest piece whose base64 and the fields around it fit one frame, at most ``BLOB_PIECE``."""
    fits = (max_frame - FRAME_SLACK) // 4 * 3
    return max(1024, min(BLOB_PIECE, fits // 1024 * 1024))


def plaintext_done(sealed: int, size: int) -> int:
    """Plaintext bytes that ``sealed`` bytes of a sealed stream stand for (for the progress bar)."""
    body = max(0, sealed - HEADER_SIZE)
    chunks, rest = divmod(body, SEALED_CHUNK_SIZE)
    return min(size, chunks * CHUNK_SIZE + max(0, rest - TAG_SIZE))


@dataclass
class Throttle:
    """At most one progress event per ``every`` seconds per transfer, and always one on a change of state."""

    every: float = PROGRESS_EVERY
    _last: dict[int, tuple[float, str]] = field(default_factory=dict)

    def due(self, key: int, state: str, now: float) -> bool:
        last = self._last.get(key)
        if last is not None and last[1] == state and now - last[0] < self.every:
            return False
        self._last[key] = (now, state)
        return True

    def forget(self, key: int) -> None:
        self._last.pop(key, None)
