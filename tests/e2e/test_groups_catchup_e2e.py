"""Groups over real TLS, the cases of catching up and failing: a member offline during changes, a
profile restored from a backup, a copy that fails for one member (and ``retry`` of only that copy),
and an invitation declined with a leave the members fold.

Real engines on their own profiles against an in-process server; every wait is bounded (``run_until``).
"""

from __future__ import annotations

import time
from pathlib import Path

from engine_support import PASSPHRASE, Person, pair, run_until

from net.client.core.events import MessageReceived
from storage.profile.messages import GroupChat

BACKUP_PASSPHRASE = "a backup passphrase of its own"


def _texts(person: Person, group_id: str) -> list[str]:
    if group_id not in {g.group_id for g in person.engine.groups()}:
        return []
    return [m.text for m in reversed(person.engine.history(group_id, limit=200)) if not m.notice]


def _shape(person: Person, group_id: str) -> tuple[object, ...] | None:
    """The group as the member's engine shows it (None while it holds no such group)."""
    if group_id not in {g.group_id for g in person.engine.groups()}:
        return None
    view = person.engine.group(group_id)
    return (view.name, view.version, tuple(m.phone for m in view.members))


def _quiet_for(people: list[Person], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for person in people:
            person.engine.poll(0.02)


def _reopen(tmp_path: Path, person: Person, profile_id: str) -> Person:
    again = Person(tmp_path, person.name)
    again.engine.unlock(profile_id, PASSPHRASE)
    again.engine.connect()
    again.phone = person.phone
    return again


def test_a_member_offline_during_a_rename_and_an_add_is_brought_up_to_date(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob, carol, dave = people = pair(tmp_path, server.address, phone, "alice", "bob", "carol", "dave")
    try:
        gid = alice.engine.create_group("Hikes", [bob.phone, carol.phone]).group_id
        run_until(lambda: all(gid in {g.group_id for g in p.engine.groups()} for p in (bob, carol)), people)
        profile_id = carol.engine.list_profiles()[0][0]
        carol.close()  # Carol's app is closed while the group changes
        online = [alice, bob, dave]
        alice.engine.rename_group(gid, "Hikes and huts")
        alice.engine.add_group_members(gid, [dave.phone])
        run_until(lambda: _shape(dave, gid) == _shape(alice, gid) == _shape(bob, gid), online)
        dave.engine.send_group_text(gid, "hello from the new one")
        run_until(lambda: _texts(bob, gid) == ["hello from the new one"], online)

        carol = _reopen(tmp_path, carol, profile_id)
        people = [alice, bob, carol, dave]
        run_until(lambda: _texts(carol, gid) == ["hello from the new one"], people)
        run_until(lambda: _shape(carol, gid) == _shape(alice, gid), people)
        assert carol.engine.group(gid).name == "Hikes and huts"
        assert dave.phone in [m.phone for m in carol.engine.group(gid).members]
    finally:
        for person in people:
            person.close()


def test_a_profile_restored_from_a_backup_catches_up_on_the_group_by_the_next_message(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob, carol, dave = people = pair(tmp_path, server.address, phone, "alice", "bob", "carol", "dave")
    second: Person | None = None
    try:
        gid = alice.engine.create_group("Choir", [bob.phone, carol.phone]).group_id
        alice.engine.send_group_text(gid, "before the backup")
        run_until(lambda: _texts(carol, gid) == ["before the backup"], people)
        done = carol.engine.backup(tmp_path / "carol.parley-backup", BACKUP_PASSPHRASE)

        # After the backup the group changes; Carol's first copy takes the changes (and the server
        # forgets them): the backup will never hold them.
        alice.engine.rename_group(gid, "Chamber choir")
        alice.engine.add_group_members(gid, [dave.phone])
        run_until(lambda: _shape(carol, gid) == _shape(alice, gid) == _shape(dave, gid), people)
        run_until(lambda: server.running.store.fetch(carol.phone, 0, 50)[0] == [], people)
        carol.close()

        second = Person(tmp_path, "carol-restored")
        restored = second.engine.restore_profile(
            done.path, BACKUP_PASSPHRASE, label="Carol", passphrase=PASSPHRASE + " 2"
        )
        second.engine.unlock(restored, PASSPHRASE + " 2")
        second.phone = carol.phone
        assert second.engine.group(gid).name == "Choir"  # as the backup left it
        second.engine.connect()
        people = [alice, bob, dave, second]

        # The next message from anyone (Bob, who made none of the changes) brings the restored copy up
        # to date.
        bob.engine.send_group_text(gid, "after the restore")
        run_until(lambda: "after the restore" in _texts(second, gid), people, timeout=40)
        run_until(lambda: _shape(second, gid) == _shape(alice, gid), people, timeout=40)
        assert second.engine.group(gid).name == "Chamber choir"
        assert dave.phone in [m.phone for m in second.engine.group(gid).members]
    finally:
        for person in people:
            person.close()
        if second is not None and second not in people:
            second.close()


def test_a_copy_that_fails_for_one_member_shows_failed_for_them_and_retry_resends_only_theirs(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob, carol = people = pair(tmp_path, server.address, phone, "alice", "bob", "carol")
    try:
        gid = alice.engine.create_group("Gone", [bob.phone, carol.phone]).group_id
        run_until(lambda: all(gid in {g.group_id for g in p.engine.groups()} for p in (bob, carol)), people)
        carol.engine.delete_account()
        people = [alice, bob]
        sent = alice.engine.send_group_text(gid, "who is still here?")
        run_until(lambda: _texts(bob, gid) == ["who is still here?"], people)
        run_until(
            lambda: (
                {r.member: r.failed for r in alice.engine.group_receipts(gid, sent.message_id)}
                == {bob.phone: "", carol.phone: "unknown_account"}
            ),
            people,
        )

        alice.engine.retry(gid, sent.message_id)
        ctx = alice.engine._ctx
        assert ctx is not None
        queued = [(i.contact, i.client_id) for i in ctx.profile.outbox.pending()]
        assert queued == [(carol.phone, sent.message_id)]  # Carol's copy only; Bob has his
        assert all(r.failed == "" for r in alice.engine.group_receipts(gid, sent.message_id))
        run_until(
            lambda: (
                [r.failed for r in alice.engine.group_receipts(gid, sent.message_id)]
                == ["", "unknown_account"]
            ),
            people,
        )
        _quiet_for(people, 0.5)
        got = [e for e in bob.of(MessageReceived) if e.message.message_id == sent.message_id]
        assert len(got) == 1
        assert ctx.profile.history.get(GroupChat(gid), sent.message_id, outgoing=True) is not None
    finally:
        for person in (alice, bob, carol):
            person.close()
