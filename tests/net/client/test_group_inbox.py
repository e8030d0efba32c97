"""What arrives for a group, on a real profile: texts accepted, kept pending or dropped; pending texts
decided after the sync or the timeout (a fake clock); invitations; receipts counted per member."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from group_engine_support import Engine
from group_support import ALICE, BOB, CAROL, DAVE, change, created

from net.client import group_inbox, group_log
from net.client.core.envelope import Delivered, GroupStatePayload, Read, Text
from net.client.core.events import Event, MessageReceived, MessageStatus, MessageStatusChanged
from net.client.core.group_changes import ChangeKind, SignedChange
from net.client.core.group_messages import PENDING_TIMEOUT_MS
from net.client.core.groups import Group
from storage.profile.messages import GroupChat


@pytest.fixture
def bob(tmp_path: Path) -> Iterator[Engine]:
    """Bob, who knows Alice, Carol and Dave (all accepted contacts, identities pinned)."""
    engine = Engine(tmp_path, BOB, pinned=(ALICE, CAROL, DAVE))
    yield engine
    engine.close()


def _joined(bob: Engine, *changes: SignedChange) -> str:
    with bob.ctx.profile.transaction():
        group_inbox.take_changes(bob.ctx, changes[0].change.by, list(changes), relayed=True)
    return changes[0].change.group_id


def _text(group: Group, message_id: str, text: str = "hi") -> Text:
    return Text(message_id, 1, text, group.tag())


def _texts(bob: Engine, gid: str) -> list[str]:
    return [
        m.text for m in bob.ctx.profile.history.page(GroupChat(gid), limit=50).messages if m.kind == "text"
    ]


def _take(bob: Engine, sender: str, payload: Text) -> list[object]:
    with bob.ctx.profile.transaction():
        return list(group_inbox.take_text(bob.ctx, sender, payload, 1_000))


def test_a_members_text_is_accepted_stored_and_answered_with_a_delivery_receipt(bob: Engine) -> None:
    made = created(members=(BOB, CAROL))
    gid = _joined(bob, made)
    events = _take(bob, CAROL, _text(Group(gid, CAROL, [made]), "m-1", "hello"))
    assert [type(e) for e in events] == [MessageReceived] and _texts(bob, gid) == ["hello"]
    assert [(q.contact, q.payload) for q in bob.queued() if isinstance(q.payload, Delivered)] == [
        (CAROL, Delivered(("m-1",)))
    ]
    assert _take(bob, CAROL, _text(Group(gid, CAROL, [made]), "m-1", "hello")) == []  # once


def test_a_text_from_someone_who_was_not_a_member_is_dropped(bob: Engine) -> None:
    made = created(members=(BOB, CAROL))
    gid = _joined(bob, made)
    assert _take(bob, DAVE, _text(Group(gid, DAVE, [made]), "m-2")) == []
    assert _texts(bob, gid) == [] and group_inbox._pending(bob.ctx) == {}


def test_a_text_after_we_were_removed_is_dropped_and_nothing_goes_back(bob: Engine) -> None:
    made = created(members=(BOB, CAROL))
    removed = change(made, ALICE, 2, ChangeKind.REMOVE, who=BOB)
    gid = _joined(bob, made, removed)
    before = len(bob.queued())
    assert _take(bob, CAROL, _text(Group(gid, CAROL, [made, removed]), "m-3")) == []
    assert _texts(bob, gid) == [] and len(bob.queued()) == before


def test_a_text_from_a_sender_ahead_of_us_waits_asks_for_a_sync_and_is_decided_by_its_answer(
    bob: Engine,
) -> None:
    made = created(members=(BOB, CAROL))
    gid = _joined(bob, made)
    added = change(made, ALICE, 2, ChangeKind.ADD, who=DAVE)
    ahead = Group(gid, DAVE, [made, added])
    assert _take(bob, DAVE, _text(ahead, "m-4", "from the new one")) == []
    assert [t["m"] for t in group_inbox._pending(bob.ctx)[gid]] == ["m-4"]
    (asked,) = [q for q in bob.queued() if isinstance(q.payload, GroupStatePayload)]
    assert asked.contact == DAVE and asked.payload.want
    # Dave's answer brings the add: the pending text is decided, and shown.
    with bob.ctx.profile.transaction():
        events = group_inbox.take_state(bob.ctx, DAVE, GroupStatePayload(gid, (made, added), False))
    assert any(isinstance(e, MessageReceived) for e in events)
    assert _texts(bob, gid) == ["from the new one"] and group_inbox._pending(bob.ctx) == {}


def test_a_pending_text_is_decided_after_the_timeout_with_what_we_have(bob: Engine) -> None:
    made = created(members=(BOB, CAROL))
    gid = _joined(bob, made)
    ahead = Group(gid, DAVE, [made, change(made, ALICE, 2, ChangeKind.ADD, who=DAVE)])
    _take(bob, DAVE, _text(ahead, "m-5"))
    bob.clock.now += PENDING_TIMEOUT_MS / 1000 - 1
    with bob.ctx.profile.transaction():
        assert group_inbox.decide_pending(bob.ctx) == []
    assert gid in group_inbox._pending(bob.ctx)  # still waiting, a second short of the bound
    bob.clock.now += 2
    with bob.ctx.profile.transaction():
        assert group_inbox.decide_pending(bob.ctx) == []
    assert group_inbox._pending(bob.ctx) == {}  # decided: Dave is no member by our changes, dropped
    assert _texts(bob, gid) == []


def test_an_invitation_from_a_stranger_is_a_request_and_its_texts_answer_nothing(tmp_path: Path) -> None:
    carol = Engine(tmp_path, CAROL)
    try:
        carol.pin(ALICE, standing="request")
        made = created(members=(BOB, CAROL))
        gid = _joined(carol, made)
        assert carol.ctx.profile.groups.get(gid).standing == "request"  # type: ignore[union-attr]
        _take(carol, ALICE, _text(Group(gid, ALICE, [made]), "m-6", "join us"))
        assert _texts(carol, gid) == ["join us"] and carol.queued() == []
        assert not group_inbox.typing_shown(carol.ctx, ALICE, gid)
    finally:
        carol.close()


def test_a_group_we_were_never_named_in_is_not_kept(bob: Engine) -> None:
    made = created(members=(CAROL, DAVE))
    with bob.ctx.profile.transaction():
        assert group_inbox.take_changes(bob.ctx, ALICE, [made], relayed=False) == []
    assert bob.ctx.profile.groups.get(made.change.group_id) is None


def test_receipts_count_delivered_and_read_k_of_n_per_member(tmp_path: Path) -> None:
    alice = Engine(tmp_path, ALICE, pinned=(BOB, CAROL))
    try:
        from net.client import groups

        gid = groups.create(alice.ctx, alice.duties, "Book club", [BOB, CAROL]).group_id
        sent = groups.send_text(alice.ctx, alice.duties, gid, "who has read it?")

        def taken(sender: str, payload: Delivered | Read) -> list[Event]:
            touched: group_inbox.Touched = {}
            with alice.ctx.profile.transaction():
                group_inbox.take_receipt(alice.ctx, sender, payload, alice.clock.now, touched)
                return group_inbox.counted(alice.ctx, touched)

        def receipt(sender: str, payload: Delivered | Read) -> MessageStatusChanged:
            (event,) = taken(sender, payload)
            assert isinstance(event, MessageStatusChanged)
            return event

        ids = (sent.message_id,)
        first = receipt(BOB, Delivered(ids))
        assert (first.delivered_count, first.read_count, first.status) == (1, 0, MessageStatus.SENT)
        both = receipt(CAROL, Delivered(ids))
        assert (both.delivered_count, both.status) == (2, MessageStatus.DELIVERED)
        read = receipt(BOB, Read(ids))
        assert (read.delivered_count, read.read_count, read.status) == (2, 1, MessageStatus.DELIVERED)
        assert taken(BOB, Read(ids)) == []  # once
        assert taken(DAVE, Read(ids)) == []  # not sent to
        assert receipt(CAROL, Read(ids)).status is MessageStatus.READ
        assert group_log.load(alice.ctx, gid).state is not None
    finally:
        alice.close()
