"""What file and picture messages say and offer, without a display: sizes, states, actions, fitting, drops."""

from __future__ import annotations

from pathlib import Path

import pytest

from gui.view_models.file_model import (
    FileAction,
    Staged,
    actions,
    drop_paths,
    fit_within,
    fraction,
    is_moving,
    is_picture,
    last_line,
    size_text,
    state_text,
    thumbnail_size,
)
from net.client.core.events import AttachmentView, TransferState

MIB = 1024 * 1024


def doc(
    state: TransferState, transferred: int = 0, *, error: str = "", size: int = 10 * MIB
) -> AttachmentView:
    return AttachmentView("report.pdf", size, "application/pdf", state, transferred, error=error)


def photo(
    state: TransferState = TransferState.DONE, *, width: int = 4000, height: int = 3000
) -> AttachmentView:
    thumb = b"\xff\xd8jpeg"
    return AttachmentView("IMG_1.jpg", 2 * MIB, "image/jpeg", state, 0, width, height, thumbnail=thumb)


@pytest.mark.parametrize(
    ("size", "words"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (1023, "1023 bytes"),
        (1024, "1 KB"),
        (1536, "1.5 KB"),
        (10 * 1024, "10 KB"),
        (int(3.4 * MIB), "3.4 MB"),
        (100 * MIB, "100 MB"),
        (int(1.25 * 1024 * MIB), "1.2 GB"),
    ],
)
def test_sizes_read_as_people_write_them(size: int, words: str) -> None:
    assert size_text(size) == words


def test_each_state_says_what_happens_in_words() -> None:
    assert state_text(doc(TransferState.PREPARING), outgoing=True) == "10 MB · encrypting…"
    assert state_text(doc(TransferState.UPLOADING, 3 * MIB), outgoing=True) == "Sending · 3 MB of 10 MB"
    assert state_text(doc(TransferState.WAITING), outgoing=False) == "10 MB · waiting to download"
    assert state_text(doc(TransferState.DOWNLOADING, MIB // 2), outgoing=False) == (
        "Downloading · 512 KB of 10 MB"
    )
    assert state_text(doc(TransferState.PAUSED, 5 * MIB), outgoing=False) == "Paused · 5 MB of 10 MB"
    assert state_text(doc(TransferState.DONE), outgoing=False) == "10 MB"
    assert state_text(doc(TransferState.CANCELLED), outgoing=True) == "10 MB · sending cancelled"
    assert state_text(doc(TransferState.CANCELLED), outgoing=False) == "10 MB · download cancelled"


def test_a_failure_says_the_engines_words_and_which_way_it_failed() -> None:
    failed = doc(TransferState.FAILED, error="The server is out of space for files.")
    assert state_text(failed, outgoing=True) == "10 MB · not sent: The server is out of space for files"
    assert state_text(doc(TransferState.FAILED), outgoing=False) == (
        "10 MB · not downloaded: the transfer stopped"
    )


def test_each_state_offers_its_actions_the_most_wanted_first() -> None:
    assert actions(doc(TransferState.UPLOADING), outgoing=True) == (FileAction.PAUSE, FileAction.CANCEL)
    assert actions(doc(TransferState.WAITING), outgoing=False) == (FileAction.PAUSE, FileAction.CANCEL)
    assert actions(doc(TransferState.PAUSED), outgoing=False) == (FileAction.RESUME, FileAction.CANCEL)
    assert actions(doc(TransferState.FAILED), outgoing=False) == (FileAction.RETRY, FileAction.CANCEL)
    assert actions(doc(TransferState.DONE), outgoing=False) == (FileAction.OPEN, FileAction.SAVE)
    assert actions(photo(), outgoing=False) == (FileAction.VIEW, FileAction.SAVE)
    assert actions(doc(TransferState.CANCELLED), outgoing=False) == (FileAction.DOWNLOAD,)
    assert actions(doc(TransferState.CANCELLED), outgoing=True) == ()


def test_progress_is_a_fraction_and_only_moving_transfers_show_a_bar() -> None:
    assert fraction(doc(TransferState.DOWNLOADING, 5 * MIB)) == 0.5
    assert fraction(doc(TransferState.DONE, 0)) == 1.0
    assert fraction(doc(TransferState.UPLOADING, 20 * MIB)) == 1.0  # never past the end
    assert fraction(doc(TransferState.UPLOADING, 0, size=0)) == 0.0
    assert [s for s in TransferState if is_moving(doc(s))] == [
        TransferState.PREPARING,
        TransferState.UPLOADING,
        TransferState.WAITING,
        TransferState.DOWNLOADING,
    ]


def test_a_picture_needs_an_image_type_and_a_thumbnail() -> None:
    assert is_picture(photo())
    assert not is_picture(doc(TransferState.DONE))
    no_thumb = AttachmentView("a.png", 10, "image/png", TransferState.DONE)
    assert not is_picture(no_thumb)  # drawn as a file: nothing to show inline


def test_thumbnails_keep_their_aspect_and_fit_the_bubble() -> None:
    assert thumbnail_size(photo(), 500) == fit_within(4000, 3000, 320, 426)
    wide = thumbnail_size(photo(), 500)
    assert (wide.width, wide.height) == (320, 240)
    narrow = thumbnail_size(photo(), 200)
    assert (narrow.width, narrow.height) == (200, 150)
    tall = thumbnail_size(photo(width=1000, height=4000), 300)
    assert tall.height == 400 and tall.width == 100  # no taller than 4:3 of its width allows
    small = fit_within(50, 40, 300, 300)
    assert (small.width, small.height) == (50, 40)  # never scaled up
    no_size = AttachmentView("x.jpg", 1, "image/jpeg", TransferState.DONE, thumbnail=b"j")
    unknown = thumbnail_size(no_size, 320)
    assert (unknown.width, unknown.height) == (320, 240)


def test_the_list_line_is_the_caption_or_what_was_sent() -> None:
    assert last_line(photo(), "Look!") == "Look!"
    assert last_line(photo(), "") == "Photo: IMG_1.jpg"
    assert last_line(doc(TransferState.DONE), " ") == "File: report.pdf"


def test_a_staged_file_says_its_name_and_size_and_hides_its_bytes() -> None:
    pasted = Staged("Pasted picture.png", 2048, data=b"\x89PNG secret pixels")
    assert pasted.line == "Pasted picture.png · 2 KB"
    assert "secret" not in repr(pasted)
    assert Staged("a", 1) != Staged("a", 1)  # two stagings of one file are two attachments


def test_dropped_items_become_paths_and_links_to_the_web_are_left_out() -> None:
    items = [
        "/home/alice/My holiday.jpg",
        "file:///tmp/with%20space.pdf",
        "file://localhost/tmp/b.txt",
        "file://elsewhere/tmp/c.txt",
        "https://example.org/page",
        "",
    ]
    assert drop_paths(items) == [
        Path("/home/alice/My holiday.jpg"),
        Path("/tmp/with space.pdf"),
        Path("/tmp/b.txt"),
    ]
