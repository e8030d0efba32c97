"""The group commands on a real profile: make, change, decline (a signed leave to the members), block
(quiet), receipts with failed copies, and retry of only the copies that failed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from group_engine_support import Engine
from group_support import ALICE, BOB, CAROL, DAVE, created

from net.client import group_copies, group_inbox, groups
from net.client.core.engine_error import EngineError
from net.client.core.envelope import GroupChangePayload, Text
from net.client.core.group_changes import ChangeKind, SignedChange
from net.client.core.groups import Group


@pytest.fixture
def alice(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(tmp_path, ALICE, pinned=(BOB, CAROL, DAVE))
    yield engine
    engine.close()


def _clear_outbox(engine: Engine) -> None:
    with engine.ctx.profile.transaction():
        for item in engine.ctx.profile.outbox.pending():
            engine.ctx.profile.outbox.remove(item.client_id, item.contact)


def _invited(tmp_path: Path) -> tuple[Engine, SignedChange]:
    """Bob, invited by Alice, who is a stranger to him, into a group with Carol; and its create."""
    bob = Engine(tmp_path, BOB)
    bob.pin(ALICE, standing="request")
    made = created(members=(BOB, CAROL))
    with bob.ctx.profile.transaction():
        group_inbox.take_changes(bob.ctx, ALICE, [made], relayed=False)
    return bob, made


def test_a_made_group_has_us_as_admin_and_every_change_is_noted(alice: Engine) -> None:
    made = groups.create(alice.ctx, alice.duties, "Book club", [BOB, CAROL])
    assert made.admin and [m.phone for m in made.members] == [ALICE, BOB, CAROL]
    groups.rename(alice.ctx, alice.duties, made.group_id, "Books")
    groups.set_admin(alice.ctx, alice.duties, made.group_id, BOB, True)
    shown = groups.one(alice.ctx, made.group_id)
    assert (shown.name, shown.version, [m.admin for m in shown.members]) == ("Books", 3, [True, True, False])
    assert [g.group_id for g in groups.every(alice.ctx)] == [made.group_id]


def test_declining_sends_a_signed_leave_to_every_member_and_deletes_the_group(tmp_path: Path) -> None:
    bob, made = _invited(tmp_path)
    gid = made.change.group_id
    try:
        assert bob.queued() == []
        groups.decline_request(bob.ctx, bob.duties, gid)
        leaves = bob.queued()
        assert sorted(q.contact for q in leaves) == [ALICE, CAROL]
        assert len({q.client_id for q in leaves}) == 1
        for q in leaves:
            assert isinstance(q.payload, GroupChangePayload)
            assert (q.payload.signed.change.kind, q.payload.signed.change.by) == (ChangeKind.LEAVE, BOB)
        # The members fold it: Bob is out of the group they hold, so they send him nothing more.
        leave = leaves[0].payload
        assert isinstance(leave, GroupChangePayload)
        folded = Group(gid, ALICE, [made, leave.signed])
        assert folded.state is not None and BOB not in folded.state.phones
        assert bob.ctx.profile.groups.get(gid) is None and groups.requests(bob.ctx) == []
        with pytest.raises(EngineError) as again:
            groups.decline_request(bob.ctx, bob.duties, gid)
        assert again.value.code == "unknown_group"
    finally:
        bob.close()


def test_blocking_the_inviter_is_quiet(tmp_path: Path) -> None:
    bob, made = _invited(tmp_path)
    gid = made.change.group_id
    try:
        groups.block_inviter(bob.ctx, gid)
        assert bob.queued() == []
        assert bob.ctx.profile.contacts.get(ALICE).standing == "blocked"  # type: ignore[union-attr]
        assert bob.ctx.profile.groups.get(gid) is None
    finally:
        bob.close()


def test_a_failed_copy_shows_for_its_member_and_retry_queues_only_that_copy(alice: Engine) -> None:
    gid = groups.create(alice.ctx, alice.duties, "Book club", [BOB, CAROL]).group_id
    sent = groups.send_text(alice.ctx, alice.duties, gid, "still there?")
    with pytest.raises(EngineError) as nothing:
        groups.retry(alice.ctx, alice.duties, gid, sent.message_id)
    assert nothing.value.code == "not_failed"
    _clear_outbox(alice)
    with alice.ctx.profile.transaction():
        group_copies.failed(alice.ctx, gid, sent.message_id, CAROL, "unknown_account")
    shown = {r.member: r.failed for r in groups.receipts(alice.ctx, gid, sent.message_id)}
    assert shown == {BOB: "", CAROL: "unknown_account"}

    groups.retry(alice.ctx, alice.duties, gid, sent.message_id)
    (copy,) = alice.queued()
    assert (copy.contact, copy.client_id, copy.group) == (CAROL, sent.message_id, gid)
    assert isinstance(copy.payload, Text) and copy.payload.text == "still there?"
    assert all(r.failed == "" for r in groups.receipts(alice.ctx, gid, sent.message_id))


def test_retry_sends_nothing_to_a_member_removed_since(alice: Engine) -> None:
    gid = groups.create(alice.ctx, alice.duties, "Book club", [BOB, CAROL]).group_id
    sent = groups.send_text(alice.ctx, alice.duties, gid, "hello")
    with alice.ctx.profile.transaction():
        group_copies.failed(alice.ctx, gid, sent.message_id, CAROL, "unknown_account")
    groups.remove_member(alice.ctx, alice.duties, gid, CAROL)
    _clear_outbox(alice)
    groups.retry(alice.ctx, alice.duties, gid, sent.message_id)
    assert alice.queued() == []
    assert group_copies.of(alice.ctx, gid, sent.message_id) == {}


def test_a_group_text_is_refused_once_we_left(alice: Engine) -> None:
    gid = groups.create(alice.ctx, alice.duties, "Book club", [BOB, CAROL]).group_id
    assert groups.leave(alice.ctx, alice.duties, gid).standing == "left"
    with pytest.raises(EngineError) as refused:
        groups.send_text(alice.ctx, alice.duties, gid, "hello?")
    assert (refused.value.code, str(refused.value)) == ("not_a_member", "You are not a member of this group.")
