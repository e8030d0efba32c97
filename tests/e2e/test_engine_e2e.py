"""Client engines talking through a real server over TLS on loopback, with real profile files."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, start_in_process
from engine_support import NAME, PASSPHRASE, Person, pair, run_until

from net.client.core.engine_error import EngineError
from net.client.core.events import (
    ConnectionState,
    ContactKeyChanged,
    MessageReceived,
    MessageStatus,
    ServerKeyChanged,
    TypingChanged,
    UndecryptableMessage,
)


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


def test_two_people_chat_with_delivery_and_read_receipts(tmp_path, dev_server, phone, people) -> None:
    alice, bob = _pair(tmp_path, dev_server, phone, people, "alice", "bob")
    alice.engine.add_contact(bob.phone, "Bob")
    sent = alice.engine.send_text(bob.phone, "Hello Bob")
    assert sent.status is MessageStatus.QUEUED

    run_until(lambda: bob.texts_from(alice.phone) == ["Hello Bob"], [alice, bob])
    run_until(lambda: "delivered" in alice.statuses(sent.message_id), [alice, bob])
    bob.engine.mark_read(alice.phone)
    run_until(lambda: "read" in alice.statuses(sent.message_id), [alice, bob])
    assert alice.statuses(sent.message_id) == ["queued", "sent", "delivered", "read"]

    reply = bob.engine.send_text(alice.phone, "Hello Alice")
    run_until(lambda: alice.texts_from(bob.phone) == ["Hello Alice"], [alice, bob])
    run_until(lambda: "delivered" in bob.statuses(reply.message_id), [alice, bob])
    history = alice.engine.history(bob.phone)
    assert [(m.text, m.outgoing) for m in history] == [("Hello Alice", False), ("Hello Bob", True)]
    assert [c.unread for c in alice.engine.conversations()] == [1]
    # On Bob's side the message he read is READ, and nothing more (no receipt for his receipt).
    assert bob.statuses(sent.message_id) == ["read"]
    assert alice.engine.safety_number(bob.phone) == bob.engine.safety_number(alice.phone)


def test_three_people_chat(tmp_path, dev_server, phone, people) -> None:
    alice, bob, carol = _pair(tmp_path, dev_server, phone, people, "alice", "bob", "carol")
    alice.engine.add_contact(bob.phone)
    alice.engine.add_contact(carol.phone)
    carol.engine.add_contact(bob.phone)
    alice.engine.send_text(bob.phone, "to Bob")
    alice.engine.send_text(carol.phone, "to Carol")
    carol.engine.send_text(bob.phone, "Carol to Bob")
    everyone = [alice, bob, carol]
    run_until(lambda: len(bob.of(MessageReceived)) == 2 and len(carol.of(MessageReceived)) == 1, everyone)
    bob.engine.send_text(carol.phone, "Bob to Carol")
    bob.engine.send_text(alice.phone, "Bob to Alice")
    run_until(lambda: carol.texts_from(bob.phone) == ["Bob to Carol"], everyone)
    run_until(lambda: alice.texts_from(bob.phone) == ["Bob to Alice"], everyone)
    assert bob.texts_from(alice.phone) == ["to Bob"]
    assert bob.texts_from(carol.phone) == ["Carol to Bob"]
    assert carol.texts_from(alice.phone) == ["to Carol"]


def test_an_offline_recipient_gets_everything_on_login_in_order(tmp_path, dev_server, phone, people) -> None:
    alice, bob = _pair(tmp_path, dev_server, phone, people, "alice", "bob")
    alice.engine.add_contact(bob.phone)
    bob.engine.logout()
    texts = [f"message {i}" for i in range(30)]
    for text in texts:
        alice.engine.send_text(bob.phone, text)
    run_until(lambda: dev_server.running.store.queued_count(bob.phone) == 30 + NAME, [alice])
    bob.engine.connect()
    run_until(lambda: len(bob.texts_from(alice.phone)) == 30, [alice, bob])
    assert bob.texts_from(alice.phone) == texts
    assert [m.text for m in reversed(bob.engine.history(alice.phone, limit=100))] == texts
    run_until(lambda: dev_server.running.store.queued_count(bob.phone) == 0, [alice, bob])


def test_typing_notices_reach_online_people_and_are_never_queued(tmp_path, dev_server, phone, people) -> None:
    alice, bob = _pair(tmp_path, dev_server, phone, people, "alice", "bob")
    alice.engine.add_contact(bob.phone)
    alice.engine.send_text(bob.phone, "first")
    run_until(lambda: bob.texts_from(alice.phone) == ["first"], [alice, bob])
    alice.engine.set_typing(bob.phone, True)
    run_until(lambda: bob.of(TypingChanged) == [TypingChanged(alice.phone, True)], [alice, bob])

    bob.engine.logout()
    alice.engine.set_typing(bob.phone, False)
    assert dev_server.running.store.queued_count(bob.phone) == 0
    bob.engine.connect()
    alice.engine.send_text(bob.phone, "second")
    run_until(lambda: bob.texts_from(alice.phone) == ["first", "second"], [alice, bob])
    assert bob.of(TypingChanged) == [TypingChanged(alice.phone, True)]


def test_a_message_to_an_unknown_number_is_a_clear_error(tmp_path, dev_server, phone, people) -> None:
    (alice,) = _pair(tmp_path, dev_server, phone, people, "alice")
    nobody = phone()
    with pytest.raises(EngineError) as caught:
        alice.engine.add_contact(nobody)
    assert caught.value.code == "unknown_account"
    assert nobody in caught.value.message
    with pytest.raises(EngineError) as not_a_contact:
        alice.engine.send_text(nobody, "hello?")
    assert not_a_contact.value.code == "unknown_contact"
    with pytest.raises(EngineError) as bad:
        alice.engine.add_contact("12")
    assert bad.value.code == "bad_phone"


def test_a_message_typed_while_the_server_is_down_goes_out_once(tmp_path, phone, people) -> None:
    data_dir = tmp_path / "server"
    server = start_in_process(data_dir, dev_codes=True)
    try:
        alice, bob = _pair(tmp_path, server, phone, people, "alice", "bob")
        alice.engine.add_contact(bob.phone)
        port = server.address[1]
        server.stop()
        run_until(lambda: alice.connection_state is ConnectionState.RECONNECTING, [alice, bob])
        sent = alice.engine.send_text(bob.phone, "typed while the server was down")
        alice.engine.poll(0.05)
        assert alice.statuses(sent.message_id) == ["queued"]
        server = start_in_process(data_dir, dev_codes=True, port=port)
        run_until(
            lambda: bob.texts_from(alice.phone) == ["typed while the server was down"],
            [alice, bob],
            timeout=60,
        )
        run_until(lambda: "delivered" in alice.statuses(sent.message_id), [alice, bob])
        bob.engine.mark_read(alice.phone)
        run_until(lambda: "read" in alice.statuses(sent.message_id), [alice, bob])
        assert alice.statuses(sent.message_id) == ["queued", "sent", "delivered", "read"]
        assert len(bob.engine.history(alice.phone)) == 1
    finally:
        server.stop()


def test_the_outbox_survives_closing_the_app(tmp_path, dev_server, phone, people) -> None:
    alice, bob = _pair(tmp_path, dev_server, phone, people, "alice", "bob")
    alice.engine.add_contact(bob.phone)
    profile_id = alice.engine.list_profiles()[0][0]
    alice.engine.logout()
    sent = alice.engine.send_text(bob.phone, "written offline")
    alice.close()
    people.remove(alice)

    again = Person(tmp_path, "alice")
    people.append(again)
    again.engine.unlock(profile_id, PASSPHRASE)
    again.engine.connect()
    run_until(lambda: bob.texts_from(alice.phone) == ["written offline"], [again, bob])
    run_until(lambda: "delivered" in again.statuses(sent.message_id), [again, bob])


def test_a_changed_server_key_is_refused_with_both_fingerprints(tmp_path, phone, people) -> None:
    server = start_in_process(tmp_path / "server-a", dev_codes=True)
    try:
        (alice,) = _pair(tmp_path, server, phone, people, "alice")
        port = server.address[1]
        server.stop()
        server = start_in_process(tmp_path / "server-b", dev_codes=True, port=port)
        with pytest.raises(EngineError) as caught:
            alice.engine.connect()
        assert caught.value.code == "server_key_changed"
        (changed,) = alice.of(ServerKeyChanged)
        assert changed.pinned != changed.presented
        assert changed.pinned.replace(" ", "") in caught.value.message.replace(" ", "")
        assert changed.presented.replace(" ", "").lower() == server.fingerprint.hex()
        assert alice.connection_state is ConnectionState.OFFLINE
        alice.engine.poll(0.05)  # does not try again on its own
        assert len(alice.of(ServerKeyChanged)) == 1
    finally:
        server.stop()


def test_a_contact_who_registers_again_is_a_key_change_and_texts_wait(
    tmp_path, dev_server, phone, people
) -> None:
    alice, bob = _pair(tmp_path, dev_server, phone, people, "alice", "bob")
    alice.engine.add_contact(bob.phone)
    alice.engine.set_verified(bob.phone, True)
    before = alice.engine.safety_number(bob.phone)

    new_bob = Person(tmp_path, "new-bob")
    people.append(new_bob)
    new_bob.register(dev_server.address, bob.phone)
    new_bob.engine.add_contact(alice.phone)
    new_bob.engine.send_text(alice.phone, "new phone, same Bob")
    run_until(lambda: alice.of(ContactKeyChanged), [alice, new_bob])

    (change,) = alice.of(ContactKeyChanged)
    assert change.previous_safety_number == before
    assert change.contact.safety_number != before
    assert change.contact.key_changed and not change.contact.verified
    assert alice.engine.contact(bob.phone).safety_number == new_bob.engine.safety_number(alice.phone)
    assert alice.texts_from(bob.phone) == ["new phone, same Bob"]

    held = alice.engine.send_text(bob.phone, "is that really you?")
    for _ in range(5):
        alice.engine.poll(0.02)
        new_bob.engine.poll(0.02)
    assert alice.statuses(held.message_id) == ["queued"]
    assert new_bob.texts_from(alice.phone) == []

    alice.engine.accept_key_change(bob.phone)
    run_until(lambda: new_bob.texts_from(alice.phone) == ["is that really you?"], [alice, new_bob])
    assert len(alice.of(ContactKeyChanged)) == 1


def test_a_session_that_cannot_decrypt_heals_itself(tmp_path, dev_server, phone, people) -> None:
    alice, bob = _pair(tmp_path, dev_server, phone, people, "alice", "bob")
    alice.engine.add_contact(bob.phone)
    alice.engine.send_text(bob.phone, "one")
    run_until(lambda: bob.texts_from(alice.phone) == ["one"], [alice, bob])
    profile_id, bob_phone = bob.engine.list_profiles()[0][0], bob.phone
    bob.close()
    people.remove(bob)
    backup = tmp_path / "backup"
    shutil.copytree(bob.root, backup)

    bob = Person(tmp_path, "bob")
    people.append(bob)
    bob.engine.unlock(profile_id, PASSPHRASE)
    bob.engine.connect()
    bob.engine.send_text(alice.phone, "two")
    run_until(lambda: alice.texts_from(bob_phone) == ["two"], [alice, bob])
    three = alice.engine.send_text(bob_phone, "three")
    run_until(lambda: bob.texts_from(alice.phone) == ["three"], [alice, bob])
    # Alice must have taken in Bob's receipt, which turned her ratchet past every key the old
    # copy holds; without it "four" could go on a chain the old copy still opens, and nothing
    # would need healing.
    run_until(lambda: "delivered" in alice.statuses(three.message_id), [alice, bob])
    bob.close()
    people.remove(bob)

    shutil.rmtree(bob.root)
    shutil.copytree(backup, bob.root)  # an old copy of the profile: its ratchet is behind
    restored = Person(tmp_path, "bob")
    people.append(restored)
    restored.engine.unlock(profile_id, PASSPHRASE)
    restored.engine.connect()
    lost = alice.engine.send_text(bob_phone, "four")
    run_until(lambda: restored.of(UndecryptableMessage), [alice, restored])
    run_until(lambda: "four" in restored.texts_from(alice.phone), [alice, restored])
    assert restored.of(UndecryptableMessage) == [UndecryptableMessage(alice.phone)]
    assert restored.texts_from(alice.phone).count("four") == 1
    assert alice.engine.history(bob_phone)[0].message_id == lost.message_id
    alice.engine.send_text(bob_phone, "five")
    restored.engine.send_text(alice.phone, "six")
    run_until(lambda: "five" in restored.texts_from(alice.phone), [alice, restored])
    run_until(lambda: "six" in alice.texts_from(bob_phone), [alice, restored])


def test_a_send_whose_reply_is_lost_is_stored_once(tmp_path, dev_server, phone, people, monkeypatch) -> None:
    from net.client.transport import ConnectionLost, ServerConnection

    alice, bob = _pair(tmp_path, dev_server, phone, people, "alice", "bob")
    alice.engine.add_contact(bob.phone)
    bob.engine.logout()
    real_wait = ServerConnection.wait_reply
    lost: list[int] = []

    def lose_the_first_send_reply(self: ServerConnection, request_id: int, timeout: float | None = None):
        reply = real_wait(self, request_id, timeout)
        if not lost and "id" in getattr(reply, "body", {}):  # the server stored it; its answer goes missing
            lost.append(request_id)
            self.close()
            raise ConnectionLost("the connection dropped before the reply")
        return reply

    monkeypatch.setattr(ServerConnection, "wait_reply", lose_the_first_send_reply)
    sent = alice.engine.send_text(bob.phone, "exactly once")
    run_until(lambda: "sent" in alice.statuses(sent.message_id), [alice], timeout=60)
    assert lost
    assert (
        dev_server.running.store.queued_count(bob.phone) == 1 + NAME
    )  # the repeat: recognised by its client id
    bob.engine.connect()
    run_until(lambda: bob.texts_from(alice.phone) == ["exactly once"], [alice, bob])
    run_until(lambda: "delivered" in alice.statuses(sent.message_id), [alice, bob])
    assert len(bob.engine.history(alice.phone)) == 1


def test_a_replayed_first_message_of_a_session_that_left_the_record_is_refused(
    tmp_path, dev_server, phone, people
) -> None:
    from net.client.handshake import start_session

    alice, bob = _pair(tmp_path, dev_server, phone, people, "alice", "bob")
    store = dev_server.running.store
    while any(store.prekey_counts(bob.phone)):
        store.take_bundle(bob.phone)  # the server ran out: a first message then uses no one-time prekey
    bob.engine.logout()
    alice.engine.add_contact(bob.phone)
    first = alice.engine.send_text(bob.phone, "one")
    run_until(lambda: "sent" in alice.statuses(first.message_id), [alice])
    ((recorded, *_), _more) = store.fetch(bob.phone, 0, 10)  # what a hostile server keeps to replay
    bob.engine.connect()
    run_until(lambda: bob.texts_from(alice.phone) == ["one"], [alice, bob])
    ctx = alice.engine._ctx
    assert ctx is not None
    for n in range(3):  # three newer sessions push the first one out of both records
        start_session(ctx, alice.engine._link.require(), bob.phone)
        alice.engine.send_text(bob.phone, f"newer {n}")
        run_until(lambda text=f"newer {n}": text in bob.texts_from(alice.phone), [alice, bob])

    bob.engine.logout()
    store.enqueue(alice.phone, "m-replayed", bob.phone, recorded.body, recorded.ts, 10_000)
    bob.engine.connect()
    run_until(lambda: bob.of(UndecryptableMessage), [alice, bob])
    assert bob.of(UndecryptableMessage) == [UndecryptableMessage(alice.phone)]
    assert bob.texts_from(alice.phone).count("one") == 1
    bob.engine.send_text(alice.phone, "still on a session Alice has")
    run_until(lambda: alice.texts_from(bob.phone) == ["still on a session Alice has"], [alice, bob])
    assert alice.of(UndecryptableMessage) == []
