"""A profile backed up, used on, and restored on a second computer while the first copy still runs.

Real server over TLS on loopback, real profile folders. The restored copy heals:
its sessions are gone, its first login replaces the server's prekeys, messages on
old sessions come again after the reset notice, and the old copy is logged out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer
from engine_support import FAST_KDF, PASSPHRASE, Person, pair, run_until

from net.client.core.events import ErrorReported, UndecryptableMessage
from net.client.prekeys import TARGET
from storage.profile.directory import ProfileDirectory

BACKUP_PASSPHRASE = "a backup passphrase of its own"


@pytest.fixture
def people() -> Iterator[list[Person]]:
    made: list[Person] = []
    yield made
    for person in made:
        person.close()


def _chat(alice: Person, bob: Person, *texts: str) -> None:
    for n, text in enumerate(texts):
        sender, receiver = (alice, bob) if n % 2 == 0 else (bob, alice)
        sender.engine.send_text(receiver.phone, text)
        run_until(lambda t=text, s=sender, r=receiver: t in r.texts_from(s.phone), [alice, bob])


def test_a_profile_restored_while_still_in_use_heals_and_loses_nothing(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str], people: list[Person]
) -> None:
    alice, bob = pair(tmp_path, dev_server.address, phone, "alice", "bob")
    people.extend([alice, bob])
    store = dev_server.running.store
    alice.engine.add_contact(bob.phone, "Bob")
    bob.engine.add_contact(alice.phone, "Alice")
    _chat(alice, bob, "before 1", "before 2", "before 3")
    done = alice.engine.backup(tmp_path / "alice.parley-backup", BACKUP_PASSPHRASE)
    assert (done.conversations, done.messages) == (1, 3)

    # The first copy goes on: its ratchets move, and it publishes one-time prekeys the backup lacks.
    _chat(alice, bob, "after backup 1", "after backup 2", "after backup 3")
    while any(store.prekey_counts(alice.phone)):
        store.take_bundle(alice.phone)
    alice.engine.logout()
    alice.engine.connect()
    run_until(lambda: store.prekey_counts(alice.phone) == (TARGET, TARGET), [alice])

    # Computer 2: another profile folder, a new passphrase for it.
    second = Person(tmp_path, "alice-computer-2")
    people.append(second)
    restored = second.engine.restore_profile(
        done.path, BACKUP_PASSPHRASE, label="Alice", passphrase=PASSPHRASE + " 2"
    )
    second.engine.unlock(restored, PASSPHRASE + " 2")
    second.phone = alice.phone
    assert [m.text for m in second.engine.history(bob.phone)] == ["before 3", "before 2", "before 1"]
    second.engine.connect()  # the server's key is pinned in the backup: no question asked

    # The first copy is told it was logged out.
    run_until(lambda: any(e.code == "session_ended" for e in alice.of(ErrorReported)), [alice, second])
    (ended,) = [e for e in alice.of(ErrorReported) if e.code == "session_ended"]
    assert "opened on another device" in ended.message

    # The server's one-time prekeys are all the restored copy's own now.
    counts = store.prekey_counts(alice.phone)
    assert counts == (TARGET, TARGET)
    second.engine.lock()  # a profile is open in one place at a time: the engine lets go for the look inside
    with ProfileDirectory(second.root, kdf_params=FAST_KDF).open(restored, PASSPHRASE + " 2") as profile:
        for _ in range(counts[0]):
            bundle = store.take_bundle(alice.phone)
            key_id = bundle["one_time_prekey"]["id"]
            mine = profile.keys.one_time_prekey(key_id)
            assert mine is not None and mine.public().to_json() == bundle["one_time_prekey"]
        assert not profile.account.restored()
    second.engine.unlock(restored, PASSPHRASE + " 2")
    # Give the stock back, as the restored copy would on its next prekey check.
    second.engine.logout()
    second.engine.connect()

    # Bob writes on his old session: the restored copy cannot read it, heals, and Bob sends it again.
    bob.engine.send_text(alice.phone, "after restore, from Bob")
    run_until(lambda: "after restore, from Bob" in second.texts_from(bob.phone), [bob, second], timeout=30)
    assert second.of(UndecryptableMessage)
    second.engine.send_text(bob.phone, "from computer 2")
    run_until(lambda: "from computer 2" in bob.texts_from(alice.phone), [bob, second])
    assert bob.texts_from(alice.phone)[-1] == "from computer 2"
    history = [m.text for m in reversed(second.engine.history(bob.phone, limit=100))]
    assert history[:3] == ["before 1", "before 2", "before 3"]
    assert "after restore, from Bob" in history and history[-1] == "from computer 2"
    # What the first copy received after the backup is only there (the backup is of its time).
    assert "after backup 2" not in history
