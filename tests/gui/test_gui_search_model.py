"""The search results' model without Tk: grouping, highlighted parts, the count line, moving between hits."""

from __future__ import annotations

import re
import time
from dataclasses import replace

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gui.view_models.search_model import (
    NO_MATCHES,
    RESULT_LIMIT,
    Header,
    Hit,
    Part,
    count_text,
    hit_date,
    parts,
    rows,
    step,
)
from net.client.core.events import MessageStatus, MessageView, SearchResultView
from net.client.core.snippets import snippet

BOB, CAROL = "+14155550123", "+442079460958"
NOW = time.mktime((2024, 3, 15, 18, 0, 0, 0, 0, -1))


def result(contact: str, name: str, text: str, query: str, at: float) -> SearchResultView:
    ranges = [found.span() for found in re.finditer(re.escape(query), text, re.IGNORECASE)]
    cut, inside = snippet(text, ranges)
    message = MessageView(f"m-{at}", contact, False, text, at, MessageStatus.RECEIVED)
    return SearchResultView(contact, name, message, tuple(ranges), cut, tuple(inside))


def test_results_are_grouped_by_conversation_in_the_order_of_their_newest_hit() -> None:
    found = [
        result(BOB, "Bob", "pizza tonight?", "pizza", NOW - 60),
        result(CAROL, CAROL, "Pizza is fine", "pizza", NOW - 120),
        result(BOB, "Bob", "more pizza", "pizza", NOW - 3 * 86400),
    ]
    shown = rows(found, NOW)
    assert [type(r).__name__ for r in shown] == ["Header", "Hit", "Hit", "Header", "Hit"]
    assert shown[0] == Header(BOB, "Bob", 2) and shown[3] == Header(
        CAROL, "+44 20 7946 0958", 1
    )  # named as the list names her
    bob_new, bob_old, carol = (r for r in shown if isinstance(r, Hit))
    assert bob_new.result is found[0] and bob_old.result is found[2] and carol.result is found[1]
    assert bob_new.parts == (Part("pizza", True), Part(" tonight?", False))
    assert bob_new.date == time.strftime("%H:%M", time.localtime(NOW - 60))
    assert bob_old.parts == (Part("more ", False), Part("pizza", True))


def test_the_count_says_how_many_and_where_or_that_nothing_matched() -> None:
    assert count_text(0, 0) == NO_MATCHES == "No messages match."
    assert count_text(1, 1) == "1 message in 1 conversation"
    assert count_text(7, 3) == "7 messages in 3 conversations"
    assert count_text(RESULT_LIMIT, 2) == f"at least {RESULT_LIMIT} messages in 2 conversations"


def test_up_and_down_move_over_the_headers_and_stop_at_the_ends() -> None:
    shown = rows(
        [result(BOB, "Bob", "a1", "a", NOW - 1), result(CAROL, "C", "a2", "a", NOW - 2)],
        NOW,
    )  # Header, Hit(1), Header, Hit(3)
    assert step(shown, None, 1) == 1 and step(shown, None, -1) == 3
    assert step(shown, 1, 1) == 3 and step(shown, 3, 1) == 3
    assert step(shown, 3, -1) == 1 and step(shown, 1, -1) == 1
    assert step([], None, 1) is None


def test_overlapping_or_empty_ranges_are_never_drawn_twice() -> None:
    assert parts("abcdef", [(1, 3), (2, 4), (5, 5)]) == (
        Part("a", False),
        Part("bc", True),
        Part("def", False),
    )
    assert parts("", []) == ()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=150), st.text(min_size=1, max_size=10), st.text(max_size=150))
def test_the_parts_spell_the_snippet_and_every_highlight_is_the_query_in_any_script(
    before: str, query: str, after: str
) -> None:
    assume(not any(c in "\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029" for c in query))
    found = result(BOB, "Bob", before + query + after, query, NOW)
    [_, hit] = rows([found], NOW)
    assert isinstance(hit, Hit)
    assert "".join(p.text for p in hit.parts) == found.snippet
    highlighted = [p.text for p in hit.parts if p.match]
    assert highlighted and all(h.casefold() == query.casefold() for h in highlighted)


def test_an_edited_hit_says_edited_before_its_date() -> None:
    plain = result(BOB, "Bob", "dinner at nine", "nine", NOW - 60)
    edited = replace(plain, message=replace(plain.message, edited=True))
    [_header, hit] = rows([edited], NOW)
    assert isinstance(hit, Hit) and hit.date == f"edited · {hit_date(plain, NOW)}"
    assert not hit_date(plain, NOW).startswith("edited")
