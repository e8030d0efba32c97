"""Pictures and files between real engines through a real TLS server: 1:1, groups, byte for byte."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer
from engine_support import Person, pair, run_until
from transfer_support import MARKER, arrived, known_file, picture, raw_bytes, state_of, states

from net.client.core.engine_error import EngineError
from net.client.core.events import MessageStatus, TransferState


@pytest.fixture
def people() -> Iterator[list[Person]]:
    made: list[Person] = []
    yield made
    for person in made:
        person.close()


def _pair(tmp_path: Path, server: InProcessServer, phone: Callable[[], str], made: list[Person], *names: str):
    found = pair(tmp_path, server.address, phone, *names)
    made.extend(found)
    return found


def _done(person: Person, conversation: str, count: int) -> bool:
    found = arrived(person, conversation)
    return len(found) >= count and all(
        m.attachment and m.attachment.state is TransferState.DONE for m in found
    )


def test_a_picture_and_a_file_cross_one_to_one_byte_for_byte(tmp_path, dev_server, phone, people) -> None:
    alice, bob = _pair(tmp_path, dev_server, phone, people, "alice", "bob")
    photo = picture(tmp_path)
    document = known_file(tmp_path, "notes.bin", 300_000)
    sent_photo = alice.engine.send_file(photo, contact=bob.phone, caption="look")
    assert sent_photo.attachment is not None and sent_photo.attachment.state is TransferState.PREPARING
    assert sent_photo.status is MessageStatus.QUEUED
    sent_doc = alice.engine.send_file(document, contact=bob.phone)
    run_until(lambda: _done(bob, alice.phone, 2), [alice, bob], timeout=60)

    by_name = {m.attachment.name: m for m in arrived(bob, alice.phone) if m.attachment}
    shown_photo, shown_doc = by_name["photo.png"], by_name["notes.bin"]
    assert shown_photo.attachment is not None and shown_doc.attachment is not None
    assert (shown_photo.text, shown_photo.attachment.name, shown_photo.attachment.mime) == (
        "look",
        "photo.png",
        "image/png",
    )
    assert (shown_photo.attachment.width, shown_photo.attachment.height) == (600, 300)
    assert shown_photo.attachment.thumbnail.startswith(b"\xff\xd8")  # a JPEG made by the sender
    assert (shown_doc.attachment.name, shown_doc.attachment.size) == ("notes.bin", 300_000)
    assert bob.engine.file_bytes(shown_photo.message_id, 10_000_000) == photo.read_bytes()
    target = tmp_path / "saved.bin"
    bob.engine.save_file(shown_doc.message_id, target)
    assert target.read_bytes() == document.read_bytes()
    opened = bob.engine.open_file(shown_doc.message_id)
    assert opened.name == "notes.bin" and opened.read_bytes() == document.read_bytes()

    assert states(alice, sent_doc.message_id) == [TransferState.UPLOADING, TransferState.DONE]
    assert states(bob, shown_doc.message_id)[-2:] == [TransferState.DOWNLOADING, TransferState.DONE]
    run_until(lambda: "delivered" in alice.statuses(sent_doc.message_id), [alice, bob])
    bob.engine.lock()
    assert not opened.exists()  # the viewer's copy goes when the profile locks
    # The profile folders keep the files sealed: no plaintext marker in any raw file.
    for person in (alice, bob):
        assert MARKER not in raw_bytes(person.root)


def test_a_file_goes_to_a_group_of_three_once_and_every_member_gets_it(
    tmp_path, dev_server, phone, people
) -> None:
    alice, bob, carol = _pair(tmp_path, dev_server, phone, people, "alice", "bob", "carol")
    gid = alice.engine.create_group("Trip", [bob.phone, carol.phone]).group_id
    run_until(lambda: all(p.engine.groups() for p in (bob, carol)), people)
    document = known_file(tmp_path, "route.gpx", 200_000)
    photo = picture(tmp_path, "summit.png")
    alice.engine.send_file(document, group_id=gid, caption="the route")
    alice.engine.send_file(photo, group_id=gid)
    run_until(lambda: _done(bob, gid, 2) and _done(carol, gid, 2), people, timeout=60)
    for member in (bob, carol):
        by_name = {m.attachment.name: m for m in arrived(member, gid) if m.attachment}
        got_doc, got_photo = by_name["route.gpx"], by_name["summit.png"]
        assert got_doc.sender == alice.phone and got_doc.text == "the route"
        assert member.engine.file_bytes(got_doc.message_id, 1 << 20) == document.read_bytes()
        assert member.engine.file_bytes(got_photo.message_id, 1 << 20) == photo.read_bytes()
    # One blob per file on the server, whatever the number of members.
    blobs = [p for p in (dev_server.data_dir).rglob("*.blob")]
    assert len(blobs) == 2


def test_a_tampered_blob_fails_in_words_and_never_lands(tmp_path, dev_server, phone, people) -> None:
    alice, bob = _pair(tmp_path, dev_server, phone, people, "alice", "bob")
    document = known_file(tmp_path, "report.pdf", 200_000)
    sent = alice.engine.send_file(document, contact=bob.phone)
    # Bob downloads by himself: he stays offline until the blob on the server is altered.
    bob.engine.logout()
    run_until(lambda: state_of(alice, bob.phone, sent.message_id) is TransferState.DONE, [alice], timeout=60)
    (blob,) = list(dev_server.data_dir.rglob("*.blob"))
    data = bytearray(blob.read_bytes())
    data[100_000] ^= 0x01
    blob.write_bytes(bytes(data))
    bob.engine.connect()
    run_until(lambda: bool(arrived(bob, alice.phone)), [alice, bob])
    (shown,) = arrived(bob, alice.phone)
    run_until(lambda: state_of(bob, alice.phone, shown.message_id) is TransferState.FAILED, [alice, bob])
    failed = arrived(bob, alice.phone)[0].attachment
    assert failed is not None and "damaged" in failed.error
    with pytest.raises(EngineError) as caught:
        bob.engine.file_bytes(shown.message_id, 1 << 20)
    assert caught.value.code == "not_downloaded"
    folder = next(bob.root.glob("*/files"))
    assert not any(folder.glob("*.sealed")) and not any(folder.glob("*.part"))


def test_a_100_mib_file_crosses_and_a_text_sent_meanwhile_arrives_before_the_upload_ends(
    tmp_path, dev_server, phone, people
) -> None:
    alice, bob = _pair(tmp_path, dev_server, phone, people, "alice", "bob")
    size = 100 * 1024 * 1024  # the largest file the server takes by default
    big = known_file(tmp_path, "big.bin", size)
    sent = alice.engine.send_file(big, contact=bob.phone)
    run_until(
        lambda: state_of(alice, bob.phone, sent.message_id) is TransferState.UPLOADING, [alice], timeout=120
    )
    alice.engine.send_text(bob.phone, "still there?")
    run_until(lambda: bob.texts_from(alice.phone) == ["still there?"], [alice, bob], timeout=60)
    shown = state_of(alice, bob.phone, sent.message_id)
    assert shown is TransferState.UPLOADING  # the text went out while the upload was on its way
    run_until(lambda: _done(bob, alice.phone, 1), [alice, bob], timeout=300)
    (got,) = arrived(bob, alice.phone)
    target = tmp_path / "big.saved"
    bob.engine.save_file(got.message_id, target)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(big.read_bytes()).digest()


def test_a_strangers_file_waits_until_the_request_is_accepted(tmp_path, dev_server, phone, people) -> None:
    alice, bob = found = pair(tmp_path, dev_server.address, phone, "alice", "bob", known=False)
    people.extend(found)
    alice.knows(bob.phone)
    document = known_file(tmp_path, "invoice.pdf", 100_000)
    sent = alice.engine.send_file(document, contact=bob.phone)
    run_until(lambda: state_of(alice, bob.phone, sent.message_id) is TransferState.DONE, people)
    run_until(lambda: any(r.phone == alice.phone for r in bob.engine.requests()), people)
    for _ in range(20):
        bob.engine.poll(0.02)
    assert state_of(bob, alice.phone, sent.message_id) is TransferState.WAITING  # nothing fetched yet
    bob.engine.accept_request(alice.phone)
    run_until(lambda: state_of(bob, alice.phone, sent.message_id) is TransferState.DONE, people, timeout=30)
    assert bob.engine.file_bytes(sent.message_id, 1 << 20) == document.read_bytes()
