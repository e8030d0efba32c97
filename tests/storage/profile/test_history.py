"""Message history: paging newest first, search, status, unread counts, and the page query's index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import profile_raw as raw
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DuplicateEntry
from storage.profile.history import Cursor, GroupChat, History
from storage.profile.messages import Place
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ALICE = "+15550001111"
BOB = "+447700900123"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Profile]:
    profile = ProfileDirectory(tmp_path_factory.mktemp("shared"), kdf_params=FAST).create("Me", "pw")
    yield profile
    profile.close()


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    profile = ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw")
    yield profile
    profile.close()


def _fill(profile: Profile, contact: str, count: int, *, start: float = 1000.0) -> None:
    with profile.transaction():
        for i in range(count):
            profile.history.add(
                contact,
                client_id=f"c{i}",
                outgoing=i % 2 == 0,
                text=f"message number {i}",
                timestamp=start + i,
            )


def test_a_message_reads_back_as_it_was_stored(profile: Profile) -> None:
    stored = profile.history.add(
        ALICE, client_id="c1", outgoing=True, text="Grüße 👋", timestamp=12.345, meta={"reply_to": "c0"}
    )
    (read,) = profile.history.page(ALICE).messages
    assert read == stored
    assert (read.text, read.timestamp, read.status, read.meta) == (
        "Grüße 👋",
        12.345,
        "queued",
        {"reply_to": "c0"},
    )
    assert "Grüße" not in repr(read) and ALICE not in repr(read)
    assert profile.history.get(ALICE, "c1", outgoing=True) == stored
    assert profile.history.get(ALICE, "c1", outgoing=False) is None


def test_pages_run_newest_first_and_cursors_cover_everything_once(profile: Profile) -> None:
    _fill(profile, ALICE, 23)
    _fill(profile, BOB, 5)
    seen: list[str] = []
    page = profile.history.page(ALICE, limit=10)
    sizes = []
    while True:
        sizes.append(len(page.messages))
        seen += [m.text for m in page.messages]
        if page.next is None:
            break
        page = profile.history.page(ALICE, before=page.next, limit=10)
    assert sizes == [10, 10, 3]
    assert seen == [f"message number {i}" for i in range(22, -1, -1)]


_conversations = iter(range(10**6))


@settings(max_examples=40, deadline=None)
@given(
    times=st.lists(st.integers(min_value=0, max_value=20), max_size=30),
    limit=st.integers(min_value=1, max_value=7),
)
def test_paging_any_history_yields_every_message_once_newest_first(
    shared: Profile, times: list[int], limit: int
) -> None:
    contact = f"+1555{next(_conversations):07d}"  # a fresh conversation for every example
    for i, t in enumerate(times):
        shared.history.add(contact, client_id=f"c{i}", outgoing=i % 2 == 1, text=str(i), timestamp=float(t))
    expected = [str(i) for i in sorted(range(len(times)), key=lambda i: (times[i], i), reverse=True)]
    seen: list[str] = []
    page = shared.history.page(contact, limit=limit)
    for _ in range(len(times) + 2):
        seen += [m.text for m in page.messages]
        if page.next is None:
            break
        page = shared.history.page(contact, before=page.next, limit=limit)
    assert page.next is None
    assert seen == expected


def test_messages_with_the_same_time_keep_their_order(profile: Profile) -> None:
    for i in range(4):
        profile.history.add(ALICE, client_id=f"c{i}", outgoing=False, text=str(i), timestamp=50.0)
    first = profile.history.page(ALICE, limit=2)
    second = profile.history.page(ALICE, before=first.next, limit=2)
    assert [m.text for m in first.messages + second.messages] == ["3", "2", "1", "0"]
    assert second.next is None


def test_an_exact_last_page_has_no_next_cursor(profile: Profile) -> None:
    _fill(profile, ALICE, 4)
    assert profile.history.page(ALICE, limit=4).next is None
    assert profile.history.page(ALICE, limit=3).next is not None
    assert profile.history.page(BOB).messages == []


def test_search_is_case_insensitive_substring_newest_first_across_batches(profile: Profile) -> None:
    texts = ["Lunch at NOON?", "no", "noonish then", "see you", "Afternoon tea", "nothing"] * 5
    with profile.transaction():
        for i, text in enumerate(texts):
            profile.history.add(ALICE, client_id=f"c{i}", outgoing=False, text=text, timestamp=float(i))
    expected = [t for t in reversed(texts) if "noon" in t.casefold()]

    found: list[str] = []
    page = profile.history.search(ALICE, "nOoN", limit=4, batch=3)
    while True:
        assert len(page.messages) <= 4
        found += [m.text for m in page.messages]
        if page.next is None:
            break
        page = profile.history.search(ALICE, "nOoN", before=page.next, limit=4, batch=3)
    assert found == expected
    assert profile.history.search(BOB, "noon").messages == []
    assert profile.history.search(ALICE, "ß").messages == []


def test_search_stops_opening_rows_once_it_has_enough(profile: Profile) -> None:
    _fill(profile, ALICE, 100)
    _damage(profile, "id = (SELECT MIN(id) FROM messages)")
    # The oldest row is damaged; a search satisfied by newer rows never reaches it.
    page = profile.history.search(ALICE, "NUMBER 9", limit=3, batch=10)
    assert [m.text for m in page.messages] == ["message number 99", "message number 98", "message number 97"]
    assert profile.take_damage() == []
    # A search that reaches the damaged row skips it and notes it.
    assert profile.history.search(ALICE, "message number 0", batch=10).messages == []
    assert profile.take_damage() == ["message"]


def _damage(profile: Profile, where: str) -> None:
    raw.execute(profile.folder, "pw", f"UPDATE messages SET meta = 'not json' WHERE {where}")


def test_a_damaged_message_costs_only_itself_in_pages_and_is_reported_once(profile: Profile) -> None:
    _fill(profile, ALICE, 10)
    _damage(profile, "id = (SELECT MIN(id) FROM messages) + 4")
    first = profile.history.page(ALICE, limit=4)
    second = profile.history.page(ALICE, before=first.next, limit=4)
    third = profile.history.page(ALICE, before=second.next, limit=4)
    texts = [m.text for page in (first, second, third) for m in page.messages]
    assert texts == [f"message number {i}" for i in (9, 8, 7, 6, 5, 3, 2, 1, 0)]
    assert third.next is None
    assert profile.take_damage() == ["message"]
    profile.history.page(ALICE, limit=20)
    assert profile.take_damage() == []  # reported once, however often it is met


def test_a_damaged_newest_message_does_not_hide_its_conversation(profile: Profile) -> None:
    _fill(profile, ALICE, 3)
    profile.history.add(BOB, client_id="b1", outgoing=False, text="from bob", timestamp=1.0)
    _damage(profile, "id = (SELECT MAX(id) FROM messages WHERE outgoing = 1)")
    summaries = {s.contact: s for s in profile.history.conversations()}
    assert summaries[ALICE].last.text == "message number 1"
    assert summaries[BOB].last.text == "from bob"
    assert profile.take_damage() == ["message"]


def test_marking_read_passes_over_a_damaged_message(profile: Profile) -> None:
    for i in range(3):
        profile.history.add(ALICE, client_id=f"in{i}", outgoing=False, text=f"hi {i}", timestamp=10.0 + i)
    _damage(profile, "client IS NOT NULL AND id = (SELECT MIN(id) FROM messages)")
    assert profile.history.mark_read(ALICE) == ["in1", "in2"]
    assert profile.history.unread(ALICE) == 0
    assert profile.take_damage() == ["message"]


def test_search_needs_text(profile: Profile) -> None:
    with pytest.raises(ValueError, match="text"):
        profile.history.search(ALICE, "")


def test_a_duplicate_client_id_is_refused_and_nothing_changes(profile: Profile) -> None:
    profile.history.add(ALICE, client_id="c1", outgoing=True, text="first", timestamp=1.0)
    with pytest.raises(DuplicateEntry):
        profile.history.add(ALICE, client_id="c1", outgoing=True, text="second", timestamp=2.0)
    assert [m.text for m in profile.history.page(ALICE).messages] == ["first"]
    # The same id from the other side, or in another conversation, is another message.
    profile.history.add(ALICE, client_id="c1", outgoing=False, text="theirs", timestamp=3.0)
    profile.history.add(BOB, client_id="c1", outgoing=True, text="to bob", timestamp=3.0)
    assert profile.history.count(ALICE) == 2


def test_status_only_moves_forward(profile: Profile) -> None:
    profile.history.add(ALICE, client_id="c1", outgoing=True, text="x", timestamp=1.0)
    assert profile.history.set_status(ALICE, "c1", "sent")
    assert profile.history.set_status(ALICE, "c1", "read")
    assert not profile.history.set_status(ALICE, "c1", "delivered")  # a late receipt
    assert not profile.history.set_status(ALICE, "unknown", "sent")
    assert profile.history.get(ALICE, "c1", outgoing=True).status == "read"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="status"):
        profile.history.set_status(ALICE, "c1", "teleported")
    with pytest.raises(ValueError, match="incoming"):
        profile.history.add(ALICE, client_id="c2", outgoing=False, text="x", timestamp=1.0, status="sent")


def test_a_failed_message_can_be_retried(profile: Profile) -> None:
    profile.history.add(ALICE, client_id="c1", outgoing=True, text="x", timestamp=1.0)
    assert profile.history.set_status(ALICE, "c1", "failed")
    assert profile.history.set_status(ALICE, "c1", "queued")


def test_unread_counts_and_mark_read(profile: Profile) -> None:
    for i in range(5):
        profile.history.add(ALICE, client_id=f"in{i}", outgoing=False, text="x", timestamp=10.0 + i)
    profile.history.add(ALICE, client_id="out", outgoing=True, text="x", timestamp=20.0)
    assert profile.history.unread(ALICE) == 5
    third = profile.history.get(ALICE, "in2", outgoing=False)
    assert third is not None
    assert profile.history.mark_read(ALICE, up_to=third.cursor) == ["in0", "in1", "in2"]
    assert profile.history.unread(ALICE) == 2
    assert profile.history.mark_read(ALICE) == ["in3", "in4"]
    assert profile.history.mark_read(ALICE) == []
    assert profile.history.unread(ALICE) == 0


def test_conversations_newest_first_with_last_message_and_unread(profile: Profile) -> None:
    profile.history.add(ALICE, client_id="a1", outgoing=False, text="from alice", timestamp=10.0)
    profile.history.add(BOB, client_id="b1", outgoing=False, text="from bob", timestamp=20.0)
    profile.history.add(BOB, client_id="b2", outgoing=True, text="to bob", timestamp=30.0)
    summaries = profile.history.conversations()
    assert [(s.contact, s.last.text, s.unread) for s in summaries] == [
        (BOB, "to bob", 1),
        (ALICE, "from alice", 1),
    ]
    profile.history.add(ALICE, client_id="a2", outgoing=False, text="again", timestamp=40.0)
    assert [s.contact for s in profile.history.conversations()] == [ALICE, BOB]


def test_ten_thousand_messages_page_through_the_index(profile: Profile) -> None:
    _fill(profile, ALICE, 10_000)
    _fill(profile, BOB, 50)
    page = profile.history.page(ALICE, limit=50)
    assert [m.text for m in page.messages[:2]] == ["message number 9999", "message number 9998"]
    older = profile.history.page(ALICE, before=Cursor(page.next.ts, page.next.local_id), limit=50)  # type: ignore[union-attr]
    assert older.messages[0].text == "message number 9949"  # the query's plan: test_history_rows.py


def test_a_notice_keeps_its_place_in_the_timeline_and_is_no_message(profile: Profile) -> None:
    history = profile.history
    history.add(BOB, client_id="m1", outgoing=False, text="old phone", timestamp=10.0)
    notice = history.add_notice(BOB, client_id="n1", kind="key_changed", timestamp=11.0, meta={"a": 1})
    history.add(BOB, client_id="m2", outgoing=False, text="new phone", timestamp=12.0)
    assert [(m.client_id, m.kind) for m in history.page(BOB).messages] == [
        ("m2", "text"),
        ("n1", "key_changed"),
        ("m1", "text"),
    ]
    assert (notice.text, notice.status, dict(notice.meta)) == ("", "read", {"a": 1})
    assert history.unread(BOB) == 2 and history.count(BOB) == 2
    assert history.mark_read(BOB) == ["m1", "m2"]  # no receipt ever names a notice
    history.add_notice(BOB, client_id="n2", kind="key_changed", timestamp=13.0)
    (summary,) = history.conversations()
    assert summary.last.text == "new phone"  # the preview is the last message, not the notice
    assert [m.client_id for m in history.search(BOB, "phone").messages] == ["m2", "m1"]
    with pytest.raises(ValueError, match="notice kind"):
        history.add_notice(BOB, client_id="n3", kind="party", timestamp=14.0)
    with pytest.raises(DuplicateEntry):
        history.add_notice(BOB, client_id="n1", kind="key_changed", timestamp=15.0)


def test_the_first_unread_message_is_the_oldest_received_one(profile: Profile) -> None:
    history = profile.history
    assert history.first_unread(BOB) is None
    with profile.transaction():
        for i in range(30):
            history.add(BOB, client_id=f"in{i}", outgoing=False, text=f"t{i}", timestamp=100.0 + i)
            history.add(BOB, client_id=f"out{i}", outgoing=True, text=f"o{i}", timestamp=100.5 + i)
    history.mark_read(BOB, up_to=history.get(BOB, "in9", outgoing=False).cursor)  # type: ignore[union-attr]
    first = history.first_unread(BOB)
    assert first is not None and first.client_id == "in10"
    history.mark_read(BOB)
    assert history.first_unread(BOB) is None


def test_an_entry_knows_its_place_and_a_page_is_found_by_its_place(profile: Profile) -> None:
    history = profile.history
    assert history.place(BOB) == Place(0, 0) and history.page_from(BOB, 0).messages == []
    _fill(profile, BOB, 300)
    _fill(profile, ALICE, 20, start=1000.5)  # interleaved in time: another conversation counts for nothing
    history.add_notice(BOB, client_id="n1", kind="key_changed", timestamp=1298.5)  # a notice has a place
    assert history.place(BOB) == Place(0, 301)
    found = history.get(BOB, "c120", outgoing=True)
    assert found is not None and history.place(BOB, found.cursor) == Place(120, 301)
    page = history.page_from(BOB, 120, limit=50)
    assert [m.client_id for m in page.messages] == [f"c{i}" for i in range(169, 119, -1)]  # newest first
    assert [m.client_id for m in history.page_from(BOB, 298, limit=50).messages] == ["c299", "n1", "c298"]
    assert history.page_from(BOB, 301).messages == []
    with pytest.raises(ValueError, match="offset"):
        history.page_from(BOB, -1)


# ---------------------------------------------------------------------- group conversations

GROUP = "uv_A6i_cl0qh2ZfdY0PtAQ"
CAROL = "+442079460103"


def _group(profile: Profile, group_id: str = GROUP) -> GroupChat:
    profile.groups.upsert(group_id, "member")
    return GroupChat(group_id)


def test_a_group_conversation_holds_its_members_messages_beside_the_one_to_one_ones(profile: Profile) -> None:
    chat = _group(profile)
    history = profile.history
    history.add(ALICE, client_id="m1", outgoing=False, text="one to one", timestamp=10.0)
    mine = history.add(chat, client_id="m1", outgoing=True, text="hello group", timestamp=11.0)
    alices = history.add(chat, client_id="m1", outgoing=False, text="hi all", timestamp=12.0, sender=ALICE)
    bobs = history.add(chat, client_id="m1", outgoing=False, text="hey", timestamp=13.0, sender=BOB)
    # One message id from two members is two messages; from the same member, once.
    with pytest.raises(DuplicateEntry):
        history.add(chat, client_id="m1", outgoing=False, text="again", timestamp=14.0, sender=BOB)
    assert [(m.text, m.sender, m.group, m.contact) for m in history.page(chat).messages] == [
        ("hey", BOB, GROUP, ""),
        ("hi all", ALICE, GROUP, ""),
        ("hello group", "", GROUP, ""),
    ]
    assert (mine.chat, alices.chat, bobs.sender) == (chat, chat, BOB)
    assert [m.text for m in history.page(ALICE).messages] == ["one to one"]
    assert history.get(chat, "m1", outgoing=False, sender=ALICE) == alices
    assert (
        history.get(chat, "m1", outgoing=False) is None
    )  # an incoming group message is named with its sender
    assert history.count(chat) == 3 and history.unread(chat) == 2 and history.unread(ALICE) == 1


def test_only_an_incoming_group_message_has_a_sender(profile: Profile) -> None:
    chat = _group(profile)
    for where, outgoing, sender in ((chat, False, ""), (chat, True, ALICE), (ALICE, False, BOB)):
        with pytest.raises(ValueError, match="sender"):
            profile.history.add(
                where, client_id="x", outgoing=outgoing, text="t", timestamp=1.0, sender=sender
            )


def test_a_group_conversation_needs_its_group(profile: Profile) -> None:
    with pytest.raises(Exception, match="FOREIGN KEY"):
        profile.history.add(GroupChat(GROUP), client_id="m1", outgoing=True, text="t", timestamp=1.0)
    assert profile.history.conversation_id(GroupChat(GROUP)) is None
    chat = _group(profile)
    made = profile.history.conversation_id(chat, create=True)
    assert made is not None and profile.history.conversation_id(chat) == made
    assert profile.history.conversation_id(ALICE) is None


def test_marking_a_group_read_says_whose_messages_were_read(profile: Profile) -> None:
    chat = _group(profile)
    history = profile.history
    history.add(chat, client_id="a1", outgoing=False, text="from Alice", timestamp=1.0, sender=ALICE)
    history.add(chat, client_id="b1", outgoing=False, text="from Bob", timestamp=2.0, sender=BOB)
    history.add(chat, client_id="a2", outgoing=False, text="Alice again", timestamp=3.0, sender=ALICE)
    read = history.mark_read_messages(chat)
    assert [(m.sender, m.client_id) for m in read] == [(ALICE, "a1"), (BOB, "b1"), (ALICE, "a2")]
    assert history.unread(chat) == 0 and history.mark_read(chat) == []
    assert history.set_status(chat, "b1", "read", outgoing=False, sender=BOB) is False  # already read


def test_a_group_message_goes_through_its_statuses_edits_and_deletes(profile: Profile) -> None:
    chat = _group(profile)
    history = profile.history
    history.add(chat, client_id="m1", outgoing=True, text="draft", timestamp=1.0)
    history.add(chat, client_id="m1", outgoing=False, text="theirs", timestamp=2.0, sender=CAROL)
    assert history.set_status(chat, "m1", "sent")
    assert history.get(chat, "m1", outgoing=True).status == "sent"  # type: ignore[union-attr]
    assert history.edit(chat, "m1", "final", outgoing=True)
    assert history.delete(chat, "m1", outgoing=False, sender=CAROL)
    assert [m.text for m in history.page(chat).messages] == ["final"]
    assert history.received_ids(chat) == []


def test_the_conversation_list_and_search_include_groups_and_say_which(profile: Profile) -> None:
    chat = _group(profile)
    history = profile.history
    history.add(ALICE, client_id="m1", outgoing=False, text="the mill at noon", timestamp=10.0)
    history.add(chat, client_id="g1", outgoing=False, text="the mill at ten", timestamp=11.0, sender=BOB)
    history.add_notice(chat, client_id="n1", kind="group_change", timestamp=12.0, meta={"k": "add"})
    group_summary, alice_summary = history.conversations()
    assert (group_summary.group, group_summary.contact, group_summary.chat) == (GROUP, "", chat)
    assert group_summary.last.text == "the mill at ten" and group_summary.unread == 1
    assert (alice_summary.group, alice_summary.contact, alice_summary.chat) == ("", ALICE, ALICE)
    hits = history.search_all("mill")
    assert [(h.message.group, h.message.sender, h.contact) for h in hits] == [
        (GROUP, BOB, ""),
        ("", "", ALICE),
    ]
    assert [m.client_id for m in history.search(chat, "mill").messages] == ["g1"]
    assert [m.client_id for m in history.search(ALICE, "mill").messages] == ["m1"]
    around = history.around(chat, "g1")
    assert around is not None and [m.client_id for m in around.messages] == ["n1", "g1"]


def test_deleting_a_group_conversation_leaves_the_others(profile: Profile) -> None:
    chat = _group(profile)
    profile.history.add(chat, client_id="g1", outgoing=True, text="bye", timestamp=1.0)
    profile.history.add(ALICE, client_id="m1", outgoing=True, text="stay", timestamp=2.0)
    assert profile.history.delete_conversation(chat) == 1
    assert [s.contact for s in profile.history.conversations()] == [ALICE]
    assert profile.history.search_all("bye") == []


def test_a_group_page_walks_the_time_index(profile: Profile) -> None:
    chat = _group(profile)
    with profile.transaction():
        for i in range(300):
            profile.history.add(chat, client_id=f"g{i}", outgoing=True, text=f"n {i}", timestamp=100.0 + i)
    conversation = profile.history.conversation_id(chat)
    plan = profile._vault.conn.execute(
        "EXPLAIN QUERY PLAN " + History.GROUP_PAGE_QUERY, (GROUP, 2**62, 2**62, 50)
    ).fetchall()
    details = " | ".join(row[-1] for row in plan)
    assert conversation is not None and "messages_by_time" in details
    assert "TEMP B-TREE" not in details
    page = profile.history.page(chat, limit=50)
    assert [m.text for m in page.messages[:2]] == ["n 299", "n 298"] and page.next is not None
