"""The history's reads: pages newest first, any history paged whole, search in one conversation, damage
skipped and reported once, the conversation list, the page query's index, the first unread message."""

from __future__ import annotations

import pytest
from history_support import ALICE, BOB, damage, fill, profile, shared
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_core.errors import DecryptionError
from storage.profile.messages import Cursor
from storage.profile.profile import Profile
from storage.profile.timeline import Timeline

__all__ = ["profile", "shared"]  # the fixtures, imported so pytest finds them here

_conversations = iter(range(10**6))


def test_pages_run_newest_first_and_cursors_cover_everything_once(profile: Profile) -> None:
    fill(profile, ALICE, 23)
    fill(profile, BOB, 5)
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
    fill(profile, ALICE, 4)
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
    fill(profile, ALICE, 100)
    damage(profile, "id = (SELECT MIN(id) FROM messages)")
    # The oldest row is damaged; a search satisfied by newer rows never reaches it.
    page = profile.history.search(ALICE, "NUMBER 9", limit=3, batch=10)
    assert [m.text for m in page.messages] == ["message number 99", "message number 98", "message number 97"]
    assert profile.take_damage() == []
    # A search that reaches the damaged row skips it and notes it.
    assert profile.history.search(ALICE, "message number 0", batch=10).messages == []
    assert profile.take_damage() == ["message"]


def test_search_needs_text(profile: Profile) -> None:
    with pytest.raises(ValueError, match="text"):
        profile.history.search(ALICE, "")


def test_a_damaged_message_costs_only_itself_in_pages_and_is_reported_once(profile: Profile) -> None:
    fill(profile, ALICE, 10)
    damage(profile, "id = (SELECT MIN(id) FROM messages) + 4")
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
    fill(profile, ALICE, 3)
    profile.history.add(BOB, client_id="b1", outgoing=False, text="from bob", timestamp=1.0)
    damage(profile, "id = (SELECT MAX(id) FROM messages WHERE outgoing = 1)")
    summaries = {s.contact: s for s in profile.history.conversations()}
    assert summaries[ALICE].last.text == "message number 1"
    assert summaries[BOB].last.text == "from bob"
    assert profile.take_damage() == ["message"]


def test_a_row_whose_metadata_is_not_json_is_damage(profile: Profile) -> None:
    profile.history.add(ALICE, client_id="c1", outgoing=False, text="one", timestamp=1.0)
    profile.history.add(ALICE, client_id="c2", outgoing=False, text="two", timestamp=2.0)
    damage(profile, "client = 'c2'")
    assert [m.text for m in profile.history.page(ALICE).messages] == ["one"]
    assert profile.take_damage() == ["message"]
    with pytest.raises(DecryptionError, match="stored message"):
        profile.history.get(ALICE, "c2", outgoing=False)


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
    fill(profile, ALICE, 10_000)
    fill(profile, BOB, 50)
    page = profile.history.page(ALICE, limit=50)
    assert [m.text for m in page.messages[:2]] == ["message number 9999", "message number 9998"]
    older = profile.history.page(ALICE, before=Cursor(page.next.ts, page.next.local_id), limit=50)  # type: ignore[union-attr]
    assert older.messages[0].text == "message number 9949"

    plan = profile._vault.conn.execute(
        "EXPLAIN QUERY PLAN " + Timeline.PAGE_QUERY, (ALICE, 2**62, 2**62, 50)
    ).fetchall()
    details = " | ".join(row[-1] for row in plan)
    assert "USING INDEX messages_by_time" in details or "USING COVERING INDEX messages_by_time" in details
    assert "SCAN" not in details and "TEMP B-TREE" not in details


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
