"""The transfer plan: the window of pieces, what refusals mean, progress in plaintext bytes, throttling."""

from __future__ import annotations

from crypto_core.stream import CHUNK_SIZE, sealed_size
from net.client.core.transfer_plan import (
    Next,
    Throttle,
    Window,
    download_refused,
    piece_for,
    plaintext_done,
    upload_refused,
)
from net.protocol.blobs import BLOB_PIECE, BLOB_WINDOW


def test_the_window_keeps_at_most_its_limit_in_flight_and_never_passes_the_end() -> None:
    window = Window(size=5 * BLOB_PIECE + 10)
    first = window.wanted()
    assert len(first) == BLOB_WINDOW and first[0] == (0, BLOB_PIECE)
    for number, piece in enumerate(first):
        window.sent(number, piece)
    assert window.wanted() == []
    window.answered(0)
    assert window.wanted() == [(4 * BLOB_PIECE, BLOB_PIECE)]
    window.sent(10, (4 * BLOB_PIECE, BLOB_PIECE))
    window.answered(1)
    assert window.wanted() == [(5 * BLOB_PIECE, 10)]
    assert sorted(window.restart(BLOB_PIECE)) == [2, 3, 10] and window.idle
    assert window.wanted()[0] == (BLOB_PIECE, BLOB_PIECE)


def test_refusals_wait_start_over_resync_or_fail() -> None:
    assert upload_refused("rate_limited") is Next.RETRY_LATER
    assert upload_refused("blob_not_found") is Next.START_OVER
    assert upload_refused("blob_digest") is Next.START_OVER
    assert upload_refused("blob_offset") is Next.RESYNC
    assert upload_refused("blob_too_large") is Next.FAIL
    assert download_refused("storage_full") is Next.RETRY_LATER
    assert download_refused("storage_unavailable") is Next.RETRY_LATER
    assert download_refused("blob_not_found") is Next.FAIL


def test_progress_counts_plaintext_bytes_of_the_sealed_ones_moved() -> None:
    size = 3 * CHUNK_SIZE + 5
    assert plaintext_done(0, size) == 0
    assert plaintext_done(sealed_size(CHUNK_SIZE) + 1, size) == CHUNK_SIZE
    assert plaintext_done(sealed_size(size), size) == size


def test_the_throttle_lets_one_event_per_interval_and_every_change_of_state() -> None:
    throttle = Throttle(every=0.1)
    assert throttle.due(1, "uploading", 0.0)
    assert not throttle.due(1, "uploading", 0.05)
    assert throttle.due(1, "done", 0.06)
    assert throttle.due(1, "done", 0.2)
    assert throttle.due(2, "uploading", 0.2)


def test_pieces_fit_the_frame_the_server_reads() -> None:
    assert piece_for(1024 * 1024) == BLOB_PIECE  # the default frame takes a whole piece
    small = piece_for(256 * 1024)
    assert small < BLOB_PIECE and 4 * ((small + 2) // 3) + 4096 <= 256 * 1024
