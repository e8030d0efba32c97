"""Profile pictures between real engines over a real server: ours goes with our name, theirs is checked.

Each test registers people on an in-process TLS server. A payload no Parley of
ours would send (an older version, a picture too large, not a JPEG, a bomb) is
queued through the sender's own outbox, so it crosses the real server and the
real ratchet like any other.
"""

from __future__ import annotations

import io
import logging
import struct
from pathlib import Path

import pytest
from engine_support import Person, pair, run_until
from PIL import Image

from net.client.core.engine_error import EngineError
from net.client.core.envelope import PICTURE_NOT_JPEG, PICTURE_TOO_LARGE, ProfilePayload
from net.client.core.events import ContactUpdated
from net.client.outbox import enqueue_control
from net.client.pictures import PICTURE_NOT_SHOWN

GPS_IFD = 0x8825


def _photo(path: Path, colour: tuple[int, int, int] = (200, 30, 30)) -> Path:
    """A phone's photo: 800 × 600 with camera, time and GPS position in its EXIF."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 2.5)}
    Image.new("RGB", (800, 600), colour).save(path, "JPEG", exif=exif.tobytes())
    return path


def _jpeg(side: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), colour).save(out, "JPEG")
    return out.getvalue()


def _forge(sender: Person, to: Person, payload: ProfilePayload) -> None:
    """Queue a profile payload in the sender's outbox as if its Parley had made it."""
    ctx, duties = sender.engine._unlocked()
    with ctx.profile.transaction():
        enqueue_control(ctx, to.phone, payload)
    duties.outbox.dirty = True


def _then_a_text(sender: Person, to: Person, people: list[Person], text: str) -> None:
    """A text after what was queued: once it arrives, so has everything queued before it (in order)."""
    sender.engine.send_text(to.phone, text)
    run_until(lambda: text in to.texts_from(sender.phone), people)


def _introduced(tmp_path: Path, server_factory, phone) -> tuple[Person, Person, list[Person]]:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    people = [alice, bob]
    alice.engine.send_text(bob.phone, "hello")
    run_until(lambda: bob.engine.contact(alice.phone).profile_name == "alice", people)
    return alice, bob, people


def test_our_picture_reaches_a_contact_without_its_metadata_and_its_removal_too(
    tmp_path, server_factory, phone
) -> None:
    alice, bob, people = _introduced(tmp_path, server_factory, phone)
    try:
        assert alice.engine.profile_picture() == b"" and bob.engine.contact(alice.phone).picture == b""
        alice.engine.set_profile_picture(_photo(tmp_path / "me.jpg"))
        ours = alice.engine.profile_picture()
        shown = Image.open(io.BytesIO(ours))
        assert (shown.format, shown.size) == ("JPEG", (256, 256)) and len(ours) <= 48 * 1024
        assert b"PhoneMaker" not in ours and not shown.getexif()
        run_until(lambda: bob.engine.contact(alice.phone).picture == ours, people)
        # The window hears of it, and the conversation list carries it.
        assert [e.contact.picture for e in bob.of(ContactUpdated)][-1] == ours
        (row,) = bob.engine.conversations()
        assert row.picture == ours
        assert bob.engine.contact(alice.phone).profile_name == "alice"  # the name came along, unchanged

        alice.engine.set_profile_picture(None)
        assert alice.engine.profile_picture() == b""
        run_until(lambda: bob.engine.contact(alice.phone).picture == b"", people)
        assert bob.engine.contact(alice.phone).profile_name == "alice"
    finally:
        for person in people:
            person.close()


def test_our_picture_survives_a_restart_and_a_new_name_carries_it_again(
    tmp_path, server_factory, phone
) -> None:
    alice, bob, people = _introduced(tmp_path, server_factory, phone)
    try:
        alice.engine.set_profile_picture(_photo(tmp_path / "me.jpg"))
        ours = alice.engine.profile_picture()
        run_until(lambda: bob.engine.contact(alice.phone).picture == ours, people)
        alice.engine.set_display_name("Alice L.")
        run_until(lambda: bob.engine.contact(alice.phone).profile_name == "Alice L.", people)
        assert bob.engine.contact(alice.phone).picture == ours  # one version: the new name kept the picture
    finally:
        for person in people:
            person.close()


def test_an_older_profile_payload_never_wins(tmp_path, server_factory, phone) -> None:
    alice, bob, people = _introduced(tmp_path, server_factory, phone)
    try:
        alice.engine.set_profile_picture(_photo(tmp_path / "me.jpg"))
        ours = alice.engine.profile_picture()
        run_until(lambda: bob.engine.contact(alice.phone).picture == ours, people)
        current = alice.engine._unlocked()[0].profile.account.display_name_version()
        for version in (1, current - 1, current):  # the first name's, the one before, the same one again
            _forge(alice, bob, ProfilePayload("an old name", version, _jpeg(64, (0, 0, 255))))
        _then_a_text(alice, bob, people, "after the old profiles")
        again = bob.engine.contact(alice.phone)
        assert (again.profile_name, again.picture) == ("alice", ours)
    finally:
        for person in people:
            person.close()


def _bomb_jpeg() -> bytes:
    """A real small JPEG whose header says 30,000 × 30,000: under 48 KiB, 900 million pixels."""
    data = bytearray(_jpeg(16, (10, 200, 10)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 30_000, 30_000)
    return bytes(data)


@pytest.mark.parametrize(
    ("picture", "words"),
    [
        (b"\xff\xd8\xff" + bytes(48 * 1024) + b"\xff\xd9", PICTURE_TOO_LARGE),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), PICTURE_NOT_JPEG),
        (_bomb_jpeg(), PICTURE_NOT_SHOWN),
    ],
    ids=["over the limit", "not a jpeg", "a bomb in a jpeg"],
)
def test_a_bad_picture_is_refused_in_words_and_the_name_still_taken(
    tmp_path, server_factory, phone, caplog: pytest.LogCaptureFixture, picture: bytes, words: str
) -> None:
    alice, bob, people = _introduced(tmp_path, server_factory, phone)
    try:
        alice.engine.set_profile_picture(_photo(tmp_path / "me.jpg"))
        run_until(lambda: bool(bob.engine.contact(alice.phone).picture), people)
        version = alice.engine._unlocked()[0].profile.account.display_name_version()
        with caplog.at_level(logging.WARNING, logger="net.client.inbox"):
            _forge(alice, bob, ProfilePayload("Alice Renamed", version + 5, picture))
            run_until(lambda: bob.engine.contact(alice.phone).profile_name == "Alice Renamed", people)
        # The name is taken; the picture is not (and the earlier one does not stay beside the newer name).
        assert bob.engine.contact(alice.phone).picture == b""
        refusals = [r.getMessage() for r in caplog.records if "profile picture" in r.getMessage()]
        assert refusals == [f"a contact's profile picture was refused: {words}"]
    finally:
        for person in people:
            person.close()


def test_a_file_that_is_no_picture_is_refused_with_words_and_changes_nothing(
    tmp_path, server_factory, phone
) -> None:
    alice, _bob, people = _introduced(tmp_path, server_factory, phone)
    try:
        alice.engine.set_profile_picture(_photo(tmp_path / "me.jpg"))
        ours = alice.engine.profile_picture()
        version = alice.engine._unlocked()[0].profile.account.display_name_version()
        notes = tmp_path / "notes.txt"
        notes.write_text("no picture here")
        for path in (notes, tmp_path / "missing.png"):
            with pytest.raises(EngineError) as refused:
                alice.engine.set_profile_picture(path)
            assert refused.value.code == "bad_picture"
            assert "picture" in str(refused.value) and str(tmp_path) not in str(refused.value)
        assert alice.engine.profile_picture() == ours
        assert alice.engine._unlocked()[0].profile.account.display_name_version() == version
        # The same picture again is no change: no new version, nothing queued.
        alice.engine.set_profile_picture(tmp_path / "me.jpg")
        assert alice.engine._unlocked()[0].profile.account.display_name_version() == version
    finally:
        for person in people:
            person.close()
