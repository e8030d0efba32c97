"""Transfers through a dropped connection and restarts of either side and of the server; pause, cancel."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine_support import Person, pair, run_until
from server_process import ServerProcess
from transfer_support import arrived, attachment, known_file, reopen, state_of

from net.client.core.events import TransferProgress, TransferState

SIZE = 24 * 1024 * 1024


@pytest.fixture
def people() -> Iterator[list[Person]]:
    made: list[Person] = []
    yield made
    for person in made:
        person.close()


def _moved(person: Person, conversation: str, message_id: str) -> int:
    found = attachment(person, conversation, message_id)
    return 0 if found is None else found.transferred


def _halfway(person: Person, conversation: str, message_id: str) -> Callable[[], bool]:
    return lambda: 0 < _moved(person, conversation, message_id) < SIZE // 2


def _received(person: Person, conversation: str) -> str:
    (message,) = arrived(person, conversation)
    return message.message_id


def _same_bytes(person: Person, message_id: str, original: Path, tmp_path: Path) -> None:
    target = tmp_path / f"saved-{person.name}"
    person.engine.save_file(message_id, target)
    assert target.read_bytes() == original.read_bytes()


def _never_back(person: Person, message_id: str, state: TransferState) -> None:
    """The progress a transfer reported in ``state`` never went back: it went on, it did not start over."""
    moved = [
        e.attachment.transferred
        for e in person.of(TransferProgress)
        if e.message_id == message_id and e.attachment.state is state
    ]
    assert moved and moved == sorted(moved)


def test_a_dropped_connection_mid_upload_and_mid_download_goes_on_where_it_was(
    tmp_path, dev_server, phone, people
) -> None:
    alice, bob = found = pair(tmp_path, dev_server.address, phone, "alice", "bob")
    people.extend(found)
    original = known_file(tmp_path, "video.bin", SIZE)
    sent = alice.engine.send_file(original, contact=bob.phone)
    run_until(_halfway(alice, bob.phone, sent.message_id), [alice], step=0.005, timeout=60)
    alice.engine._link.dropped("cut for the test")
    run_until(lambda: bool(arrived(bob, alice.phone)), people, timeout=60)
    got = _received(bob, alice.phone)
    run_until(_halfway(bob, alice.phone, got), [alice, bob], step=0.005, timeout=60)
    bob.engine._link.dropped("cut for the test")
    run_until(lambda: state_of(bob, alice.phone, got) is TransferState.DONE, people, timeout=120)
    _never_back(alice, sent.message_id, TransferState.UPLOADING)
    _never_back(bob, got, TransferState.DOWNLOADING)
    _same_bytes(bob, got, original, tmp_path)


def test_closing_the_sender_and_the_receiver_mid_transfer_resumes_after_they_open_again(
    tmp_path, dev_server, phone, people
) -> None:
    alice, bob = pair(tmp_path, dev_server.address, phone, "alice", "bob")
    original = known_file(tmp_path, "archive.bin", SIZE)
    sent = alice.engine.send_file(original, contact=bob.phone)
    run_until(_halfway(alice, bob.phone, sent.message_id), [alice], step=0.005, timeout=60)
    alice = reopen(tmp_path, alice)
    assert state_of(alice, bob.phone, sent.message_id) is TransferState.UPLOADING
    run_until(lambda: bool(arrived(bob, alice.phone)), [alice, bob], timeout=60)
    got = _received(bob, alice.phone)
    run_until(_halfway(bob, alice.phone, got), [alice, bob], step=0.005, timeout=60)
    bob = reopen(tmp_path, bob)
    people.extend([alice, bob])
    assert state_of(bob, alice.phone, got) is TransferState.DOWNLOADING
    run_until(lambda: state_of(bob, alice.phone, got) is TransferState.DONE, [alice, bob], timeout=120)
    _never_back(alice, sent.message_id, TransferState.UPLOADING)
    _same_bytes(bob, got, original, tmp_path)


def test_pause_holds_a_transfer_resume_goes_on_and_a_cancelled_download_comes_again(
    tmp_path, dev_server, phone, people
) -> None:
    alice, bob = found = pair(tmp_path, dev_server.address, phone, "alice", "bob")
    people.extend(found)
    original = known_file(tmp_path, "slides.bin", SIZE)
    sent = alice.engine.send_file(original, contact=bob.phone)
    run_until(_halfway(alice, bob.phone, sent.message_id), [alice], step=0.005, timeout=60)
    alice.engine.pause_transfer(sent.message_id)
    held = _moved(alice, bob.phone, sent.message_id)
    for _ in range(20):
        alice.engine.poll(0.02)
    assert state_of(alice, bob.phone, sent.message_id) is TransferState.PAUSED
    assert _moved(alice, bob.phone, sent.message_id) == held
    alice.engine.resume_transfer(sent.message_id)
    run_until(lambda: bool(arrived(bob, alice.phone)), people, timeout=60)
    got = _received(bob, alice.phone)
    run_until(_halfway(bob, alice.phone, got), people, step=0.005, timeout=60)
    bob.engine.cancel_transfer(got)
    assert state_of(bob, alice.phone, got) is TransferState.CANCELLED
    files = next(bob.root.glob("*/files"))
    assert not any(files.glob("*.part")) and not any(files.glob("*.sealed"))
    bob.engine.resume_transfer(got)  # a cancelled download is downloaded again
    run_until(lambda: state_of(bob, alice.phone, got) is TransferState.DONE, people, timeout=120)
    _same_bytes(bob, got, original, tmp_path)


def test_the_server_killed_mid_upload_and_restarted_the_upload_goes_on(tmp_path, phone) -> None:
    flags = ("--dev-codes", "--logins-per-minute", "1000")
    server = ServerProcess(tmp_path / "server", *flags)
    people: list[Person] = []
    try:
        alice, bob = people[:] = pair(tmp_path, server.address, phone, "alice", "bob")
        original = known_file(tmp_path, "photos.bin", SIZE)
        sent = alice.engine.send_file(original, contact=bob.phone)
        run_until(_halfway(alice, bob.phone, sent.message_id), [alice], step=0.005, timeout=60)
        server.kill()
        server = ServerProcess(tmp_path / "server", *flags, "--port", str(server.address[1]))
        run_until(lambda: bool(arrived(bob, alice.phone)), people, timeout=120)
        got = _received(bob, alice.phone)
        run_until(lambda: state_of(bob, alice.phone, got) is TransferState.DONE, people, timeout=120)
        _same_bytes(bob, got, original, tmp_path)
    finally:
        for person in people:
            person.close()
        server.kill()
