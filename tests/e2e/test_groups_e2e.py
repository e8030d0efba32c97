"""Groups over real TLS: every member folds the same group, gets each message once, and receipts count.

Real engines (each on its own profile) against an in-process server; every wait is bounded
(``run_until``). A group's copies go in ``send_many``\\ s; the tests look at what each member's
engine shows (views, pages, events), and at what the server holds for those who must get nothing.
"""

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

from engine_support import PASSPHRASE, Person, pair, run_until

from net.client.core.events import GroupChanged, MessageReceived, TypingChanged

HARNESS = Path(__file__).resolve().parent.parent / "engine_harness.py"


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


def _quiet_for(people: list[Person], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for person in people:
            person.engine.poll(0.02)


def _group_texts(person: Person, group_id: str) -> list[str]:
    return [
        e.message.text
        for e in person.of(MessageReceived)
        if e.message.group_id == group_id and not e.message.notice
    ]


def _shape(person: Person, group_id: str) -> tuple[object, ...] | None:
    """The group as a member's engine shows it: name, version, members with their admin marks."""
    if group_id not in {g.group_id for g in person.engine.groups()}:
        return None
    view = person.engine.group(group_id)
    return (view.name, view.version, tuple((m.phone, m.admin) for m in view.members))


def _same_everywhere(people: list[Person], group_id: str, everyone: list[Person]) -> None:
    try:
        _run_same(people, group_id, everyone)
    except AssertionError:
        raise AssertionError(f"not the same: {[_shape(p, group_id) for p in people]}") from None


def _run_same(people: list[Person], group_id: str, everyone: list[Person]) -> None:
    run_until(
        lambda: None not in (shapes := {_shape(p, group_id) for p in people}) and len(shapes) == 1,
        everyone,
    )


def test_a_group_is_made_changed_and_seen_the_same_by_every_member(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    alice, bob, carol, dave = people = pair(tmp_path, server.address, phone, "alice", "bob", "carol", "dave")
    try:
        made = alice.engine.create_group("Climbing", [bob.phone, carol.phone])
        gid = made.group_id
        assert [m.phone for m in made.members] == [alice.phone, bob.phone, carol.phone] and made.admin
        _same_everywhere([alice, bob, carol], gid, people)
        assert bob.engine.group(gid).standing == "member"  # Alice is Bob's contact: no request

        first = alice.engine.send_group_text(gid, "ropes at six?")
        run_until(
            lambda: (
                _group_texts(bob, gid) == ["ropes at six?"] and _group_texts(carol, gid) == ["ropes at six?"]
            ),
            people,
        )
        (shown,) = [m for m in bob.engine.history(gid) if not m.notice]
        assert (shown.sender, shown.group_id, shown.contact) == (alice.phone, gid, "")

        # Receipts per member: delivered to 2 of 2, then read by 1 of 2.
        run_until(
            lambda: (
                next(m for m in alice.engine.history(gid) if m.message_id == first.message_id).delivered_count
                == 2
            ),
            people,
        )
        bob.engine.mark_read(gid)
        run_until(
            lambda: (
                next(m for m in alice.engine.history(gid) if m.message_id == first.message_id).read_count == 1
            ),
            people,
        )
        receipts = {r.member: r for r in alice.engine.group_receipts(gid, first.message_id)}
        assert set(receipts) == {bob.phone, carol.phone}
        assert receipts[bob.phone].read_at is not None and receipts[carol.phone].read_at is None
        assert receipts[carol.phone].delivered_at is not None

        # Add Dave: he folds the whole log, and gets nothing sent before his join.
        alice.engine.add_group_members(gid, [dave.phone])
        _same_everywhere([alice, bob, carol, dave], gid, people)
        assert _group_texts(dave, gid) == []
        alice.engine.set_group_admin(gid, bob.phone, True)
        _same_everywhere([alice, bob, carol, dave], gid, people)
        bob.engine.rename_group(gid, "Climbing club")
        _same_everywhere([alice, bob, carol, dave], gid, people)
        assert dave.engine.group(gid).name == "Climbing club"
        notes = [m.notice for m in carol.engine.history(gid) if m.notice]
        assert notes[::-1][:4] == ["group_created", "member_added", "admin_granted", "group_renamed"]
        renamed = next(m for m in carol.engine.history(gid) if m.notice == "group_renamed")
        assert (renamed.notice_by, renamed.notice_detail) == (bob.phone, "Climbing club")

        # Typing goes to the group.
        dave.engine.set_typing(gid, True)
        run_until(
            lambda: any(e.group_id == gid and e.contact == dave.phone for e in carol.of(TypingChanged)),
            people,
        )

        # Remove Carol: she learns it and gets nothing after; the others do.
        bob.engine.remove_group_member(gid, carol.phone)
        run_until(lambda: carol.engine.group(gid).standing == "removed", people)
        _same_everywhere([alice, bob, dave], gid, people)
        dave.engine.send_group_text(gid, "welcome, me")
        run_until(
            lambda: (
                _group_texts(alice, gid)[-1:] == ["welcome, me"]
                and _group_texts(bob, gid)[-1:] == ["welcome, me"]
            ),
            people,
        )
        _quiet_for(people, 1.0)
        assert _group_texts(carol, gid) == ["ropes at six?"]
        assert server.running.store.fetch(carol.phone, 0, 50)[0] == []

        # Leave: the group goes on without Alice.
        alice.engine.leave_group(gid)
        run_until(
            lambda: all(
                alice.phone not in [m.phone for m in p.engine.group(gid).members] for p in (bob, dave)
            ),
            people,
        )
        assert alice.engine.group(gid).standing == "left"
        assert [c.name for c in dave.engine.conversations() if c.group_id == gid] == ["Climbing club"]
        assert any(isinstance(e, GroupChanged) for e in dave.events)
    finally:
        for person in people:
            person.close()


def test_a_strangers_invitation_is_a_request_and_nothing_goes_back_until_accepted(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = people = pair(tmp_path, server.address, phone, "alice", "bob", known=False)
    try:
        gid = alice.engine.create_group("Strangers' club", [bob.phone]).group_id
        alice.engine.send_group_text(gid, "hello, we have not met")
        run_until(lambda: [r.group_id for r in bob.engine.group_requests()] == [gid], people)
        (request,) = bob.engine.group_requests()
        assert (request.name, request.inviter, request.members) == ("Strangers' club", alice.phone, 2)
        assert bob.engine.groups() == [] and bob.engine.conversations() == []
        bob.engine.mark_read(gid)
        bob.engine.set_typing(gid, True)
        _quiet_for(people, 1.5)
        assert server.running.store.fetch(alice.phone, 0, 10)[0] == []  # no receipt, no name, no typing
        assert not alice.of(TypingChanged)

        assert bob.engine.accept_group_request(gid).standing == "member"
        later = alice.engine.send_group_text(gid, "thanks")
        run_until(lambda: _group_texts(bob, gid)[-1:] == ["thanks"], people)
        run_until(lambda: alice.engine.contact(bob.phone).profile_name == "bob", people)  # his name went
        bob.engine.send_group_text(gid, "you are welcome")
        run_until(lambda: _group_texts(alice, gid) == ["you are welcome"], people)
        run_until(lambda: "delivered" in alice.statuses(later.message_id), people)

        # A second invitation, declined: Bob's signed leave goes to the group, Alice folds it and
        # sends him nothing more; nothing else went back (no receipt, no name).
        other = alice.engine.create_group("Another", [bob.phone]).group_id
        alice.engine.send_group_text(other, "join us")
        run_until(lambda: other in [r.group_id for r in bob.engine.group_requests()], people)
        bob.engine.decline_group_request(other)
        assert other not in [r.group_id for r in bob.engine.group_requests()]
        run_until(lambda: [m.phone for m in alice.engine.group(other).members] == [alice.phone], people)
        (left,) = [m for m in alice.engine.history(other) if m.notice == "member_left"]
        assert left.notice_by == bob.phone
        alice.engine.send_group_text(other, "still there?")
        _quiet_for(people, 1.0)
        assert "still there?" not in _group_texts(bob, other)
        assert server.running.store.fetch(bob.phone, 0, 10)[0] == []
        assert [g.group_id for g in bob.engine.groups()] == [gid]
    finally:
        for person in people:
            person.close()


def test_a_members_key_change_holds_only_that_members_copy(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    alice, bob, carol = people = pair(tmp_path, server.address, phone, "alice", "bob", "carol")
    try:
        gid = alice.engine.create_group("Keys", [bob.phone, carol.phone]).group_id
        _same_everywhere(people, gid, people)
        alice.engine.send_group_text(gid, "before")
        run_until(
            lambda: _group_texts(carol, gid) == ["before"] and _group_texts(bob, gid) == ["before"], people
        )
        # Carol's key changes on Alice's side, as a re-registration would show it.
        ctx = alice.engine._ctx
        assert ctx is not None
        with ctx.profile.transaction():
            ctx.profile.contacts.save(
                replace(ctx.profile.contacts.get(carol.phone), key_changed=True)  # type: ignore[arg-type]
            )
            from net.client import notices

            notices.key_changed(ctx, carol.phone)
        held = alice.engine.send_group_text(gid, "after")
        run_until(lambda: _group_texts(bob, gid)[-1:] == ["after"], people)
        _quiet_for(people, 1.0)
        assert _group_texts(carol, gid) == ["before"]  # held for Carol only
        assert [m.notice_who for m in alice.engine.history(gid) if m.notice == "key_changed"] == [carol.phone]
        alice.engine.accept_key_change(carol.phone)
        run_until(lambda: _group_texts(carol, gid) == ["before", "after"], people)
        assert held.message_id in [m.message_id for m in carol.engine.history(gid)]
    finally:
        for person in people:
            person.close()


def test_a_sender_killed_halfway_through_a_fanout_gets_the_message_to_every_member_once(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, *members = people = pair(tmp_path, server.address, phone, "alice", "bob", "carol", "dave", "erin")
    process: subprocess.Popen[str] | None = None
    again: Person | None = None
    try:
        gid = alice.engine.create_group("Kill", [m.phone for m in members]).group_id
        _same_everywhere(people, gid, people)
        profile_id = alice.engine.list_profiles()[0][0]
        alice.engine.logout()
        alice.engine.send_group_text(gid, "exactly once")
        alice.close()

        process = subprocess.Popen(
            [sys.executable, str(HARNESS), str(alice.root), profile_id, "--stop-halfway-fanout"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
        _wait_for_line(lines, "FANNED-HALFWAY")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        run_until(lambda: sum(_group_texts(m, gid) == ["exactly once"] for m in members) == 2, members)

        again = Person(tmp_path, "alice")
        again.engine.unlock(profile_id, PASSPHRASE)
        again.engine.connect()
        run_until(lambda: all(_group_texts(m, gid) == ["exactly once"] for m in members), [again, *members])
        _quiet_for([again, *members], 1.0)
        assert all(_group_texts(m, gid) == ["exactly once"] for m in members)
        assert all(
            [x.text for x in m.engine.history(gid) if not x.notice] == ["exactly once"] for m in members
        )
    finally:
        if process is not None and process.poll() is None:
            process.kill()
        if again is not None:
            again.close()
        for person in members:
            person.close()


def _reopen(tmp_path: Path, person: Person) -> Person:
    """The same profile in a new engine, as after a restart of the app."""
    profile_id = person.engine.list_profiles()[0][0]
    person.close()
    again = Person(tmp_path, person.name)
    again.engine.unlock(profile_id, PASSPHRASE)
    again.engine.connect()
    again.phone = person.phone
    return again


def test_five_people_through_races_and_a_restart_converge_and_get_each_message_once(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    people = pair(tmp_path, server.address, phone, "alice", "bob", "carol", "dave", "erin")
    alice, bob, carol, dave, erin = people
    try:
        gid = alice.engine.create_group("Five", [bob.phone, carol.phone, dave.phone]).group_id
        alice.engine.set_group_admin(gid, bob.phone, True)
        _same_everywhere([alice, bob, carol, dave], gid, people)

        # Two admins at once, neither having seen the other's change: a rename each, Alice removes
        # Carol while Bob adds Erin, and Carol writes while she is being removed.
        alice.engine.rename_group(gid, "Alice's name")
        bob.engine.rename_group(gid, "Bob's name")
        alice.engine.remove_group_member(gid, carol.phone)
        bob.engine.add_group_members(gid, [erin.phone])
        raced = carol.engine.send_group_text(gid, "said while being removed")
        # Delivered in different orders: each member polls alone for a while, in another order.
        for order in (people, people[::-1], [carol, erin, alice, dave, bob]):
            for person in order:
                person.engine.poll(0.3)
        everyone_in = [alice, bob, dave, erin]
        # Alice never told Erin of her own changes (Erin was not in her group then): the next message
        # brings her up to date (its version and digest differ from hers, so she asks for the changes).
        run_until(lambda: erin.engine.group(gid).version > 0, people)
        alice.engine.send_group_text(gid, "after the race")
        _same_everywhere(everyone_in, gid, people)
        run_until(lambda: carol.engine.group(gid).standing == "removed", people)
        view = alice.engine.group(gid)
        assert [m.phone for m in view.members] == [alice.phone, bob.phone, dave.phone, erin.phone]
        assert view.name in ("Alice's name", "Bob's name")
        # The racing text is decided by the changes alone: the same on every member who was in then.
        run_until(lambda: all(raced.message_id in _ids(p, gid) for p in (alice, bob, dave)), people)
        assert raced.message_id not in _ids(erin, gid)  # sent before Erin's join

        # A restart in the middle: Dave's app closes, a message goes, Dave comes back.
        dave = _reopen(tmp_path, dave)
        people = [alice, bob, carol, dave, erin]
        messages = [
            alice.engine.send_group_text(gid, "one"),
            erin.engine.send_group_text(gid, "two"),
            bob.engine.send_group_text(gid, "three"),
        ]
        wanted = {m.message_id for m in messages}
        for member in [alice, bob, dave, erin]:
            run_until(
                lambda m=member: wanted <= _ids(m, gid) | _own(m, gid),
                people,
            )
        _quiet_for(people, 1.0)
        for member in [alice, bob, dave, erin]:
            texts = [m.message_id for m in member.engine.history(gid, limit=200) if not m.notice]
            assert len(texts) == len(set(texts))  # each once
            assert wanted <= set(texts)
        assert not wanted & _ids(carol, gid)  # the removed member gets nothing after
        _same_everywhere([alice, bob, dave, erin], gid, people)
    finally:
        for person in people:
            person.close()


def _ids(person: Person, group_id: str) -> set[str]:
    """The ids of the group's incoming messages the member's history holds."""
    return {
        m.message_id for m in person.engine.history(group_id, limit=200) if not m.notice and not m.outgoing
    }


def _own(person: Person, group_id: str) -> set[str]:
    return {m.message_id for m in person.engine.history(group_id, limit=200) if m.outgoing}
