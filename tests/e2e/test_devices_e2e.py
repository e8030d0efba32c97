"""Linked devices end to end over real TLS with real profiles: every device gets its copy once, what
one device sends, reads and changes shows on the other, device lists follow the server."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import IO

import pytest
from engine_support import PASSPHRASE, Person, pair, run_until
from linked_people import link
from transfer_support import known_file, picture

from net.client.core.events import (
    ContactKeyChanged,
    MessageReceived,
    MessageStatus,
    MessageView,
    TransferState,
)


def mine(person: Person, contact: str) -> list[str]:
    """Our own texts in the conversation with ``contact``, as this device's history shows them."""
    return [m.text for m in person.engine.history(contact, limit=100) if m.outgoing]


def theirs(person: Person, contact: str) -> list[str]:
    return [m.text for m in person.engine.history(contact, limit=100) if not m.outgoing]


@pytest.fixture
def people(tmp_path: Path, server_factory, phone):
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    bob2 = link(tmp_path, server.address, bob, "bob2", [alice])
    everyone = [alice, bob, bob2]
    yield server, alice, bob, bob2, everyone
    for person in everyone:
        person.close()


def test_a_text_reaches_every_device_once_and_ours_shows_on_our_other_device(people) -> None:
    _, alice, bob, bob2, everyone = people
    alice.engine.add_contact(bob.phone)
    alice.engine.send_text(bob.phone, "hello both")
    run_until(
        lambda: theirs(bob, alice.phone) == ["hello both"] and theirs(bob2, alice.phone) == ["hello both"],
        everyone,
    )
    bob.engine.send_text(alice.phone, "from my desk")
    run_until(
        lambda: theirs(alice, bob.phone) == ["from my desk"] and mine(bob2, alice.phone) == ["from my desk"],
        everyone,
    )
    shown = [m for m in bob2.engine.history(alice.phone, limit=100) if m.outgoing]
    assert shown[0].status in (MessageStatus.SENT, MessageStatus.DELIVERED)
    for person in everyone:  # a moment more: nothing arrives twice
        person.engine.poll(0.2)
    assert theirs(bob, alice.phone) == ["hello both"] and theirs(bob2, alice.phone) == ["hello both"]
    assert theirs(alice, bob.phone) == ["from my desk"]
    assert not [
        e for e in bob2.of(MessageReceived) if not e.message.outgoing and e.message.contact == bob.phone
    ]


def by_id(person: Person, contact: str, message_id: str):
    found = [m for m in person.engine.history(contact, limit=100) if m.message_id == message_id]
    return found[0] if found else None


def test_replies_reactions_edits_deletes_and_timers_from_one_device_show_on_the_other(people) -> None:
    _, alice, bob, bob2, everyone = people
    alice.engine.add_contact(bob.phone)
    first = alice.engine.send_text(bob.phone, "lunch?")
    run_until(lambda: by_id(bob2, alice.phone, first.message_id) is not None, everyone)
    answer = bob.engine.send_reply(first.message_id, "yes, at one", contact=alice.phone)
    bob.engine.react(first.message_id, "👍", contact=alice.phone)
    ours = bob.engine.send_text(alice.phone, "typo heer")
    bob.engine.edit_message(ours.message_id, "typo here", contact=alice.phone)
    gone = bob.engine.send_text(alice.phone, "wrong chat")
    bob.engine.delete_for_everyone(gone.message_id, contact=alice.phone)
    bob.engine.set_disappearing(3600, contact=alice.phone)

    def in_step() -> bool:
        reply = by_id(bob2, alice.phone, answer.message_id)
        edited = by_id(bob2, alice.phone, ours.message_id)
        deleted = by_id(bob2, alice.phone, gone.message_id)
        theirs_now = by_id(bob2, alice.phone, first.message_id)
        return (
            reply is not None
            and reply.reply_to is not None
            and edited is not None
            and edited.text == "typo here"
            and deleted is not None
            and deleted.deleted
            and theirs_now is not None
            and theirs_now.reactions == (("👍", 1, True),)
            and bob2.engine.disappearing_timer(contact=alice.phone) == 3600
        )

    run_until(in_step, everyone)
    run_until(lambda: alice.engine.disappearing_timer(contact=bob.phone) == 3600, everyone)
    later = bob2.engine.send_text(alice.phone, "under the timer")
    assert later.timer == 3600  # the timer set on the other device is this one's too


@pytest.mark.parametrize("receipts", [True, False])
def test_read_on_one_device_is_read_on_the_other_with_read_receipts_on_and_off(people, receipts) -> None:
    _, alice, bob, bob2, everyone = people
    for device in (bob, bob2):
        device.engine.set_privacy(replace(device.engine.privacy(), read_receipts=receipts))
    alice.engine.add_contact(bob.phone)
    for n in range(3):
        alice.engine.send_text(bob.phone, f"note {n}")

    def unread(person: Person) -> int:
        found = [c for c in person.engine.conversations() if c.contact == alice.phone]
        return found[0].unread if found else -1

    run_until(lambda: unread(bob) == 3 and unread(bob2) == 3, everyone)
    bob.engine.mark_read(alice.phone)
    run_until(lambda: unread(bob2) == 0, everyone)
    assert unread(bob) == 0


def test_contacts_nicknames_verified_marks_blocks_and_settings_follow(people, phone) -> None:
    _, alice, bob, bob2, everyone = people
    carol = phone()
    bob.engine.rename_contact(alice.phone, "Ali")
    alice_view = bob.engine.add_contact(alice.phone)
    bob.engine.set_verified(alice.phone, True)
    bob.engine.block(carol)
    bob.engine.set_privacy(replace(bob.engine.privacy(), typing_notices=False))

    def followed() -> bool:
        contacts = {c.phone: c for c in bob2.engine.contacts()}
        blocked = {c.phone for c in bob2.engine.blocked()}
        mark = contacts.get(alice.phone)
        return (
            mark is not None
            and mark.name == "Ali"
            and mark.verified
            and carol in blocked
            and not bob2.engine.privacy().typing_notices
        )

    run_until(followed, everyone)
    assert alice_view.safety_number == bob2.engine.contact(alice.phone).safety_number


def test_a_device_linked_between_two_sends_is_retried_once_and_gets_the_second(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    people = [alice, bob]
    try:
        alice.engine.add_contact(bob.phone)
        alice.engine.send_text(bob.phone, "one")
        run_until(lambda: theirs(bob, alice.phone) == ["one"], people)
        bob2 = link(tmp_path, server.address, bob, "bob2", [alice])  # Alice still knows device 1 alone
        people.append(bob2)
        alice.engine.send_text(bob.phone, "two")
        run_until(lambda: "two" in theirs(bob, alice.phone) and "two" in theirs(bob2, alice.phone), people)
        ctx = alice.engine._ctx
        assert ctx is not None and ctx.profile.devices.of(bob.phone) == [1, 2]
        assert not alice.of(ContactKeyChanged)  # a new device is not a new key
        assert [m.status for m in alice.engine.history(bob.phone, limit=10) if m.text == "two"] != [
            MessageStatus.FAILED
        ]
        # Unlinked: the next send is refused once with the set that remains, and device 2's session goes.
        bob.engine.unlink_device(2)
        alice.engine.send_text(bob.phone, "three")
        run_until(lambda: "three" in theirs(bob, alice.phone), people)
        assert ctx.profile.devices.of(bob.phone) == [1]
        assert ctx.profile.sessions.devices(bob.phone) == [1]
    finally:
        for person in people:
            person.close()


def test_a_device_offline_for_a_while_catches_up(people, tmp_path) -> None:
    _, alice, bob, bob2, everyone = people
    alice.engine.add_contact(bob.phone)
    bob2.engine.logout()
    for n in range(20):
        alice.engine.send_text(bob.phone, f"while away {n}")
        bob.engine.send_text(alice.phone, f"answer {n}")
    run_until(
        lambda: len(theirs(bob, alice.phone)) == 20 and len(theirs(alice, bob.phone)) == 20, [alice, bob]
    )
    bob2.engine.connect()
    run_until(lambda: len(theirs(bob2, alice.phone)) == 20 and len(mine(bob2, alice.phone)) == 20, everyone)
    assert sorted(theirs(bob2, alice.phone)) == sorted(f"while away {n}" for n in range(20))
    assert sorted(mine(bob2, alice.phone)) == sorted(f"answer {n}" for n in range(20))


def test_a_group_of_three_where_one_has_two_devices_gets_each_message_once_everywhere(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob, carol = pair(tmp_path, server.address, phone, "alice", "bob", "carol")
    people = [alice, bob, carol]
    try:
        bob2 = link(tmp_path, server.address, bob, "bob2", [alice, carol])
        people.append(bob2)
        gid = alice.engine.create_group("Trip", [bob.phone, carol.phone]).group_id
        run_until(lambda: all(p.engine.groups() for p in (bob, bob2, carol)), people)
        alice.engine.send_group_text(gid, "from alice")
        bob.engine.send_group_text(gid, "from bob's desk")

        def texts(person: Person, outgoing: bool) -> list[str]:
            return [
                m.text for m in person.engine.history(gid, limit=100) if m.outgoing == outgoing and m.text
            ]

        run_until(
            lambda: (
                texts(bob, False) == ["from alice"]
                and texts(bob2, False) == ["from alice"]
                and sorted(texts(carol, False)) == ["from alice", "from bob's desk"]
                and texts(alice, False) == ["from bob's desk"]
                and texts(bob2, True) == ["from bob's desk"]
            ),
            people,
        )
        for person in people:
            person.engine.poll(0.2)
        assert texts(bob2, False) == ["from alice"] and texts(carol, False).count("from bob's desk") == 1
        assert texts(alice, False) == ["from bob's desk"]
    finally:
        for person in people:
            person.close()


def test_files_reach_both_devices_and_ours_from_one_device_is_on_the_other(people, tmp_path) -> None:
    _, alice, bob, bob2, everyone = people
    alice.engine.add_contact(bob.phone)
    document = known_file(tmp_path, "route.gpx", 150_000)
    alice.engine.send_file(document, contact=bob.phone, caption="the route")
    photo = picture(tmp_path, "summit.png")
    sent = bob.engine.send_file(photo, contact=alice.phone)

    def done(person: Person, outgoing: bool) -> list[MessageView]:
        found = [
            m
            for m in person.engine.history(alice.phone if person is not alice else bob.phone, limit=50)
            if m.attachment and m.outgoing == outgoing and m.attachment.state is TransferState.DONE
        ]
        return found

    run_until(
        lambda: (
            len(done(bob, False)) == 1
            and len(done(bob2, False)) == 1
            and len(done(bob2, True)) == 1
            and len(done(alice, False)) == 1
        ),
        everyone,
        timeout=60,
    )
    for device in (bob, bob2):
        got = done(device, False)[0]
        assert device.engine.file_bytes(got.message_id, 1 << 20) == document.read_bytes()
    copied = done(bob2, True)[0]
    assert copied.message_id == sent.message_id
    assert bob2.engine.file_bytes(copied.message_id, 1 << 20) == photo.read_bytes()


HARNESS = Path(__file__).resolve().parent.parent / "engine_harness.py"


def test_a_device_killed_mid_traffic_costs_the_others_nothing_and_catches_up(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    people = [alice, bob]
    process: subprocess.Popen[str] | None = None
    again: Person | None = None
    try:
        bob2 = link(tmp_path, server.address, bob, "bob2", [alice])
        profile_id = bob2.engine.list_profiles()[0][0]
        bob2.close()
        alice.engine.add_contact(bob.phone)
        process = subprocess.Popen(
            [sys.executable, str(HARNESS), str(bob2.root), profile_id],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
        _wait_for_line(lines, "CONNECTED")
        for n in range(30):
            alice.engine.send_text(bob.phone, f"to bob {n}")
            bob.engine.send_text(alice.phone, f"to alice {n}")
            if n == 10:
                run_until(lambda: len(theirs(bob, alice.phone)) >= 5, people)
                process.send_signal(signal.SIGKILL)  # in the middle of taking both kinds in
                process.wait(timeout=30)
        run_until(lambda: len(theirs(bob, alice.phone)) == 30 and len(theirs(alice, bob.phone)) == 30, people)
        assert sorted(theirs(bob, alice.phone)) == sorted(f"to bob {n}" for n in range(30))
        assert sorted(theirs(alice, bob.phone)) == sorted(f"to alice {n}" for n in range(30))

        again = Person(tmp_path, "bob2")
        again.engine.unlock(profile_id, PASSPHRASE)
        again.engine.connect()
        people.append(again)
        run_until(
            lambda: len(theirs(again, alice.phone)) == 30 and len(mine(again, alice.phone)) == 30, people
        )
        assert sorted(theirs(again, alice.phone)) == sorted(f"to bob {n}" for n in range(30))
        assert sorted(mine(again, alice.phone)) == sorted(f"to alice {n}" for n in range(30))
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        for person in people:
            person.close()


def _read_lines(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def _wait_for_line(lines: queue.Queue[str], wanted: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"the harness never printed {wanted}"
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line.strip() == wanted:
            return


def test_a_receipt_from_a_person_of_two_devices_reaches_the_sender_and_nothing_waits_behind_it(
    people,
) -> None:
    # A receipt carries no copy for its sender's own other devices (they keep in step by a read
    # sync): the server takes it all the same, so the message is marked delivered.
    _, alice, bob, bob2, everyone = people
    alice.engine.add_contact(bob.phone)
    alice.engine.send_text(bob.phone, "hello both")
    run_until(lambda: theirs(bob, alice.phone) == ["hello both"] == theirs(bob2, alice.phone), everyone)

    def status() -> list[MessageStatus]:
        return [m.status for m in alice.engine.history(bob.phone, limit=10) if m.outgoing]

    run_until(lambda: status() == [MessageStatus.DELIVERED], everyone, timeout=10)
    bob.engine.send_text(alice.phone, "after the receipt")
    run_until(lambda: theirs(alice, bob.phone) == ["after the receipt"], everyone)
