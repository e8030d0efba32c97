"""The fan-out on a real profile: one copy per member under one client id, none for ourselves, and
our name to the members of accepted groups only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from group_engine_support import Engine
from group_support import ALICE, BOB, CAROL, DAVE, change, created

from net.client import group_fanout, group_inbox, group_log, groups
from net.client.core.envelope import GroupChangePayload, GroupStatePayload, ProfilePayload, Text
from net.client.core.group_changes import ChangeKind
from net.client.core.groups import Group


@pytest.fixture
def alice(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(tmp_path, ALICE, pinned=(BOB, CAROL, DAVE))
    engine.ctx.profile.account.set_display_name("Alice")
    yield engine
    engine.close()


def test_a_group_text_is_one_copy_per_member_under_one_client_id_and_none_for_us(alice: Engine) -> None:
    gid = groups.create(alice.ctx, alice.duties, "Book club", [BOB, CAROL]).group_id
    before = {(q.contact, q.client_id) for q in alice.queued()}
    sent = groups.send_text(alice.ctx, alice.duties, gid, "chapter three?")
    texts = [q for q in alice.queued() if (q.contact, q.client_id) not in before]
    assert sorted(q.contact for q in texts) == [BOB, CAROL]
    assert {q.client_id for q in texts} == {sent.message_id}
    assert all(isinstance(q.payload, Text) and q.payload.text == "chapter three?" for q in texts)
    assert all(q.group == gid and q.message_id == sent.message_id for q in texts)
    assert ALICE not in {q.contact for q in alice.queued()}


def test_recipients_are_the_members_but_us_and_nobody_once_we_are_out(alice: Engine) -> None:
    made = created(members=(BOB, CAROL))
    assert group_fanout.recipients(alice.ctx, Group(made.change.group_id, ALICE, [made]).state) == [
        BOB,
        CAROL,
    ]
    left = change(made, ALICE, 2, ChangeKind.LEAVE)
    assert group_fanout.recipients(alice.ctx, Group(made.change.group_id, ALICE, [made, left]).state) == []
    assert group_fanout.recipients(alice.ctx, None) == []


def test_a_change_goes_to_the_members_before_and_after_and_an_added_member_gets_the_whole_log(
    alice: Engine,
) -> None:
    gid = groups.create(alice.ctx, alice.duties, "Book club", [BOB, CAROL]).group_id
    with alice.ctx.profile.transaction():
        for item in alice.ctx.profile.outbox.pending():
            alice.ctx.profile.outbox.remove(item.client_id, item.contact)
    groups.add_members(alice.ctx, alice.duties, gid, [DAVE])
    copies = alice.queued()
    told = {q.contact for q in copies if isinstance(q.payload, GroupChangePayload)}
    assert told == {BOB, CAROL}  # the add itself to the members who were there
    (state,) = [q for q in copies if isinstance(q.payload, GroupStatePayload)]
    assert state.contact == DAVE and [s.change.kind for s in state.payload.changes] == [
        ChangeKind.CREATE,
        ChangeKind.ADD,
    ]
    groups.remove_member(alice.ctx, alice.duties, gid, CAROL)
    removal = [q for q in alice.queued() if q not in copies]
    assert {q.contact for q in removal if isinstance(q.payload, GroupChangePayload)} == {BOB, CAROL, DAVE}


def test_our_name_goes_to_the_members_of_an_accepted_group_only_once(alice: Engine) -> None:
    gid = groups.create(alice.ctx, alice.duties, "Book club", [BOB, CAROL]).group_id
    names = [q.contact for q in alice.queued() if isinstance(q.payload, ProfilePayload)]
    assert sorted(names) == [BOB, CAROL]
    groups.send_text(alice.ctx, alice.duties, gid, "again")
    assert len([q for q in alice.queued() if isinstance(q.payload, ProfilePayload)]) == 2  # once per version


def test_no_name_goes_to_an_invitations_members(tmp_path: Path) -> None:
    bob = Engine(tmp_path, BOB)
    try:
        bob.pin(ALICE, standing="request")  # Alice is a stranger to Bob
        bob.ctx.profile.account.set_display_name("Bob")
        made = created(members=(BOB, CAROL))
        with bob.ctx.profile.transaction():
            group_inbox.take_changes(bob.ctx, ALICE, [made], relayed=False)
        assert bob.ctx.profile.groups.get(made.change.group_id).standing == "request"  # type: ignore[union-attr]
        assert bob.queued() == []
        groups.accept_request(bob.ctx, bob.duties, made.change.group_id)
        assert sorted(q.contact for q in bob.queued() if isinstance(q.payload, ProfilePayload)) == [
            ALICE,
            CAROL,
        ]
        assert group_log.load(bob.ctx, made.change.group_id).state is not None
    finally:
        bob.close()
