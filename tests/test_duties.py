"""What the engine does by itself: another device taking the account over, and healing's rate limit."""

from __future__ import annotations

import shutil

from engine_support import PASSPHRASE, Person, pair, run_until

from net.events import ConnectionState, ErrorReported, UndecryptableMessage


def test_a_login_elsewhere_takes_this_engine_offline_for_good(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    (alice,) = pair(tmp_path, server.address, phone, "alice")
    profile_id = alice.engine.list_profiles()[0][0]
    shutil.copytree(alice.root, tmp_path / "copy" / "alice")
    other = Person(tmp_path / "copy", "alice")
    try:
        other.engine.unlock(profile_id, PASSPHRASE)
        other.engine.connect()
        run_until(lambda: alice.engine.connection_state is ConnectionState.OFFLINE, [alice])
        (ended,) = [e for e in alice.of(ErrorReported) if e.code == "session_ended"]
        assert "another device" in ended.message
        alice.engine.poll(0.1)
        assert alice.engine.connection_state is ConnectionState.OFFLINE  # no tug of war over the account
        assert other.engine.connection_state is ConnectionState.CONNECTED
    finally:
        alice.close()
        other.close()


def test_healing_starts_at_most_one_new_session_per_contact_at_a_time(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone)
        alice.engine.send_text(bob.phone, "one")
        run_until(lambda: bob.texts_from(alice.phone) == ["one"], [alice, bob])
        duties = bob.engine._duties
        assert duties is not None
        before = server.running.store.prekey_counts(alice.phone)
        duties.heal({alice.phone: ["c-1"]})
        duties.heal({alice.phone: ["c-2"]})  # within the interval: no second bundle, no second reset
        assert server.running.store.prekey_counts(alice.phone)[0] == before[0] - 1
        run_until(lambda: len(server.running.store.fetch(alice.phone, 0, 10)[0]) == 0, [alice, bob])
        assert bob.of(UndecryptableMessage) == []
    finally:
        alice.close()
        bob.close()
