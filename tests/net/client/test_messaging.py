"""The message commands (messaging.py) on an unlocked profile with no server: what they refuse and store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from engine_support import FAST_KDF, PASSPHRASE
from gui_support import register_peer

from gui.tooling.peer import HeadlessPeer
from net.client import messaging
from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.core.events import Event, MessageReceived, MessageStatus, MessageStatusChanged, TimelinePlace
from net.client.duties import Duties
from net.client.inbox import Inbox
from net.client.link import Link
from net.client.outbox import Outbox
from storage.profile.directory import ProfileDirectory

BOB = "+442079460958"


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[Context, Duties, list[Event]]]:
    events: list[Event] = []
    profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Ada", PASSPHRASE)
    ctx = Context(profile, events.append)
    link = Link(events.append, lambda _p: None)
    duties = Duties(ctx, link, Inbox(ctx), Outbox(ctx, link))
    duties.outbox.dirty = False  # a new outbox looks once; the tests watch what the commands ask for
    try:
        yield ctx, duties, events
    finally:
        profile.close()


def test_a_text_needs_a_known_contact_and_some_words(parts: tuple[Context, Duties, list[Event]]) -> None:
    ctx, duties, events = parts
    with pytest.raises(EngineError) as caught:
        messaging.send_text(ctx, duties, BOB, "hello")
    assert caught.value.code == "unknown_contact"
    ctx.profile.contacts.add(BOB, "Bob")
    with pytest.raises(EngineError) as caught:
        messaging.send_text(ctx, duties, BOB, "   ")
    assert caught.value.code == "empty"
    assert events == [] and not duties.outbox.dirty


def test_a_text_is_stored_queued_and_shown(parts: tuple[Context, Duties, list[Event]]) -> None:
    ctx, duties, events = parts
    ctx.profile.contacts.add(BOB, "Bob")
    sent = messaging.send_text(ctx, duties, BOB, "hello")
    assert sent.text == "hello" and sent.status == "queued"
    assert events == [MessageStatusChanged(BOB, sent.message_id, MessageStatus.QUEUED)]
    assert duties.outbox.dirty
    assert [m.message_id for m in messaging.history(ctx, BOB, None, 50)] == [sent.message_id]
    assert [m.text for m in messaging.search(ctx, BOB, "hell", 50)] == ["hello"]
    assert messaging.search(ctx, BOB, "  ", 50) == []
    [conversation] = messaging.conversations(ctx)
    assert (conversation.contact, conversation.name, conversation.last_text) == (BOB, "Bob", "hello")
    with pytest.raises(EngineError) as caught:
        messaging.retry(ctx, duties, BOB, sent.message_id)  # queued, not failed
    assert caught.value.code == "not_failed"
    with pytest.raises(EngineError) as caught:
        messaging.history(ctx, BOB, "m-unknown", 50)
    assert caught.value.code == "unknown_message"


def test_marking_nothing_read_queues_nothing(parts: tuple[Context, Duties, list[Event]]) -> None:
    ctx, duties, events = parts
    messaging.mark_read(ctx, duties, BOB)
    assert events == [] and not duties.outbox.dirty


CAROL, DAN = "+14155550123", "+33612345678"


def stored(ctx: Context, contact: str, text: str, at: float, *, outgoing: bool = False) -> str:
    """A message in the history as if sent or received at ``at``; its client id."""
    message_id = f"m-{contact[-4:]}-{at:.0f}"
    ctx.profile.history.add(contact, client_id=message_id, outgoing=outgoing, text=text, timestamp=at)
    return message_id


def test_a_search_finds_every_conversation_newest_first_with_names_ranges_and_snippets(
    parts: tuple[Context, Duties, list[Event]],
) -> None:
    ctx, _duties, _events = parts
    ctx.profile.contacts.add(BOB, "Bob")
    ctx.profile.contacts.add(CAROL, "")
    stored(ctx, BOB, "Lunch on Friday?", 1000)
    stored(ctx, CAROL, "No lunch for me, FRIDAY is full", 2000, outgoing=True)
    stored(ctx, BOB, "nothing to see", 3000)
    stored(ctx, DAN, "friday friday", 4000)  # a conversation with someone not in the contacts
    found = messaging.search_all(ctx, "friday", 50, None)
    assert [(r.contact, r.name, r.message.timestamp) for r in found] == [
        (DAN, DAN, 4000),
        (CAROL, CAROL, 2000),
        (BOB, "Bob", 1000),
    ]
    dan, carol, bob = found
    assert dan.ranges == ((0, 6), (7, 13)) and dan.snippet == "friday friday"
    assert carol.message.outgoing and carol.message.text[slice(*carol.ranges[0])] == "FRIDAY"
    assert bob.snippet_ranges == ((9, 15),) and bob.snippet[9:15] == "Friday"
    assert "Friday" not in repr(bob)


def test_a_search_pages_on_from_the_last_result_and_keeps_to_its_limit(
    parts: tuple[Context, Duties, list[Event]],
) -> None:
    ctx, _duties, _events = parts
    for i in range(12):
        stored(ctx, (BOB, CAROL, DAN)[i % 3], f"note {i}", 1000 + i)
    first = messaging.search_all(ctx, "NOTE", 5, None)
    assert [r.message.text for r in first] == [f"note {i}" for i in (11, 10, 9, 8, 7)]
    rest = messaging.search_all(ctx, "note", 50, first[-1])
    assert [r.message.text for r in rest] == [f"note {i}" for i in range(6, -1, -1)]
    assert messaging.search_all(ctx, "note", 0, None)[0].message.text == "note 11"  # at least one


def test_a_blank_search_finds_nothing_and_an_overlong_one_is_refused_in_words(
    parts: tuple[Context, Duties, list[Event]],
) -> None:
    ctx, _duties, _events = parts
    stored(ctx, BOB, " " * 5 + "x" * messaging.MAX_QUERY, 1000)
    assert messaging.search_all(ctx, "", 50, None) == []
    assert messaging.search_all(ctx, "  \t ", 50, None) == []
    assert len(messaging.search_all(ctx, "x" * messaging.MAX_QUERY, 50, None)) == 1
    [found] = messaging.search_all(ctx, "  " + "x" * messaging.MAX_QUERY + " ", 50, None)  # spaces ignored
    assert found.ranges == ((5, 5 + messaging.MAX_QUERY),)
    with pytest.raises(EngineError) as caught:
        messaging.search_all(ctx, "x" * (messaging.MAX_QUERY + 1), 50, None)
    assert caught.value.code == "too_long" and f"{messaging.MAX_QUERY} characters" in caught.value.message


def test_around_gives_a_message_with_its_neighbours_in_its_own_conversation(
    parts: tuple[Context, Duties, list[Event]],
) -> None:
    ctx, _duties, _events = parts
    ids = [stored(ctx, BOB, f"bob {i}", 1000 + 2 * i, outgoing=i % 2 == 0) for i in range(300)]
    for i in range(300):
        stored(ctx, CAROL, f"carol {i}", 1001 + 2 * i)
    page = messaging.around(ctx, BOB, ids[100], 5, 3)
    assert [m.text for m in page] == [f"bob {i}" for i in range(103, 94, -1)]
    assert [m.text for m in messaging.around(ctx, BOB, ids[0], 25, 2)] == ["bob 2", "bob 1", "bob 0"]
    assert [m.text for m in messaging.around(ctx, BOB, ids[299], 1, 25)] == ["bob 299", "bob 298"]
    assert [m.text for m in messaging.around(ctx, BOB, ids[10], 0, 0)] == ["bob 10"]
    with pytest.raises(EngineError) as caught:
        messaging.around(ctx, CAROL, ids[10], 5, 5)
    assert caught.value.code == "unknown_message"


def test_every_result_is_highlighted_by_the_rule_that_found_it_in_any_script(
    parts: tuple[Context, Duties, list[Event]],
) -> None:
    # The index's rule: one character for one (simple case folding), so "ß" is not "ss" but the
    # capital "ẞ" is "ß", and Turkish "İ" and "ı" are the capital and small of "i" and "I".
    ctx, _duties, _events = parts
    stored(ctx, BOB, "Straße STRASSE STRAẞE", 1000)
    stored(ctx, CAROL, "İstanbul istanbul ISTANBUL", 2000)
    stored(ctx, DAN, "İs it?", 3000)
    stored(ctx, BOB, "Привет МИР, мир", 4000)
    [street] = messaging.search_all(ctx, "straße", 50, None)
    assert [street.message.text[a:b] for a, b in street.ranges] == ["Straße", "STRAẞE"]
    [city] = messaging.search_all(ctx, "istanbul", 50, None)
    assert [city.message.text[a:b] for a, b in city.ranges] == ["İstanbul", "istanbul", "ISTANBUL"]
    found = messaging.search_all(ctx, "is", 50, None)  # too short for the index: a scan, the same rule
    assert [r.contact for r in found] == [DAN, CAROL] and all(r.ranges and r.snippet_ranges for r in found)
    assert found[0].snippet[slice(*found[0].snippet_ranges[0])] == "İs"
    [world] = messaging.search_all(ctx, "мир", 50, None)
    assert world.ranges == ((7, 10), (12, 15))


def test_a_search_pages_on_from_a_result_whose_id_both_directions_use(
    parts: tuple[Context, Duties, list[Event]],
) -> None:
    ctx, _duties, _events = parts
    ctx.profile.history.add(BOB, client_id="m-1", outgoing=False, text="note received", timestamp=1000)
    ctx.profile.history.add(BOB, client_id="m-1", outgoing=True, text="note sent", timestamp=2000)
    stored(ctx, BOB, "note older", 500)
    [first] = messaging.search_all(ctx, "note", 1, None)
    assert first.message.text == "note sent"
    assert [r.message.text for r in messaging.search_all(ctx, "note", 50, first)] == [
        "note received",
        "note older",
    ]
    ctx.profile.history.delete(BOB, "m-1", outgoing=True)
    with pytest.raises(EngineError) as caught:
        messaging.search_all(ctx, "note", 50, first)
    assert caught.value.code == "unknown_message"


def test_newer_pages_up_from_a_found_message_to_the_newest(
    parts: tuple[Context, Duties, list[Event]],
) -> None:
    ctx, _duties, _events = parts
    ids = [stored(ctx, BOB, f"bob {i}", 1000 + 2 * i) for i in range(120)]
    for i in range(120):
        stored(ctx, CAROL, f"carol {i}", 1001 + 2 * i)
    seen = messaging.around(ctx, BOB, ids[10], 5, 5)
    assert [m.text for m in seen] == [f"bob {i}" for i in range(15, 4, -1)]
    pages = []
    while len(pages) < 10:  # bounded: 105 newer messages are three pages
        page = messaging.newer(ctx, BOB, seen[0].message_id, 50)
        pages.append(page)
        if len(page) < 50:
            break
        seen = page
    assert [len(page) for page in pages] == [50, 50, 4]
    assert [m.text for page in reversed(pages) for m in page] == [f"bob {i}" for i in range(119, 15, -1)]
    assert messaging.newer(ctx, BOB, ids[-1], 50) == []
    with pytest.raises(EngineError) as caught:
        messaging.newer(ctx, CAROL, ids[3], 50)
    assert caught.value.code == "unknown_message"


def test_an_incoming_message_carries_the_senders_time_and_ours_our_own(
    parts: tuple[Context, Duties, list[Event]],
) -> None:
    ctx, duties, _events = parts
    ctx.profile.contacts.add(BOB, "Bob")
    history = ctx.profile.history
    history.add(BOB, client_id="in-1", outgoing=False, text="hi", timestamp=2000.0, meta={"sent": 1_940_500})
    history.add(BOB, client_id="in-2", outgoing=False, text="no time", timestamp=2001.0)
    mine = messaging.send_text(ctx, duties, BOB, "hello")
    views = {m.message_id: m for m in messaging.history(ctx, BOB, None, 10)}
    assert (views["in-1"].timestamp, views["in-1"].sent_at) == (2000.0, 1940.5)
    assert views["in-2"].sent_at == 0.0  # unknown: the app shows the arrival
    assert views[mine.message_id].sent_at == views[mine.message_id].timestamp
    assert all(view.notice == "" for view in views.values())


def test_the_first_unread_message_is_where_a_conversation_opens(
    parts: tuple[Context, Duties, list[Event]],
) -> None:
    ctx, duties, _events = parts
    assert messaging.first_unread(ctx, BOB) is None
    ids = [stored(ctx, BOB, f"bob {i}", 1000 + i) for i in range(5)]
    first = messaging.first_unread(ctx, BOB)
    assert first is not None and first.message_id == ids[0]
    messaging.mark_read(ctx, duties, BOB)
    assert messaging.first_unread(ctx, BOB) is None
    with pytest.raises(EngineError) as caught:
        messaging.first_unread(ctx, "not a number")
    assert caught.value.code == "bad_phone"


def test_a_page_knows_its_place_in_the_whole_conversation_and_a_place_gives_its_page(
    parts: tuple[Context, Duties, list[Event]],
) -> None:
    ctx, _duties, _events = parts
    assert messaging.timeline_place(ctx, BOB, None) == TimelinePlace(0, 0)
    ids = [stored(ctx, BOB, f"bob {i}", 1000 + 2 * i) for i in range(2000)]
    for i in range(30):
        stored(ctx, CAROL, f"carol {i}", 1001 + 2 * i)
    assert messaging.timeline_place(ctx, BOB, None) == TimelinePlace(0, 2000)
    assert messaging.timeline_place(ctx, BOB, ids[1234]) == TimelinePlace(1234, 2000)
    page = messaging.history_at(ctx, BOB, 1000, 100)
    assert [m.text for m in page] == [f"bob {i}" for i in range(1099, 999, -1)]  # newest first, as pages
    assert [m.text for m in messaging.history_at(ctx, BOB, 0, 3)] == ["bob 2", "bob 1", "bob 0"]
    assert len(messaging.history_at(ctx, BOB, 0, 10_000)) == messaging.MAX_AROUND  # bounded like newer()
    assert messaging.history_at(ctx, BOB, 5000, 50) == []
    with pytest.raises(EngineError) as caught:
        messaging.timeline_place(ctx, CAROL, ids[3])
    assert caught.value.code == "unknown_message"


def test_a_received_group_message_is_found_by_its_id_for_its_place_and_a_search_page(
    tmp_path: Path, server_factory: Callable[..., InProcessServer]
) -> None:
    """The views name a member's message by its id: its place and the next search page find it."""
    server = server_factory(dev_codes=True)
    a, b = fresh_phone(), fresh_phone()
    alice, bob = HeadlessPeer.with_profiles(tmp_path / "a"), HeadlessPeer.with_profiles(tmp_path / "b")
    try:
        register_peer(alice, server, a, "Alice", knows=b)
        register_peer(bob, server, b, "Bob", knows=a)
        group = bob.call(lambda e: e.create_group("Lunch", [a]))
        gid = group.group_id
        bob.call(lambda e: e.send_group_text(gid, "lunch at noon"))
        alice.wait_for(lambda e: isinstance(e, MessageReceived) and e.message.group_id == gid)
        first = alice.call(lambda e: e.first_unread(gid))
        assert first is not None and first.sender == b
        assert alice.call(lambda e: e.timeline_place(gid, first.message_id)) == TimelinePlace(1, 2)
        hits = alice.call(lambda e: e.search_all("lunch"))
        assert [h.message.message_id for h in hits] == [first.message_id]
        assert alice.call(lambda e: e.search_all("lunch", before=hits[0])) == []  # the page after it
        alice.call(lambda e: e.mark_read(gid, up_to=first.message_id))
    finally:
        alice.stop()
        bob.stop()
