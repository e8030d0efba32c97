"""The Messenger's own duties: profiles and passphrases, first contact, prekey upkeep, nothing in clear."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE, Person, pair, run_until

from net.client.core.engine_error import EngineError
from net.client.core.events import (
    ConnectionState,
    ErrorReported,
    ServerKeyUnknown,
    UndecryptableMessage,
)
from net.client.messenger import Messenger
from net.client.prekeys import LOW, ROTATE_AFTER, TARGET
from storage.profile.directory import ProfileDirectory


class Clock:
    def __init__(self, start: float = 1_764_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_commands_need_an_unlocked_profile(tmp_path: Path) -> None:
    engine = Messenger(tmp_path, lambda _e: None, kdf_params=FAST_KDF)
    with pytest.raises(EngineError) as caught:
        engine.send_text("+442079460958", "hello")
    assert caught.value.code == "locked"
    assert engine.profile_name is None and engine.phone is None
    engine.close()


def test_profiles_are_listed_and_a_wrong_passphrase_changes_nothing(tmp_path: Path) -> None:
    engine = Messenger(tmp_path, lambda _e: None, kdf_params=FAST_KDF)
    profile_id = engine.create_profile("Ada", PASSPHRASE)
    engine.set_server("127.0.0.1", 5000)
    engine.lock()
    assert engine.list_profiles() == [(profile_id, "Ada")]
    with pytest.raises(EngineError) as caught:
        engine.unlock(profile_id, "not the passphrase at all")
    assert caught.value.code == "wrong_passphrase"
    assert "not the passphrase" not in str(caught.value)
    engine.unlock(profile_id, PASSPHRASE)
    assert engine.profile_name == "Ada"
    engine.close()


def test_a_profile_is_listed_by_its_label_and_its_display_name_stays_inside(tmp_path: Path) -> None:
    engine = Messenger(tmp_path, lambda _e: None, kdf_params=FAST_KDF)
    profile_id = engine.create_profile("Personal", PASSPHRASE, display_name="Ada Lovelace")
    assert engine.profile_name == "Ada Lovelace"
    engine.lock()
    assert engine.list_profiles() == [(profile_id, "Personal")]
    folder = tmp_path / profile_id
    # The header in clear, the database encrypted: neither shows the name.
    for path in (p for p in folder.iterdir() if p.is_file()):
        assert b"Ada" not in path.read_bytes() and "Ada".encode("utf-16-le") not in path.read_bytes()
    engine.unlock(profile_id, PASSPHRASE)
    assert engine.profile_name == "Ada Lovelace"
    engine.close()


def test_a_weak_passphrase_is_refused_with_words_for_a_person(tmp_path: Path) -> None:
    engine = Messenger(tmp_path, lambda _e: None, kdf_params=FAST_KDF)
    with pytest.raises(EngineError) as caught:
        engine.create_profile("Ada", "short")
    assert caught.value.code == "weak_passphrase"
    assert engine.list_profiles() == []
    engine.close()


def test_changing_the_passphrase_keeps_everything(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        alice.engine.send_text(bob.phone, "kept across the change")
        profile_id = alice.engine.list_profiles()[0][0]
        with pytest.raises(EngineError) as caught:
            alice.engine.change_passphrase("wrong old passphrase", "a new long passphrase")
        assert caught.value.code == "wrong_passphrase"
        alice.engine.change_passphrase(PASSPHRASE, "a new long passphrase")
        alice.engine.lock()
        with pytest.raises(EngineError):
            alice.engine.unlock(profile_id, PASSPHRASE)
        alice.engine.unlock(profile_id, "a new long passphrase")
        assert [m.text for m in alice.engine.history(bob.phone)] == ["kept across the change"]
        assert [c.name for c in alice.engine.contacts()] == ["Bob"]
        assert alice.engine.phone == alice.phone
    finally:
        alice.close()
        bob.close()


def test_first_contact_waits_for_the_person_to_accept_the_servers_key(tmp_path, server_factory) -> None:
    server = server_factory()
    person = Person(tmp_path, "ada")
    try:
        person.create(server.address)
        with pytest.raises(EngineError) as caught:
            person.engine.connect()
        assert caught.value.code == "server_key_unknown"
        (offered,) = person.of(ServerKeyUnknown)
        assert offered.fingerprint.replace(" ", "").lower() == server.fingerprint.hex()
        with pytest.raises(EngineError) as wrong:
            person.engine.accept_server_key("00" * 32)
        assert wrong.value.code == "bad_fingerprint"
        person.engine.accept_server_key(offered.fingerprint.lower())
        person.engine.connect()
        assert person.connection_state is ConnectionState.CONNECTED
        assert person.engine.phone is None  # connected, not registered
    finally:
        person.close()


def test_raw_profile_files_hold_no_text_and_no_key(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    secret_text = "the treasure is under the third oak"
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        alice.engine.send_text(bob.phone, secret_text)
        run_until(lambda: bob.texts_from(alice.phone) == [secret_text], [alice, bob])
        bob.engine.send_text(alice.phone, secret_text.upper())
        run_until(lambda: alice.texts_from(bob.phone) == [secret_text.upper()], [alice, bob])
        profile_id = alice.engine.list_profiles()[0][0]
        # While the engine runs, recent writes sit in the write-ahead log: it is searched too.
        open_files = {path.name: path.read_bytes() for path in alice.root.rglob("*") if path.is_file()}
        assert any(name.endswith("-wal") and data for name, data in open_files.items())
    finally:
        alice.close()
        bob.close()
    with ProfileDirectory(alice.root, kdf_params=FAST_KDF).open(profile_id, PASSPHRASE) as profile:
        identity = profile.keys.identity()
        assert identity is not None
        private = identity.to_json()
        signed = profile.keys.current_signed_prekey()
        assert signed is not None
        secrets_ = [
            secret_text.encode(),
            secret_text.upper().encode(),
            bob.phone.encode(),
            signed.private.private_bytes_raw(),
            base64.b64decode(private["sign"]),
            base64.b64decode(private["dh"]),
        ]
    closed = b"".join(path.read_bytes() for path in alice.root.rglob("*") if path.is_file())
    assert closed
    forms = [f for s in secrets_ for f in (s, s.hex().encode(), base64.b64encode(s).rstrip(b"="))]
    for name, raw in (*open_files.items(), ("closed profile", closed)):
        for form in forms:
            assert form not in raw, f"a secret is readable in the {name}"


def test_one_time_prekeys_are_topped_up_when_they_run_low(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    clock = Clock()
    ada = Person(tmp_path, "ada", clock=clock)
    try:
        ada.register(server.address, phone())
        store = server.running.store
        assert store.prekey_counts(ada.phone) == (TARGET, TARGET)
        for _ in range(TARGET - LOW + 1):
            store.take_bundle(ada.phone)
        assert store.prekey_counts(ada.phone) == (LOW - 1, LOW - 1)
        ada.engine.poll(0.01)
        assert store.prekey_counts(ada.phone) == (LOW - 1, LOW - 1)  # not checked again before its time
        clock.now += 3601
        run_until(lambda: store.prekey_counts(ada.phone) == (TARGET, TARGET), [ada])
    finally:
        ada.close()


def test_the_signed_prekey_rotates_weekly_and_sessions_begun_before_still_start(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    clock = Clock()
    ada = Person(tmp_path, "ada", clock=clock)
    bea = Person(tmp_path, "bea")
    try:
        ada.register(server.address, phone())
        bea.register(server.address, phone())
        ada.knows(bea.phone)
        bea.engine.add_contact(ada.phone)  # PQXDH with the signed prekey of the first week
        first = server.running.store.take_bundle(ada.phone)["signed_prekey"]["id"]
        clock.now += ROTATE_AFTER + 1
        run_until(lambda: server.running.store.take_bundle(ada.phone)["signed_prekey"]["id"] != first, [ada])
        bea.engine.send_text(ada.phone, "begun before the rotation")
        run_until(lambda: ada.texts_from(bea.phone) == ["begun before the rotation"], [ada, bea])
    finally:
        ada.close()
        bea.close()


def test_history_pages_search_and_renaming(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone)
        sent = [alice.engine.send_text(bob.phone, f"note {i}") for i in range(7)]
        newest = alice.engine.history(bob.phone, limit=3)
        assert [m.text for m in newest] == ["note 6", "note 5", "note 4"]
        older = alice.engine.history(bob.phone, before=newest[-1].message_id, limit=10)
        assert [m.text for m in older] == ["note 3", "note 2", "note 1", "note 0"]
        assert [m.message_id for m in alice.engine.search(bob.phone, "NOTE 3")] == [sent[3].message_id]
        assert alice.engine.search(bob.phone, "   ") == []
        with pytest.raises(EngineError) as caught:
            alice.engine.history(bob.phone, before="m-unknown")
        assert caught.value.code == "unknown_message"
        alice.engine.rename_contact(bob.phone, "Bobby")
        assert alice.engine.contact(bob.phone).name == "Bobby"
        assert [c.name for c in alice.engine.conversations()] == ["Bobby"]
    finally:
        alice.close()
        bob.close()


def test_a_text_to_a_deleted_account_fails_and_can_be_retried(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone)
        bob.engine.delete_account()
        assert bob.engine.phone is None
        assert server.running.store.account(bob.phone) is None
        sent = alice.engine.send_text(bob.phone, "are you there?")
        run_until(lambda: "failed" in alice.statuses(sent.message_id), [alice])
        assert any(e.code == "unknown_account" for e in alice.of(ErrorReported))
        alice.engine.retry(bob.phone, sent.message_id)
        run_until(lambda: alice.statuses(sent.message_id).count("failed") == 2, [alice])
        assert alice.statuses(sent.message_id) == ["queued", "failed", "queued", "failed"]
        with pytest.raises(EngineError) as caught:
            alice.engine.retry(bob.phone, "m-unknown")
        assert caught.value.code == "not_failed"
    finally:
        alice.close()
        bob.close()


def test_a_damaged_outbox_entry_is_reported_once_and_the_rest_goes_out(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        run_until(lambda: alice.connection_state is ConnectionState.CONNECTED, [alice])
        alice.engine.logout()
        sent = [alice.engine.send_text(bob.phone, text) for text in ("one", "two", "three")]
        alice.tamper(  # the entry of "two": the middle one of the last three
            "UPDATE outbox SET payload = 'text, not bytes' "
            "WHERE seq = (SELECT seq FROM outbox ORDER BY seq DESC LIMIT 1 OFFSET 1)"
        )
        alice.engine.connect()
        run_until(lambda: bob.texts_from(alice.phone) == ["one", "three"], [alice, bob])
        run_until(lambda: "delivered" in alice.statuses(sent[2].message_id), [alice, bob])
        damage = [e for e in alice.of(ErrorReported) if e.code == "profile_damaged"]
        assert [e.message.split(":")[0] for e in damage] == [
            "Parley could not open 1 stored outbox entry in this profile"
        ]
        assert alice.statuses(sent[1].message_id) == ["queued"]  # kept, not lost, and not sent
        assert [m.text for m in alice.engine.history(bob.phone)] == ["three", "two", "one"]
    finally:
        alice.close()
        bob.close()


def test_a_damaged_session_is_reported_and_replaced_by_a_new_one(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        before = alice.engine.send_text(bob.phone, "before")
        run_until(lambda: "delivered" in alice.statuses(before.message_id), [alice, bob])
        assert alice.tamper("UPDATE sessions SET state = 'text'") == 1

        alice.engine.send_text(bob.phone, "after the damage")
        run_until(lambda: bob.texts_from(alice.phone) == ["before", "after the damage"], [alice, bob])
        bob.engine.send_text(alice.phone, "and back")
        run_until(lambda: alice.texts_from(bob.phone) == ["and back"], [alice, bob])
        damage = [e.message for e in alice.of(ErrorReported) if e.code == "profile_damaged"]
        assert len(damage) == 1 and "1 stored session" in damage[0]
        assert not alice.of(UndecryptableMessage)  # nothing was lost on the way
    finally:
        alice.close()
        bob.close()
