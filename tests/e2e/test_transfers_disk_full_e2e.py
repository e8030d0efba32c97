"""A download that meets a full disk waits, says so in words, and goes on once space returns."""

from __future__ import annotations

import os

from disk_support import SmallDisk, profile_connection
from engine_support import Person, run_until
from transfer_support import arrived, attachment, known_file, state_of

from net.client.core.events import DiskSpaceChanged, TransferProgress, TransferState

SIZE = 4 * 1024 * 1024
#: What is left free on the small disk after it was filled: room for the message, not for its file.
LEFT_FREE = 1024 * 1024


def test_a_download_on_a_full_disk_waits_in_words_and_finishes_once_space_returns(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    with SmallDisk(tmp_path / "disk") as disk:
        assert disk.mounted, "this test needs a small tmpfs (run as root)"
        alice, bob = Person(tmp_path, "alice"), Person(disk.root, "bob")
        try:
            alice.register(server.address, phone())
            bob.register(server.address, phone())
            alice.knows(bob.phone)
            bob.knows(alice.phone)
            bob.engine.logout()
            original = known_file(tmp_path, "scan.bin", SIZE)
            sent = alice.engine.send_file(original, contact=bob.phone)
            run_until(lambda: state_of(alice, bob.phone, sent.message_id) is TransferState.DONE, [alice])
            disk.fill(profile_connection(bob))
            filler = disk.root / "filler"
            os.truncate(filler, filler.stat().st_size - LEFT_FREE)
            bob.engine.connect()

            def waits_for_space() -> bool:
                return any("disk is full" in e.attachment.error for e in bob.of(TransferProgress))

            run_until(waits_for_space, [alice, bob], timeout=60)
            (message,) = arrived(bob, alice.phone)
            assert any(e.full for e in bob.of(DiskSpaceChanged))  # the full disk was reported
            assert state_of(bob, alice.phone, message.message_id) is TransferState.DOWNLOADING
            for _ in range(10):  # it stays waiting while the disk is full
                bob.engine.poll(0.05)
            assert state_of(bob, alice.phone, message.message_id) is TransferState.DOWNLOADING

            disk.free(profile_connection(bob))
            run_until(
                lambda: state_of(bob, alice.phone, message.message_id) is TransferState.DONE,
                [alice, bob],
                timeout=60,
            )
            done = attachment(bob, alice.phone, message.message_id)
            assert done is not None and done.error == ""
            assert bob.engine.file_bytes(message.message_id, SIZE) == original.read_bytes()
        finally:
            alice.close()
            bob.close()
