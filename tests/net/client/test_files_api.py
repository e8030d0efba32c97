"""The file commands on an unlocked profile with no server: what they refuse, store and seal offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE
from transfer_support import known_file, picture

from net.client.core.engine_error import EngineError
from net.client.core.events import Event, MessageStatus, TransferProgress, TransferState
from net.client.messenger import Messenger

BOB = "+442079460958"


def _knows_bob(engine: Messenger) -> None:
    """Bob in the contacts (no key pinned yet), as an address book would put him: no server needed."""
    ctx = engine._ctx
    assert ctx is not None
    ctx.profile.contacts.add(BOB, "Bob")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[Messenger, list[Event]]]:
    events: list[Event] = []
    engine = Messenger(tmp_path / "profiles", events.append, kdf_params=FAST_KDF)
    engine.create_profile("Ada", PASSPHRASE)
    _knows_bob(engine)
    try:
        yield engine, events
    finally:
        engine.close()


def _code(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(EngineError) as caught:
        call()
    return caught.value.code


def test_what_cannot_be_sent_is_refused_in_words(engine, tmp_path: Path) -> None:
    messenger, _ = engine
    document = known_file(tmp_path, "a.txt", 10)
    assert _code(lambda: messenger.send_file(tmp_path / "missing.txt", contact=BOB)) == "file_unreadable"
    assert _code(lambda: messenger.send_file(tmp_path, contact=BOB)) == "file_unreadable"
    assert _code(lambda: messenger.send_file(document, contact="+442079460000")) == "unknown_contact"
    assert _code(lambda: messenger.send_file(document)) == "bad_request"
    assert _code(lambda: messenger.send_file(document, contact=BOB, group_id="g")) == "bad_request"
    assert _code(lambda: messenger.send_data(b"x" * (25 * 1024 * 1024 + 1), "big.png", contact=BOB)) == (
        "file_too_large"
    )
    assert _code(lambda: messenger.pause_transfer("m-nothing")) == "no_such_transfer"
    assert messenger.history(BOB) == []  # nothing refused was half stored


def test_a_file_is_sealed_offline_in_bounded_steps_and_reads_back(engine, tmp_path: Path) -> None:
    messenger, events = engine
    document = known_file(tmp_path, "../report.txt".replace("../", ""), 3 * 1024 * 1024)
    sent = messenger.send_file(document, contact=BOB, caption="the report")
    assert sent.attachment is not None and sent.attachment.state is TransferState.PREPARING
    assert (sent.text, sent.status, sent.attachment.name, sent.attachment.mime) == (
        "the report",
        MessageStatus.QUEUED,
        "report.txt",
        "text/plain",
    )
    assert _code(lambda: messenger.file_bytes(sent.message_id, 1 << 30)) == "not_downloaded"
    messenger.poll(0.0)  # one turn seals one bounded step, not the whole file
    (shown,) = messenger.history(BOB)
    assert shown.attachment is not None and shown.attachment.state is TransferState.PREPARING
    for _ in range(200):
        messenger.poll(0.01)
        (shown,) = messenger.history(BOB)
        assert shown.attachment is not None
        if shown.attachment.state is TransferState.UPLOADING:
            break
    assert shown.attachment.state is TransferState.UPLOADING  # sealed; the upload waits for a server
    assert messenger.file_bytes(sent.message_id, 1 << 30) == document.read_bytes()
    assert _code(lambda: messenger.file_bytes(sent.message_id, 1024)) == "file_too_large"
    progress = [e for e in events if isinstance(e, TransferProgress)]
    assert progress and all(e.contact == BOB and e.group_id == "" for e in progress)
    assert "report.txt" not in repr(progress[-1])  # the name stays out of logs


def test_a_pasted_picture_is_sealed_at_once_and_paused_resumed_and_cancelled(engine, tmp_path: Path) -> None:
    messenger, _ = engine
    data = picture(tmp_path).read_bytes()
    sent = messenger.send_data(data, "clipboard.png", contact=BOB)
    assert sent.attachment is not None and sent.attachment.state is TransferState.UPLOADING
    assert (sent.attachment.width, sent.attachment.height) == (600, 300)
    assert messenger.file_bytes(sent.message_id, len(data)) == data
    messenger.pause_transfer(sent.message_id)
    assert messenger.history(BOB)[0].attachment.state is TransferState.PAUSED
    messenger.resume_transfer(sent.message_id)
    assert messenger.history(BOB)[0].attachment.state is TransferState.UPLOADING
    messenger.cancel_transfer(sent.message_id)
    assert messenger.history(BOB)[0].attachment.state is TransferState.CANCELLED
    assert _code(lambda: messenger.cancel_transfer(sent.message_id)) == "not_moving"
    messenger.resume_transfer(sent.message_id)  # a cancelled upload goes again from its sealed copy
    assert messenger.history(BOB)[0].attachment.state is TransferState.UPLOADING


def test_a_file_left_preparing_when_the_app_closed_is_sealed_after_it_opens_again(tmp_path: Path) -> None:
    document = known_file(tmp_path, "draft.bin", 1024 * 1024)
    first = Messenger(tmp_path / "profiles", lambda _e: None, kdf_params=FAST_KDF)
    profile_id = first.create_profile("Ada", PASSPHRASE)
    _knows_bob(first)
    sent = first.send_file(document, contact=BOB)
    first.close()  # before any turn of the loop
    again = Messenger(tmp_path / "profiles", lambda _e: None, kdf_params=FAST_KDF)
    try:
        again.unlock(profile_id, PASSPHRASE)
        for _ in range(200):
            again.poll(0.01)
            shown = again.history(BOB)[0].attachment
            if shown is not None and shown.state is TransferState.UPLOADING:
                break
        assert again.file_bytes(sent.message_id, 1 << 30) == document.read_bytes()
    finally:
        again.close()
