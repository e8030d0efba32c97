"""A stored attachment as the app sees it (AttachmentView) and as a payload carries it (FileInfo)."""

from __future__ import annotations

from crypto_core.encoding import b64encode
from crypto_core.stream import CHUNK_SIZE, sealed_size
from net.client.core.events import TransferState
from net.client.file_views import attachment_view, file_info, preview
from storage.profile.attachments import Attachment
from storage.profile.history import Message

SPEC = {
    "blob": "B" * 43,
    "key": b64encode(b"k" * 32),
    "sha256": b64encode(b"d" * 32),
    "size": 3 * CHUNK_SIZE,
    "name": "cat.jpg",
    "type": "image/jpeg",
    "w": 640,
    "h": 480,
    "thumb": b64encode(b"\xff\xd8small"),
}


def test_the_view_counts_plaintext_bytes_and_carries_the_picture_fields() -> None:
    moving = attachment_view(Attachment(1, SPEC, "downloading", done=sealed_size(CHUNK_SIZE) + 1))
    assert moving is not None
    assert (moving.state, moving.transferred, moving.size) == (
        TransferState.DOWNLOADING,
        CHUNK_SIZE,
        3 * CHUNK_SIZE,
    )
    assert (moving.name, moving.mime, moving.width, moving.height) == ("cat.jpg", "image/jpeg", 640, 480)
    assert moving.thumbnail == b"\xff\xd8small" and "small" not in repr(moving)
    done = attachment_view(Attachment(1, SPEC, "done", done=0))
    assert done is not None and done.transferred == done.size
    assert attachment_view(None) is None
    odd = attachment_view(Attachment(1, SPEC, "no such state"))
    assert odd is not None and odd.state is TransferState.FAILED


def test_the_file_field_is_rebuilt_from_the_row_once_the_blob_is_known() -> None:
    info = file_info(Attachment(1, SPEC, "done"))
    assert info is not None
    assert (info.blob, info.key, info.size, info.width, info.thumbnail) == (
        "B" * 43,
        b"k" * 32,
        3 * CHUNK_SIZE,
        640,
        b"\xff\xd8small",
    )
    assert file_info(Attachment(1, {**SPEC, "blob": ""}, "preparing")) is None


def test_a_file_sent_without_a_caption_is_previewed_as_what_it_is_and_its_name() -> None:
    bare = Message(1, "+442079460958", "m-1", True, "", 1.0, "sent", attachment=Attachment(1, SPEC, "done"))
    assert preview(bare) == "Photo: cat.jpg"
    pdf = Attachment(1, {**SPEC, "name": "minutes.pdf", "type": "application/pdf"}, "done")
    spaced = Message(3, "+442079460958", "m-3", True, " ", 1.0, "sent", attachment=pdf)
    assert preview(spaced) == "File: minutes.pdf"
    assert preview(Message(2, "+442079460958", "m-2", True, "hi", 1.0, "sent")) == "hi"
