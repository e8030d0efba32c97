"""Disappearing messages over real TLS: 1:1 and in a group of three, with injected clocks.

Real engines (each on its own profile and its own clock) against an in-process server; every
wait is bounded (``run_until``). What must disappear is written in runes, letters no other text
here has, so each of its trigrams is its own: after a delete for everyone, a delete for us and
an expiry, not one of them is in any decrypted page of the database (free space and the search
index's pages included), in the write-ahead log, or in the raw files (:mod:`profile_pages`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import profile_pages as pages
import pytest
from engine_support import PASSPHRASE, Person, run_until

from net.client import group_log
from net.client.core.disappearing import TimerChange
from net.client.core.engine_error import EngineError
from net.client.core.envelope import Text, decode_payload
from net.client.core.events import MessageChanged, MessageReceived, MessageView, TimerChanged
from net.client.core.group_payloads import GroupTag
from net.client.outbox import Entry, enqueue_control, enqueue_copies

HOUR = 3600
START = 1_900_000_000.0


class Clock:
    """One person's wall clock, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def _people(tmp_path: Path, address: tuple[str, int], phone: Callable[[], str], *names: str):  # type: ignore[no-untyped-def]
    people, clocks = [], []
    for name in names:
        clock = Clock()
        person = Person(tmp_path, name, clock=clock)
        person.register(address, phone())
        people.append(person)
        clocks.append(clock)
    for person in people:
        person.knows(*(other.phone for other in people if other is not person))
    return people, clocks


def _ctx(person: Person):  # type: ignore[no-untyped-def]
    ctx = person.engine._ctx
    assert ctx is not None
    return ctx


def _folder(person: Person) -> Path:
    (path,) = person.root.glob("*/profile.db")
    return path.parent


def _shown(person: Person, conversation: str, message_id: str) -> MessageView | None:
    return next((m for m in person.engine.history(conversation) if m.message_id == message_id), None)


def _wait_shown(person: Person, conversation: str, message_id: str, people: list[Person]) -> MessageView:
    run_until(lambda: _shown(person, conversation, message_id) is not None, people)
    found = _shown(person, conversation, message_id)
    assert found is not None
    return found


def _notices(person: Person, conversation: str) -> list[MessageView]:
    return [m for m in person.engine.history(conversation) if m.notice == "timer_changed"]


def _removed(person: Person) -> set[str]:
    return {e.message.message_id for e in person.of(MessageChanged) if e.removed}


def _hold_back(person: Person, client_id: str) -> list[tuple[str, bytes]]:
    ctx = _ctx(person)
    held = [(i.contact, i.payload) for i in ctx.profile.outbox.pending() if i.client_id == client_id]
    assert held
    ctx.profile.outbox.remove(client_id)
    return held


def _queue_again(person: Person, client_id: str, held: list[tuple[str, bytes]]) -> None:
    for contact, payload in held:
        _ctx(person).profile.outbox.enqueue(contact, client_id, payload)


def test_a_1to1_timer_set_by_either_side_counts_down_from_writing_and_from_reading(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    (alice, bob), (alice_clock, bob_clock) = _people(tmp_path, server.address, phone, "alice", "bob")
    people = [alice, bob]
    try:
        hello = alice.engine.send_text(bob.phone, "hello")
        _wait_shown(bob, alice.phone, hello.message_id, people)
        with pytest.raises(EngineError) as refused:
            alice.engine.set_disappearing(60, contact=bob.phone)
        assert refused.value.code == "bad_timer"
        with pytest.raises(EngineError) as refused:
            alice.engine.set_disappearing(HOUR)
        assert refused.value.code == "bad_conversation"
        with pytest.raises(EngineError) as refused:
            alice.engine.set_disappearing(HOUR, contact="+14155550123")
        assert refused.value.code == "unknown_contact"

        notice = alice.engine.set_disappearing(HOUR, contact=bob.phone)
        assert (notice.notice, notice.notice_by, notice.notice_detail) == ("timer_changed", "", "3600")
        assert alice.engine.disappearing_timer(contact=bob.phone) == HOUR
        assert alice.of(TimerChanged)[-1] == TimerChanged(bob.phone, "", HOUR, "")
        assert alice.of(MessageReceived)[-1].message.message_id == notice.message_id
        run_until(lambda: bob.engine.disappearing_timer(contact=alice.phone) == HOUR, people)
        (theirs,) = _notices(bob, alice.phone)
        assert (theirs.notice_by, theirs.notice_detail) == (alice.phone, "3600")
        assert bob.of(TimerChanged)[-1] == TimerChanged(alice.phone, "", HOUR, alice.phone)
        assert {c.contact: c.disappearing for c in bob.engine.conversations()}[alice.phone] == HOUR

        # Ours counts down from its writing; the copy carries the timer, and the server keeps it no longer.
        secret = "ᚠᚢᚦᚨᚱᚲ ᚷᚹᚺᚾᛁᛃ"
        sent = alice.engine.send_text(bob.phone, secret)
        assert (sent.timer, sent.expires_at) == (HOUR, pytest.approx(sent.timestamp + HOUR))
        (queued,) = [i for i in _ctx(alice).profile.outbox.pending() if i.client_id == sent.message_id]
        entry = Entry.from_bytes(queued.payload)
        payload = decode_payload(entry.inner)
        assert isinstance(payload, Text) and payload.exp == HOUR
        assert entry.expires_at_ms == round((sent.timestamp + HOUR) * 1000)

        # Theirs waits for its reading.
        got = _wait_shown(bob, alice.phone, sent.message_id, people)
        assert (got.timer, got.expires_at) == (HOUR, 0.0)
        bob_clock.now += 600
        bob.engine.mark_read(alice.phone)
        read = _shown(bob, alice.phone, sent.message_id)
        assert read is not None and read.expires_at == pytest.approx(bob_clock.now + HOUR)
        assert any(e.message.message_id == sent.message_id and not e.removed for e in bob.of(MessageChanged))
        for person in people:
            pages.assert_present(_folder(person), PASSPHRASE, secret)

        # Alice's copy goes an hour after she wrote it; Bob's an hour after he read it.
        alice_clock.now += HOUR + 1
        bob_clock.now += HOUR - 1  # a second before his copy's hour from reading is up
        run_until(lambda: sent.message_id in _removed(alice), people)
        assert _shown(alice, bob.phone, sent.message_id) is None
        assert _shown(bob, alice.phone, sent.message_id) is not None
        bob_clock.now += 2
        run_until(lambda: sent.message_id in _removed(bob), people)
        assert _shown(bob, alice.phone, sent.message_id) is None
        for person in people:
            assert person.engine.search_all("ᚠᚢᚦ") == []
            pages.assert_gone(_folder(person), PASSPHRASE, secret)

        # The other side turns it off; a repeat of that change changes nothing.
        bob.engine.set_disappearing(0, contact=alice.phone)
        run_until(lambda: alice.engine.disappearing_timer(contact=bob.phone) == 0, people)
        assert [(n.notice_by, n.notice_detail) for n in _notices(alice, bob.phone)] == [
            ("", "3600"),
            (bob.phone, "0"),
        ]
        standing = _ctx(bob).profile.timers.chat(alice.phone)
        enqueue_control(_ctx(bob), alice.phone, TimerChange(0, standing.set_at_ms))
        enqueue_control(_ctx(bob), alice.phone, TimerChange(HOUR, standing.set_at_ms - 1))  # older
        marker = bob.engine.send_text(alice.phone, "marker")
        _wait_shown(alice, bob.phone, marker.message_id, people)
        assert len(_notices(alice, bob.phone)) == 2
        assert alice.engine.disappearing_timer(contact=bob.phone) == 0
        assert marker.timer == 0 and _shown(alice, bob.phone, marker.message_id).timer == 0  # type: ignore[union-attr]
    finally:
        for person in people:
            person.close()


def test_a_timer_change_and_a_message_that_cross_agree_in_either_order(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    (alice, bob), _clocks = _people(tmp_path, server.address, phone, "alice", "bob")
    people = [alice, bob]
    try:
        hello = alice.engine.send_text(bob.phone, "hello")
        _wait_shown(bob, alice.phone, hello.message_id, people)

        # The message first, its timer change after: the message keeps its own timer.
        notice = alice.engine.set_disappearing(300, contact=bob.phone)
        (change,) = [
            i.client_id for i in _ctx(alice).profile.outbox.pending() if i.client_id.startswith("c-")
        ]
        held = _hold_back(alice, change)
        first = alice.engine.send_text(bob.phone, "under five minutes")
        got = _wait_shown(bob, alice.phone, first.message_id, people)
        assert got.timer == 300 and bob.engine.disappearing_timer(contact=alice.phone) == 0
        _queue_again(alice, change, held)
        alice.engine.send_text(bob.phone, "nudge")
        run_until(lambda: bob.engine.disappearing_timer(contact=alice.phone) == 300, people)
        assert notice.notice_detail == "300"

        # The change first, the message written before it after: the message keeps the timer it had.
        second = alice.engine.send_text(bob.phone, "still five minutes")
        held = _hold_back(alice, second.message_id)
        alice.engine.set_disappearing(0, contact=bob.phone)
        run_until(lambda: bob.engine.disappearing_timer(contact=alice.phone) == 0, people)
        _queue_again(alice, second.message_id, held)
        third = alice.engine.send_text(bob.phone, "no timer now")
        assert third.timer == 0
        got = _wait_shown(bob, alice.phone, second.message_id, people)
        assert got.timer == 300
        assert _wait_shown(bob, alice.phone, third.message_id, people).timer == 0
    finally:
        for person in people:
            person.close()


def test_in_a_group_of_three_only_an_admin_sets_the_timer_and_each_copy_counts_down_on_its_own(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    (alice, bob, carol), (alice_clock, bob_clock, carol_clock) = _people(
        tmp_path, server.address, phone, "alice", "bob", "carol"
    )
    people = [alice, bob, carol]
    try:
        gid = alice.engine.create_group("Boats", [bob.phone, carol.phone]).group_id
        run_until(lambda: all(gid in {g.group_id for g in p.engine.groups()} for p in people), people)
        hello = alice.engine.send_group_text(gid, "hello boats")
        for person in (bob, carol):
            _wait_shown(person, gid, hello.message_id, people)

        # Bob is no admin: refused here, and a change he crafts anyway is ignored by the others.
        with pytest.raises(EngineError) as refused:
            bob.engine.set_disappearing(HOUR, group_id=gid)
        assert refused.value.code == "not_an_admin"
        group = _ctx(bob).profile.groups.get(gid)
        assert group is not None
        cached = group_log.cached_state(_ctx(bob), group)
        assert cached is not None
        crafted = TimerChange(HOUR, round(bob_clock.now * 1000), GroupTag(gid, cached.version, cached.digest))
        enqueue_copies(_ctx(bob), [alice.phone, carol.phone], "d-crafted", crafted, group=gid)
        marker = bob.engine.send_group_text(gid, "marker")
        for person in (alice, carol):
            _wait_shown(person, gid, marker.message_id, people)
            assert person.engine.disappearing_timer(group_id=gid) == 0
            assert _notices(person, gid) == []

        # Alice is: every member has her timer, with her notice, once.
        alice.engine.set_disappearing(86400, group_id=gid)
        run_until(lambda: all(p.engine.disappearing_timer(group_id=gid) == 86400 for p in people), people)
        for person in (bob, carol):
            (notice,) = _notices(person, gid)
            assert (notice.notice_by, notice.notice_detail, notice.group_id) == (alice.phone, "86400", gid)
            assert person.of(TimerChanged)[-1] == TimerChanged("", gid, 86400, alice.phone)
        assert {c.group_id: c.disappearing for c in carol.engine.conversations()}[gid] == 86400

        secret = "ᛇᛈᛉᛊᛏᛒ ᛖᛗᛚᛜᛞᛟ"
        sent = alice.engine.send_group_text(gid, secret)
        assert (sent.timer, sent.expires_at) == (86400, pytest.approx(sent.timestamp + 86400))
        for person in (bob, carol):
            got = _wait_shown(person, gid, sent.message_id, people)
            assert (got.timer, got.expires_at, got.sender) == (86400, 0.0, alice.phone)
        carol.engine.mark_read(gid)
        assert _shown(carol, gid, sent.message_id).expires_at == pytest.approx(carol_clock.now + 86400)  # type: ignore[union-attr]

        # A day on everywhere: Alice's copy and Carol's (read) go; Bob's waits for his reading.
        for clock in (alice_clock, bob_clock, carol_clock):
            clock.now += 86400 + 1
        run_until(lambda: sent.message_id in _removed(alice) and sent.message_id in _removed(carol), people)
        assert _shown(bob, gid, sent.message_id) is not None
        for person in (alice, carol):
            assert _shown(person, gid, sent.message_id) is None
            pages.assert_gone(_folder(person), PASSPHRASE, secret)
        bob.engine.mark_read(gid)
        bob_clock.now += 86400 + 1
        run_until(lambda: sent.message_id in _removed(bob), people)
        pages.assert_gone(_folder(bob), PASSPHRASE, secret)
    finally:
        for person in people:
            person.close()


def test_what_expired_while_the_profile_was_closed_goes_at_unlock_and_an_unsent_copy_goes_too(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    (alice, bob), (alice_clock, _bob_clock) = _people(tmp_path, server.address, phone, "alice", "bob")
    people = [alice, bob]
    try:
        hello = alice.engine.send_text(bob.phone, "hello")
        _wait_shown(bob, alice.phone, hello.message_id, people)
        alice.engine.set_disappearing(300, contact=bob.phone)
        run_until(lambda: bob.engine.disappearing_timer(contact=alice.phone) == 300, people)

        # Written while the profile is closed to the network: never sent, and gone with its copy.
        alice.engine.logout()
        secret = "ᚠᚱᛁᛞᚨᚷ ᚨᛏ ᚾᛟᛟᚾ"
        unsent = alice.engine.send_text(bob.phone, secret)
        assert any(i.client_id == unsent.message_id for i in _ctx(alice).profile.outbox.pending())
        profile_id = next(p.profile_id for p in alice.engine.list_profiles())
        alice.engine.lock()
        alice_clock.now += 301
        before = len(alice.events)
        alice.engine.unlock(profile_id, PASSPHRASE)
        gone = [e for e in alice.events[before:] if isinstance(e, MessageChanged) and e.removed]
        assert [e.message.message_id for e in gone] == [unsent.message_id]
        assert _shown(alice, bob.phone, unsent.message_id) is None
        assert not any(
            i.client_id.startswith(unsent.message_id) for i in _ctx(alice).profile.outbox.pending()
        )
        alice.engine.lock()  # a closed profile's log is empty: the pages alone could hold it
        pages.assert_gone(_folder(alice), PASSPHRASE, secret)
        alice.engine.unlock(profile_id, PASSPHRASE)
        alice.engine.connect()
        marker = alice.engine.send_text(bob.phone, "after")
        _wait_shown(bob, alice.phone, marker.message_id, people)
        assert _shown(bob, alice.phone, unsent.message_id) is None
    finally:
        for person in people:
            person.close()


def test_a_delete_for_everyone_and_a_delete_for_me_leave_the_text_in_no_byte_of_the_profile(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    (alice, bob), _clocks = _people(tmp_path, server.address, phone, "alice", "bob")
    people = [alice, bob]
    try:
        for n in range(30):  # an index with other words in it
            alice.engine.send_text(bob.phone, f"filler message number {n}")
        everyone, mine = "ᛉᛊᛏᛒᛖᛗ ᛚᛜᛞ", "ᚺᚾᛁᛃᛇᛈ ᛟᚠᚢ"
        first = alice.engine.send_text(bob.phone, everyone)
        second = alice.engine.send_text(bob.phone, mine)
        _wait_shown(bob, alice.phone, first.message_id, people)
        _wait_shown(bob, alice.phone, second.message_id, people)
        pages.assert_present(_folder(bob), PASSPHRASE, everyone)
        pages.assert_present(_folder(bob), PASSPHRASE, mine)

        alice.engine.delete_for_everyone(first.message_id, contact=bob.phone)
        run_until(lambda: (m := _shown(bob, alice.phone, first.message_id)) is not None and m.deleted, people)
        bob.engine.delete_for_me(second.message_id, contact=alice.phone)
        for person in people:
            pages.assert_gone(_folder(person), PASSPHRASE, everyone)
        pages.assert_gone(_folder(bob), PASSPHRASE, mine)
        assert bob.engine.search(alice.phone, "filler") != []
    finally:
        for person in people:
            person.close()


def test_a_message_whose_time_is_up_is_in_no_backup_and_no_export(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    (alice, bob), (alice_clock, _bob_clock) = _people(tmp_path, server.address, phone, "alice", "bob")
    people = [alice, bob]
    try:
        alice.engine.set_disappearing(300, contact=bob.phone)
        kept = alice.engine.send_text(bob.phone, "written before the timer ran out")
        alice.engine.set_disappearing(0, contact=bob.phone)
        alice.engine.set_disappearing(300, contact=bob.phone)
        secret = "ᛒᛖᛗᛚᛜᛞ ᛟᚠᚢᚦᚨᚱ"
        due = alice.engine.send_text(bob.phone, secret)
        _wait_shown(bob, alice.phone, due.message_id, people)
        # Its time is up, and the engine's loop has not run since: the backup and the export look first.
        alice_clock.now += 301
        exported = alice.engine.export(tmp_path / "export", "json")
        text = b"".join(p.read_bytes() for p in exported.folder.rglob("*") if p.is_file())
        assert secret.encode("utf-8") not in text
        assert b"written before" not in text  # that one was due too: both went
        assert due.message_id in _removed(alice) and kept.message_id in _removed(alice)

        later = alice.engine.send_text(bob.phone, "ᚲᚷᚹ a new one")
        alice_clock.now += 301
        done = alice.engine.backup(tmp_path / "alice.parley-backup", "another backup passphrase")
        second = Person(tmp_path, "alice-computer-2")  # today's clock: what the backup holds is not due
        people.append(second)
        restored = second.engine.restore_profile(
            done.path, "another backup passphrase", label="Restored", passphrase=PASSPHRASE
        )
        second.engine.unlock(restored, PASSPHRASE)
        ids = {m.message_id for m in second.engine.history(bob.phone)}
        assert ids and not ids & {due.message_id, kept.message_id, later.message_id}
    finally:
        for person in people:
            person.close()


class ServerClock:
    """The server's wall clock plus ``offset`` seconds (its loop and timers read it from their threads)."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return time.time() + self.offset


def test_a_copy_the_server_held_past_the_senders_copy_is_never_delivered(
    tmp_path, server_factory, phone
) -> None:
    server_clock = ServerClock()
    server = server_factory(dev_codes=True, clock=server_clock)
    (alice, bob), _clocks = _people(tmp_path, server.address, phone, "alice", "bob")
    people = [alice, bob]
    try:
        hello = alice.engine.send_text(bob.phone, "hello")
        _wait_shown(bob, alice.phone, hello.message_id, people)
        alice.engine.set_disappearing(300, contact=bob.phone)
        run_until(lambda: bob.engine.disappearing_timer(contact=alice.phone) == 300, people)
        bob.engine.logout()
        late = alice.engine.send_text(bob.phone, "nobody fetched this in time")
        run_until(lambda: len(_ctx(alice).profile.outbox) == 0, [alice])  # the server holds it
        server_clock.offset = 301.0  # the sender's copy has gone by now: the server's must not arrive
        alice.engine.set_disappearing(0, contact=bob.phone)
        marker = alice.engine.send_text(bob.phone, "after it")
        run_until(lambda: len(_ctx(alice).profile.outbox) == 0, [alice])
        bob.engine.connect()
        _wait_shown(bob, alice.phone, marker.message_id, people)
        assert _shown(bob, alice.phone, late.message_id) is None
        assert bob.engine.disappearing_timer(contact=alice.phone) == 0
    finally:
        for person in people:
            person.close()
