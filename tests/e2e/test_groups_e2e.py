"""Groups over real TLS: every member folds the same group, gets each message once, and receipts count.

Real engines (each on its own profile) against an in-process server; every wait is bounded
(``run_until``). A group's copies go in ``send_many``\\ s; the tests look at what each member's
engine shows (views, pages, events), and at what the server holds for those who must get nothing.
"""

from __future__ import annotations

import time

from engine_support import Person, pair, run_until

from net.client.core.events import GroupChanged, MessageReceived, TypingChanged


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
                [m for m in alice.engine.history(gid) if m.message_id == first.message_id][0].delivered_count
                == 2
            ),
            people,
        )
        bob.engine.mark_read(gid)
        run_until(
            lambda: (
                [m for m in alice.engine.history(gid) if m.message_id == first.message_id][0].read_count == 1
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
        renamed = [m for m in carol.engine.history(gid) if m.notice == "group_renamed"][0]
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
                _group_texts(alice, gid)[-1:] == ["welcome, me"] and _group_texts(bob, gid)[-1:] == ["welcome, me"]
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
