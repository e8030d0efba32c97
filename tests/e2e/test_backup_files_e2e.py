"""Pictures and files in a backup: real engines over a real TLS server, restored on a second computer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer
from engine_support import PASSPHRASE, Person, pair, run_until
from transfer_support import arrived, known_file, picture

from net.client.core.events import TransferState

BACKUP_PASSPHRASE = "a backup passphrase of its own"


@pytest.fixture
def people() -> Iterator[list[Person]]:
    made: list[Person] = []
    yield made
    for person in made:
        person.close()


def _done(person: Person, conversation: str, count: int) -> bool:
    found = arrived(person, conversation)
    return len(found) >= count and all(
        m.attachment and m.attachment.state is TransferState.DONE for m in found
    )


def test_a_picture_and_a_3_mib_file_restore_byte_for_byte_on_both_sides(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str], people: list[Person]
) -> None:
    alice, bob = pair(tmp_path, dev_server.address, phone, "alice", "bob")
    people.extend([alice, bob])
    photo = picture(tmp_path, "lake.png")
    document = known_file(tmp_path, "minutes.bin", 3 * 1024 * 1024)
    alice.engine.send_file(photo, contact=bob.phone, caption="look")
    alice.engine.send_file(document, contact=bob.phone)
    run_until(lambda: _done(bob, alice.phone, 2), [alice, bob], timeout=90)
    run_until(
        lambda: all(
            m.attachment and m.attachment.state is TransferState.DONE
            for m in alice.engine.history(bob.phone)
            if m.outgoing
        ),
        [alice, bob],
    )

    for person, other in ((bob, alice), (alice, bob)):
        seen: list[tuple[int, int]] = []
        done = person.engine.backup(
            tmp_path / f"{person.name}.parley-backup",
            BACKUP_PASSPHRASE,
            progress=lambda d, t, seen=seen: seen.append((d, t)),
        )
        assert done.path.stat().st_size > 3 * 1024 * 1024  # the files travel in the backup
        assert seen[-1][0] == seen[-1][1] > 3 * 1024 * 1024  # and their bytes count in its progress
        second = Person(tmp_path, f"{person.name}-computer-2")
        people.append(second)
        restored = second.engine.restore_profile(
            done.path, BACKUP_PASSPHRASE, label="Restored", passphrase=PASSPHRASE + " 2"
        )
        second.engine.unlock(restored, PASSPHRASE + " 2")
        files = {m.attachment.name: m for m in second.engine.history(other.phone) if m.attachment}
        assert set(files) == {"lake.png", "minutes.bin"}
        for name, original in (("lake.png", photo), ("minutes.bin", document)):
            message = files[name]
            assert message.attachment is not None and message.attachment.state is TransferState.DONE
            assert second.engine.file_bytes(message.message_id, 10_000_000) == original.read_bytes()
