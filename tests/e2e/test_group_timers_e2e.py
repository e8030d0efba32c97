"""A group's disappearing timer over real TLS: a member added later gets it, and a change from a
member made admin by a change still on its way to us waits for that change instead of being lost.

Real engines on their own profiles against an in-process server; every wait is bounded
(``run_until``). The copies held back are taken out of the sender's outbox before its engine
runs again (an engine moves only inside ``poll``), so the order of arrival is the test's.
"""

from __future__ import annotations

from pathlib import Path

from engine_support import Person, run_until

from net.client import group_log, group_timers
from net.client.core.disappearing import TimerChange
from net.client.core.events import MessageView, TimerChanged
from net.client.core.group_payloads import GroupTag
from net.client.outbox import enqueue_copies
from storage.profile.messages import GroupChat

HOUR = 3600


def _ctx(person: Person):  # type: ignore[no-untyped-def]
    ctx = person.engine._ctx
    assert ctx is not None
    return ctx


def _register(tmp_path: Path, address: tuple[str, int], phone, *names: str) -> list[Person]:  # type: ignore[no-untyped-def]
    people = []
    for name in names:
        person = Person(tmp_path, name)
        person.register(address, phone())
        people.append(person)
    return people


def _know_each_other(people: list[Person]) -> None:
    for person in people:
        person.knows(*(other.phone for other in people if other is not person))


def _notices(person: Person, gid: str) -> list[MessageView]:
    return [m for m in person.engine.history(gid) if m.notice == "timer_changed"]


def _shown(person: Person, gid: str, message_id: str) -> MessageView | None:
    return next((m for m in person.engine.history(gid) if m.message_id == message_id), None)


def _group_of_three(people: list[Person]) -> str:
    alice, bob, carol = people[:3]
    gid = alice.engine.create_group("Boats", [bob.phone, carol.phone]).group_id
    three = (alice, bob, carol)
    run_until(lambda: all(gid in {g.group_id for g in p.engine.groups()} for p in three), people)
    return gid


def test_a_member_added_later_gets_the_groups_timer_with_its_own_time_and_one_notice(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob, carol, dave, erin = people = _register(
        tmp_path, server.address, phone, "alice", "bob", "carol", "dave", "erin"
    )
    _know_each_other([alice, bob, carol, dave])  # Erin knows nobody: Alice's add is an invitation
    try:
        gid = _group_of_three(people)
        alice.engine.set_disappearing(HOUR, group_id=gid)
        run_until(lambda: bob.engine.disappearing_timer(group_id=gid) == HOUR, people)
        run_until(lambda: carol.engine.disappearing_timer(group_id=gid) == HOUR, people)
        set_at = _ctx(alice).profile.timers.chat(GroupChat(gid)).set_at_ms

        alice.engine.add_group_members(gid, [dave.phone, erin.phone])
        run_until(lambda: gid in {g.group_id for g in dave.engine.groups()}, people)
        run_until(lambda: dave.engine.disappearing_timer(group_id=gid) == HOUR, people)
        (notice,) = _notices(dave, gid)
        assert (notice.notice_by, notice.notice_detail, notice.group_id) == (alice.phone, str(HOUR), gid)
        assert dave.of(TimerChanged) == [TimerChanged("", gid, HOUR, alice.phone)]
        # The setting keeps Alice's time: a later one from any admin still wins at Dave's as elsewhere.
        assert _ctx(dave).profile.timers.chat(GroupChat(gid)).set_at_ms == set_at
        for person in (bob, carol):
            assert len(_notices(person, gid)) == 1  # the old members are told nothing again

        # Dave's messages go under it, his own copy and everyone's copy of it.
        said = dave.engine.send_group_text(gid, "hello from dave")
        assert said.timer == HOUR and said.expires_at > 0
        assert {c.group_id: c.disappearing for c in dave.engine.conversations()}[gid] == HOUR
        old = (alice, bob, carol)
        run_until(lambda: all(_shown(p, gid, said.message_id) is not None for p in old), people)
        for person in old:
            assert _shown(person, gid, said.message_id).timer == HOUR  # type: ignore[union-attr]

        # Erin's invitation holds the timer; accepting it shows it, with the one notice.
        run_until(lambda: gid in {r.group_id for r in erin.engine.group_requests()}, people)
        run_until(lambda: erin.engine.disappearing_timer(group_id=gid) == HOUR, people)
        erin.engine.accept_group_request(gid)
        assert [n.notice_by for n in _notices(erin, gid)] == [alice.phone]
        written = erin.engine.send_group_text(gid, "hello from erin")
        assert written.timer == HOUR
        assert {c.group_id: c.disappearing for c in erin.engine.conversations()}[gid] == HOUR

        # A later change by an admin wins at the new members too.
        alice.engine.set_disappearing(0, group_id=gid)
        run_until(lambda: all(p.engine.disappearing_timer(group_id=gid) == 0 for p in people), people)
    finally:
        for person in people:
            person.close()


def test_a_timer_change_from_a_member_made_admin_by_a_change_still_on_its_way_waits_for_it(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    people = _register(tmp_path, server.address, phone, "alice", "bob", "carol")
    alice, bob, carol = people
    _know_each_other(people)
    try:
        gid = _group_of_three(people)

        # Bob, no admin, claims a version Carol has not got: it waits, Carol asks Bob, and Bob's
        # answer shows he is no admin, so it is dropped.
        cached = group_log.cached_state(_ctx(bob), _ctx(bob).profile.groups.get(gid))
        assert cached is not None
        crafted = TimerChange(HOUR, _ctx(bob).now_ms(), GroupTag(gid, cached.version + 1, cached.digest))
        enqueue_copies(_ctx(bob), [carol.phone], "d-crafted", crafted, group=gid)
        run_until(lambda: gid in _held(carol), people)
        run_until(lambda: gid not in _held(carol), people)
        assert carol.engine.disappearing_timer(group_id=gid) == 0
        assert _notices(carol, gid) == []

        # Alice makes Bob an admin; her word to Carol is held back until Bob's timer is there.
        alice.engine.set_group_admin(gid, bob.phone, True)
        ctx = _ctx(alice)
        (held,) = [i for i in ctx.profile.outbox.pending() if i.contact == carol.phone]
        ctx.profile.outbox.remove(held.client_id, carol.phone)
        run_until(lambda: _is_admin(bob, gid, bob.phone), people)
        bob.engine.set_disappearing(HOUR, group_id=gid)

        # Carol's copy does not count Bob an admin yet: his change waits, and she asks him for a
        # sync; his answer brings Alice's grant, and the waiting change is taken.
        run_until(lambda: carol.engine.disappearing_timer(group_id=gid) == HOUR, people)
        assert _is_admin(carol, gid, bob.phone)
        (notice,) = _notices(carol, gid)
        assert (notice.notice_by, notice.notice_detail) == (bob.phone, str(HOUR))
        assert carol.of(TimerChanged) == [TimerChanged("", gid, HOUR, bob.phone)]
        assert gid not in _held(carol)
        run_until(lambda: alice.engine.disappearing_timer(group_id=gid) == HOUR, people)

        # Alice's grant reaching Carol late changes nothing more.
        ctx.profile.outbox.enqueue(carol.phone, held.client_id, held.payload)
        marker = alice.engine.send_group_text(gid, "marker")
        run_until(lambda: _shown(carol, gid, marker.message_id) is not None, people)
        assert len(_notices(carol, gid)) == 1
        assert _shown(carol, gid, marker.message_id).timer == HOUR  # type: ignore[union-attr]
    finally:
        for person in people:
            person.close()


def test_a_setting_that_crossed_another_admins_add_reaches_the_new_member_from_its_setter(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    people = _register(tmp_path, server.address, phone, "alice", "bob", "carol", "dave", "erin")
    alice, bob, carol, dave, erin = people
    _know_each_other(people)
    try:
        gid = _group_of_three(people)
        alice.engine.set_group_admin(gid, bob.phone, True)
        run_until(lambda: _is_admin(bob, gid, bob.phone) and _is_admin(carol, gid, bob.phone), people)

        # Alice sets the timer while Bob, who has not heard of it, adds Dave: Bob's add carries no
        # timer, so Alice, whose setting it is, passes hers on when his add reaches her.
        alice.engine.set_disappearing(HOUR, group_id=gid)
        bob.engine.add_group_members(gid, [dave.phone])
        run_until(lambda: gid in {g.group_id for g in dave.engine.groups()}, people)
        run_until(lambda: dave.engine.disappearing_timer(group_id=gid) == HOUR, people)
        (notice,) = _notices(dave, gid)
        assert (notice.notice_by, notice.notice_detail) == (alice.phone, str(HOUR))
        run_until(lambda: bob.engine.disappearing_timer(group_id=gid) == HOUR, people)

        # Bob adds Erin later: he passes on Alice's setting as hers, with her time.
        bob.engine.add_group_members(gid, [erin.phone])
        run_until(lambda: gid in {g.group_id for g in erin.engine.groups()}, people)
        run_until(lambda: erin.engine.disappearing_timer(group_id=gid) == HOUR, people)
        assert [n.notice_by for n in _notices(erin, gid)] == [alice.phone]
        assert erin.of(TimerChanged) == [TimerChanged("", gid, HOUR, alice.phone)]
        standing = _ctx(erin).profile.timers.chat(GroupChat(gid))
        assert standing == _ctx(alice).profile.timers.chat(GroupChat(gid))
        assert standing.set_by == alice.phone
    finally:
        for person in people:
            person.close()


def _held(person: Person) -> dict[str, object]:
    found = _ctx(person).profile.settings.get(group_timers.PENDING)
    return found if isinstance(found, dict) else {}


def _is_admin(person: Person, gid: str, phone: str) -> bool:
    return any(m.phone == phone and m.admin for m in person.engine.group(gid).members)
