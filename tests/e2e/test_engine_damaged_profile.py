"""End to end: a profile file damaged on disk, listed beside healthy ones, and damage found after unlock.

Real SQLite files damaged as a failing disk or a cut-off copy would
(tests/damage_support.py), a real server over TLS on loopback. A damaged file
is listed as damaged and never hides another; after unlock, damage anywhere is
``profile_damaged`` (an EngineError for the call, an event once per part) and
the rest of the engine keeps working; nothing is deleted or rewritten.
"""

from __future__ import annotations

from pathlib import Path

import damage_support as damage
import profile_raw as raw
import pytest
from engine_support import PASSPHRASE, Person, pair, run_until

from net.client.core.engine_error import EngineError
from net.client.core.events import ConnectionState, ErrorReported, MessageReceived


def _file(person: Person) -> Path:
    (path,) = person.root.glob("*/profile.db")
    return path


def _key(path: Path) -> bytes:
    return raw.database_key(path.parent, PASSPHRASE)


def _damage_events(person: Person) -> list[ErrorReported]:
    return [e for e in person.of(ErrorReported) if e.code == "profile_damaged"]


def test_a_cut_off_profile_is_listed_as_damaged_beside_a_healthy_one_and_is_left_as_it_is(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    (ada,) = pair(tmp_path, server.address, phone, "ada")
    try:
        healthy_id = ada.engine.list_profiles()[0].profile_id
        damaged_id = ada.engine.create_profile("Broken", PASSPHRASE)
        for n in range(60):
            ada.engine._require().profile.history.add(
                "+442079460999", client_id=f"m-{n}", outgoing=True, text="words " * 80, timestamp=n
            )
        ada.engine.lock()
        broken = ada.root / damaged_id / "profile.db"
        damage.cut_last_page(broken)
        before = damage.digest(broken)

        listed = {entry.profile_id: entry for entry in ada.engine.list_profiles()}
        assert listed[healthy_id] == (healthy_id, "ada") and listed[healthy_id].problem == ""
        # Its header is intact, and the database cannot be checked before the passphrase.
        assert listed[damaged_id].name == "Broken"
        with pytest.raises(EngineError) as caught:
            ada.engine.unlock(damaged_id, PASSPHRASE)
        assert caught.value.code == "profile_damaged" and "damaged" in caught.value.message
        assert damage.digest(broken) == before

        ada.engine.unlock(healthy_id, PASSPHRASE)  # the healthy one opens and works as usual
        ada.engine.connect()
        assert ada.connection_state is ConnectionState.CONNECTED
    finally:
        ada.close()


def test_damage_found_after_unlock_is_profile_damaged_once_and_the_rest_keeps_working(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        first = alice.engine.send_text(bob.phone, "before the damage")
        run_until(lambda: "delivered" in alice.statuses(first.message_id), [alice, bob])
        profile_id = alice.engine.list_profiles()[0][0]
        alice.engine.lock()
        damage.overwrite_table(_file(alice), "messages", _key(_file(alice)))  # the history's first page

        alice.engine.unlock(profile_id, PASSPHRASE)  # header, keys and account are intact
        alice.engine.connect()
        for _ in range(2):
            with pytest.raises(EngineError) as caught:
                alice.engine.history(bob.phone)
            assert caught.value.code == "profile_damaged"
            assert "damaged" in caught.value.message and "malformed" not in caught.value.message
        with pytest.raises(EngineError) as caught:
            alice.engine.search(bob.phone, "before")
        assert caught.value.code == "profile_damaged"
        with pytest.raises(EngineError) as caught:
            alice.engine.send_text(bob.phone, "cannot be stored")
        assert caught.value.code == "profile_damaged"
        assert [(e.context, "damaged" in e.message) for e in _damage_events(alice)] == [
            ("history", True),
            ("sending", True),
        ]  # once per part, however often it is met

        assert [c.name for c in alice.engine.contacts()] == ["Bob"]  # the rest works
        assert alice.connection_state is ConnectionState.CONNECTED
        bob.engine.send_text(alice.phone, "while it is damaged")
        run_until(lambda: len(_damage_events(alice)) == 3, [alice, bob])
        for _ in range(20):
            alice.engine.poll(0.05)
        assert [e.context for e in _damage_events(alice)] == ["history", "sending", "poll"]
        assert not alice.of(MessageReceived)
        assert server.running.store.queued_count(alice.phone) == 1  # kept on the server, not lost
        assert alice.connection_state is ConnectionState.CONNECTED
    finally:
        alice.close()
        bob.close()


def test_a_damaged_receiving_path_does_not_stop_sending_and_loses_nothing(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        first = alice.engine.send_text(bob.phone, "before the damage")
        run_until(lambda: "delivered" in alice.statuses(first.message_id), [alice, bob])
        profile_id = alice.engine.list_profiles()[0][0]
        alice.engine.lock()  # then damage where received server ids are recorded
        damage.overwrite_table(
            _file(alice), "processed", _key(_file(alice))
        )  # where received server ids are recorded

        alice.engine.unlock(profile_id, PASSPHRASE)
        alice.engine.connect()
        bob.engine.send_text(alice.phone, "cannot be stored yet")
        run_until(lambda: [e.context for e in _damage_events(alice)] == ["poll"], [alice, bob])
        after = alice.engine.send_text(bob.phone, "sending still works")
        run_until(lambda: bob.texts_from(alice.phone) == ["before the damage", after.text], [alice, bob])
        assert not alice.of(MessageReceived)
        assert server.running.store.queued_count(alice.phone) >= 1  # Bob's text (and receipts): kept there
        assert [e.context for e in _damage_events(alice)] == ["poll"]  # once, however often it was met
        assert [m.text for m in alice.engine.history(bob.phone)] == [after.text, "before the damage"]
    finally:
        alice.close()
        bob.close()
