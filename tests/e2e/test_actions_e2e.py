"""Reply, react, edit and delete over real TLS, 1:1 and in a group of three, in any order.

Real engines (each on its own profile) against an in-process server; every wait is bounded
(``run_until``). An action that must arrive before its message is crafted with the sender's
persistent outbox: the text's entries are taken out before anything is sent and queued again
after the action's, so the server (and the ratchet) carry the action first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from engine_support import PASSPHRASE, Person, pair, run_until
from profile_raw import connect

from net.client.core.actions import Edit, ReplyView
from net.client.core.engine_error import EngineError
from net.client.core.events import MessageChanged, MessageReceived, MessageView
from net.client.outbox import enqueue_control

DAY = timedelta(days=1).total_seconds()


def _ctx(person: Person):  # type: ignore[no-untyped-def]
    ctx = person.engine._ctx
    assert ctx is not None
    return ctx


def _shown(person: Person, conversation: str, message_id: str) -> MessageView | None:
    return next((m for m in person.engine.history(conversation) if m.message_id == message_id), None)


def _wait_shown(
    person: Person,
    conversation: str,
    message_id: str,
    test: Callable[[MessageView], bool],
    people: list[Person],
) -> MessageView:
    run_until(lambda: (m := _shown(person, conversation, message_id)) is not None and test(m), people)
    found = _shown(person, conversation, message_id)
    assert found is not None
    return found


def _hold_back(person: Person, client_id: str) -> list[tuple[str, bytes]]:
    """Take the text's outbox entries out (one per recipient) before anything is sent."""
    ctx = _ctx(person)
    held = [(i.contact, i.payload) for i in ctx.profile.outbox.pending() if i.client_id == client_id]
    assert held
    ctx.profile.outbox.remove(client_id)
    return held


def _queue_again(person: Person, client_id: str, held: list[tuple[str, bytes]]) -> None:
    ctx = _ctx(person)
    for contact, payload in held:
        ctx.profile.outbox.enqueue(contact, client_id, payload)


def _raw_count(person: Person, needle: str) -> int:
    """Rows anywhere in the profile's tables (messages, search index, versions, quotes) with ``needle``."""
    (folder,) = [p.parent for p in person.root.glob("*/profile.db")]
    raw = connect(folder, PASSPHRASE)
    try:
        like = f"%{needle}%"
        found = raw.execute("SELECT COUNT(*) FROM messages WHERE body LIKE ?", (like,)).fetchone()[0]
        found += raw.execute("SELECT COUNT(*) FROM edits WHERE body LIKE ?", (like,)).fetchone()[0]
        found += raw.execute(
            "SELECT COUNT(*) FROM message_marks WHERE reply_text LIKE ?", (like,)
        ).fetchone()[0]
        # The index itself (its tokens, not the text it points to): a stale entry would still match.
        found += raw.execute(
            "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH ?", (f'"{needle}"',)
        ).fetchone()[0]
        return int(found)
    finally:
        raw.close()


def test_two_people_reply_react_edit_and_delete_and_repeats_change_nothing(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = people = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        first = alice.engine.send_text(bob.phone, "the blue kayak is ready")
        mid = first.message_id
        _wait_shown(bob, alice.phone, mid, lambda m: True, people)

        # A reply quotes the original's author, id and start, as each side names them.
        answer = bob.engine.send_reply(mid, "great, see you at noon", contact=alice.phone)
        assert answer.reply_to == ReplyView(alice.phone, mid, "the blue kayak is ready")
        got = _wait_shown(alice, bob.phone, answer.message_id, lambda m: True, people)
        assert got.reply_to == ReplyView("", mid, "the blue kayak is ready")

        # One reaction per person: another replaces it, the same again takes it back.
        bob.engine.react(mid, "👍", contact=alice.phone)
        _wait_shown(alice, bob.phone, mid, lambda m: m.reactions == (("👍", 1, False),), people)
        alice.engine.react(mid, "👍", contact=bob.phone)
        _wait_shown(bob, alice.phone, mid, lambda m: m.reactions == (("👍", 2, True),), people)
        bob.engine.react(mid, "🎉", contact=alice.phone)
        _wait_shown(
            alice, bob.phone, mid, lambda m: set(m.reactions) == {("👍", 1, True), ("🎉", 1, False)}, people
        )
        bob.engine.react(mid, "🎉", contact=alice.phone)
        _wait_shown(alice, bob.phone, mid, lambda m: m.reactions == (("👍", 1, True),), people)
        with pytest.raises(EngineError) as refused:
            bob.engine.react(mid, "ok", contact=alice.phone)
        assert refused.value.code == "not_emoji"

        # An edit: the new text everywhere, the old one in the details and out of the search index.
        alice.engine.edit_message(mid, "the red kayak is ready", contact=bob.phone)
        edited = _wait_shown(bob, alice.phone, mid, lambda m: m.edited, people)
        assert edited.text == "the red kayak is ready"
        assert [t for t, _ in bob.engine.message_details(mid, contact=alice.phone).versions] == [
            "the blue kayak is ready"
        ]
        for person, other in ((alice, bob), (bob, alice)):
            assert person.engine.search(other.phone, "blue kayak") == []
            assert [m.message_id for m in person.engine.search(other.phone, "red kayak")] == [mid]
            # across every conversation too, said to be edited (and with its reaction), as pages say it
            [hit] = person.engine.search_all("red kayak")
            assert hit.message.message_id == mid and hit.message.edited and hit.message.reactions
        with pytest.raises(EngineError) as refused:
            bob.engine.edit_message(mid, "mine now", contact=alice.phone)
        assert refused.value.code == "not_yours"

        # A repeat of the edit (the same payload sent twice) changes nothing and shows nothing.
        changes_before = len(bob.of(MessageChanged))
        sent = round(first.timestamp * 1000)
        enqueue_control(_ctx(alice), bob.phone, Edit(mid, "the red kayak is ready", sent + 1000))
        answer2 = alice.engine.send_text(bob.phone, "marker")
        _wait_shown(bob, alice.phone, answer2.message_id, lambda m: True, people)
        assert len(bob.of(MessageChanged)) == changes_before
        assert len(bob.engine.message_details(mid, contact=alice.phone).versions) == 1

        # Delete for everyone: gone from both profiles, their search indexes, earlier versions and quotes.
        alice.engine.delete_for_everyone(mid, contact=bob.phone)
        gone = _wait_shown(bob, alice.phone, mid, lambda m: m.deleted, people)
        assert (gone.text, gone.reactions, gone.edited) == ("", (), False)
        quoted = _wait_shown(bob, alice.phone, answer.message_id, lambda m: m.reply_to is not None, people)
        run_until(
            lambda: (
                (r := _shown(alice, bob.phone, answer.message_id)) is not None
                and r.reply_to is not None
                and r.reply_to.text == ""
            ),
            people,
        )
        assert quoted.reply_to == ReplyView(alice.phone, mid, "")
        for person in people:
            assert _raw_count(person, "kayak") == 0
            assert person.engine.search_all("kayak") == []
        with pytest.raises(EngineError) as refused:
            alice.engine.edit_message(mid, "back again", contact=bob.phone)
        assert refused.value.code == "deleted"

        # Delete for me: gone here only.
        bob.engine.delete_for_me(answer.message_id, contact=alice.phone)
        assert _shown(bob, alice.phone, answer.message_id) is None
        assert _shown(alice, bob.phone, answer.message_id) is not None
        assert bob.of(MessageChanged)[-1].removed
        with pytest.raises(EngineError) as refused:
            bob.engine.delete_for_me(answer.message_id, contact=alice.phone)
        assert refused.value.code == "unknown_message"
    finally:
        for person in people:
            person.close()


def test_an_edit_and_a_reaction_that_come_before_their_message_are_applied_when_it_comes(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = people = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        hello = alice.engine.send_text(bob.phone, "first")  # the session, before the reordering
        _wait_shown(bob, alice.phone, hello.message_id, lambda m: True, people)

        first = alice.engine.send_text(bob.phone, "dinner at eight")
        held = _hold_back(alice, first.message_id)
        alice.engine.edit_message(first.message_id, "dinner at nine", contact=bob.phone)
        alice.engine.react(first.message_id, "❤️", contact=bob.phone)
        run_until(lambda: len(_ctx(alice).profile.outbox) == 0, people)
        run_until(lambda: _ctx(bob).profile.actions.pending_count() == 2, people)
        assert _shown(bob, alice.phone, first.message_id) is None

        _queue_again(alice, first.message_id, held)
        alice.engine.send_text(bob.phone, "nudge")  # wakes the outbox
        shown = _wait_shown(bob, alice.phone, first.message_id, lambda m: True, people)
        assert (shown.text, shown.edited, shown.reactions) == ("dinner at nine", True, (("❤️", 1, False),))
        (received,) = [e.message for e in bob.of(MessageReceived) if e.message.message_id == first.message_id]
        assert received.text == "dinner at nine" and received.edited
        assert _ctx(bob).profile.actions.pending_count() == 0
        assert bob.engine.search(alice.phone, "eight") == []
    finally:
        for person in people:
            person.close()


def test_the_24_hour_window_is_kept_by_the_sender_and_checked_by_the_receiver(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    now = [1_900_000_000.0]
    alice = Person(tmp_path, "alice", clock=lambda: now[0])
    alice.register(server.address, phone())
    bob = Person(tmp_path, "bob", clock=lambda: now[0])
    bob.register(server.address, phone())
    alice.knows(bob.phone)
    bob.knows(alice.phone)
    people = [alice, bob]
    try:
        first = alice.engine.send_text(bob.phone, "old news")
        mid = first.message_id
        _wait_shown(bob, alice.phone, mid, lambda m: True, people)
        now[0] += DAY - 60
        alice.engine.edit_message(mid, "old news, corrected", contact=bob.phone)
        _wait_shown(bob, alice.phone, mid, lambda m: m.edited, people)

        now[0] += 120  # past the 24 hours
        for attempt in (
            lambda: alice.engine.edit_message(mid, "too late", contact=bob.phone),
            lambda: alice.engine.delete_for_everyone(mid, contact=bob.phone),
        ):
            with pytest.raises(EngineError) as refused:
                attempt()
            assert refused.value.code == "too_late"

        # A sender that ignores the window: the receiver checks it with the original's sent time.
        late = round(first.timestamp * 1000) + round(DAY * 1000) + 1000
        enqueue_control(_ctx(alice), bob.phone, Edit(mid, "sneaky", late))
        marker = alice.engine.send_text(bob.phone, "marker")
        _wait_shown(bob, alice.phone, marker.message_id, lambda m: True, people)
        assert _shown(bob, alice.phone, mid).text == "old news, corrected"  # type: ignore[union-attr]
        # Reactions have no window.
        bob.engine.react(mid, "👍", contact=alice.phone)
        _wait_shown(alice, bob.phone, mid, lambda m: m.reactions == (("👍", 1, False),), people)
    finally:
        for person in people:
            person.close()


def test_a_group_of_three_replies_reacts_edits_and_deletes_in_any_order(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob, carol = people = pair(tmp_path, server.address, phone, "alice", "bob", "carol")
    try:
        gid = alice.engine.create_group("Boats", [bob.phone, carol.phone]).group_id
        run_until(lambda: all(gid in {g.group_id for g in p.engine.groups()} for p in people), people)
        hello = alice.engine.send_group_text(gid, "hello boats")
        for person in (bob, carol):
            _wait_shown(person, gid, hello.message_id, lambda m: True, people)

        # An edit and a reaction before their message, at both other members.
        first = alice.engine.send_group_text(gid, "launch at dawn")
        mid = first.message_id
        held = _hold_back(alice, mid)
        alice.engine.edit_message(mid, "launch at ten", group_id=gid)
        alice.engine.react(mid, "⛵", group_id=gid)
        run_until(lambda: len(_ctx(alice).profile.outbox) == 0, people)
        run_until(lambda: all(_ctx(p).profile.actions.pending_count() == 2 for p in (bob, carol)), people)
        _queue_again(alice, mid, held)
        alice.engine.send_group_text(gid, "nudge")
        for person in (bob, carol):
            shown = _wait_shown(person, gid, mid, lambda m: True, people)
            assert (shown.text, shown.edited, shown.sender) == ("launch at ten", True, alice.phone)
            assert shown.reactions == (("⛵", 1, False),)

        # A reply and reactions from the others, seen by everyone with the right counts.
        answer = bob.engine.send_reply(mid, "ten works", group_id=gid, sender=alice.phone)
        got = _wait_shown(carol, gid, answer.message_id, lambda m: True, people)
        assert got.reply_to == ReplyView(alice.phone, mid, "launch at ten")
        got = _wait_shown(alice, gid, answer.message_id, lambda m: True, people)
        assert got.reply_to == ReplyView("", mid, "launch at ten")
        carol.engine.react(mid, "⛵", group_id=gid, sender=alice.phone)
        bob.engine.react(answer.message_id, "👍", group_id=gid)  # his own message
        _wait_shown(alice, gid, mid, lambda m: m.reactions == (("⛵", 2, True),), people)
        _wait_shown(bob, gid, mid, lambda m: m.reactions == (("⛵", 2, False),), people)
        _wait_shown(carol, gid, answer.message_id, lambda m: m.reactions == (("👍", 1, False),), people)
        details = alice.engine.message_details(mid, group_id=gid)
        assert dict(details.reactions) == {"": "⛵", carol.phone: "⛵"}
        assert {m.member for m in details.members} == {bob.phone, carol.phone}
        assert [t for t, _ in details.versions] == ["launch at dawn"]

        # Only the author may edit; deleting for everyone empties every profile and its index.
        with pytest.raises(EngineError) as refused:
            bob.engine.edit_message(mid, "mine", group_id=gid)
        assert refused.value.code == "unknown_message"  # his own message of that id does not exist
        alice.engine.delete_for_everyone(mid, group_id=gid)
        for person in (bob, carol):
            gone = _wait_shown(person, gid, mid, lambda m: m.deleted, people)
            assert (gone.text, gone.reactions) == ("", ())
        run_until(
            lambda: all(
                (r := _shown(p, gid, answer.message_id)) is not None
                and r.reply_to is not None
                and not r.reply_to.text
                for p in people
            ),
            people,
        )
        for person in people:
            assert _raw_count(person, "launch") == 0 and person.engine.search_all("launch") == []
        # A deleted message is deleted once, and takes no more reactions.
        for attempt in (
            lambda: alice.engine.delete_for_everyone(mid, group_id=gid),
            lambda: carol.engine.react(mid, "👍", group_id=gid, sender=alice.phone),
        ):
            with pytest.raises(EngineError) as refused:
                attempt()
            assert refused.value.code == "deleted"
    finally:
        for person in people:
            person.close()


def test_a_last_message_deleted_for_everyone_is_worded_so_in_every_conversation_list(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = people = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        sent = alice.engine.send_text(bob.phone, "the green tent")
        _wait_shown(bob, alice.phone, sent.message_id, lambda m: True, people)
        alice.engine.delete_for_everyone(sent.message_id, contact=bob.phone)
        _wait_shown(bob, alice.phone, sent.message_id, lambda m: m.deleted, people)
        for person, other in ((alice, bob), (bob, alice)):
            [line] = [c.last_text for c in person.engine.conversations() if c.contact == other.phone]
            assert line == "This message was deleted"
    finally:
        for person in people:
            person.close()
