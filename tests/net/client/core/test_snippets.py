"""Snippets: the text around the first match on one line, cut at spaces, the ranges shifted into it."""

from __future__ import annotations

import itertools
import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from net.client.core.snippets import ELLIPSIS, SNIPPET_WIDTH, snippet

LINE_BREAKS = "\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029"
queries = st.text(min_size=1, max_size=12).filter(lambda q: not any(c in LINE_BREAKS for c in q))
texts = st.text(max_size=200)


def match_ranges(text: str, query: str) -> list[tuple[int, int]]:
    """Where the query is in the text, in any case, as the profile's search gives it with a hit."""
    return [found.span() for found in re.finditer(re.escape(query), text, re.IGNORECASE)]


def same(found: str, query: str) -> bool:
    return re.fullmatch(re.escape(query), found, re.IGNORECASE) is not None


def test_a_short_text_is_its_own_snippet_on_one_line() -> None:
    assert snippet("See you\nat seven", [(11, 16)]) == ("See you at seven", [(11, 16)])
    assert snippet("", []) == ("", [])


def test_a_long_text_is_cut_at_spaces_around_the_first_match_with_ellipses() -> None:
    text = " ".join(f"word{i:02}" for i in range(40)) + " the needle " + " ".join("x" * 6 for _ in range(40))
    start = text.index("needle")
    cut, ranges = snippet(text, [(start, start + 6)])
    assert cut.startswith(ELLIPSIS + "word") and cut.endswith("xxxxxx" + ELLIPSIS)
    [(a, b)] = ranges
    assert cut[a:b] == "needle"
    inner = cut[1:-1]
    assert text.find(inner) != -1 and text[text.find(inner) - 1] == " "  # whole words only
    assert len(cut) <= SNIPPET_WIDTH + 2


def test_later_matches_outside_the_snippet_are_dropped_and_the_first_is_kept() -> None:
    text = "cat " + "filler " * 30 + "cat"
    cut, ranges = snippet(text, match_ranges(text, "cat"))
    assert ranges == [(0, 3)] and cut.endswith(ELLIPSIS)


def test_a_match_longer_than_the_width_is_shown_whole() -> None:
    query = "ab" * SNIPPET_WIDTH
    text = "before " + query + " after"
    cut, ranges = snippet(text, match_ranges(text, query))
    [(a, b)] = ranges
    assert cut[a:b] == query


@settings(max_examples=400, deadline=None)
@given(texts, queries, texts, st.sampled_from([str, str.upper, str.lower, str.swapcase]))
def test_every_range_reads_as_the_query_in_the_text_and_in_its_snippet(
    before: str, query: str, after: str, spell: object
) -> None:
    written = spell(query)  # type: ignore[operator]
    assume(same(written, query))
    text = before + written + after
    ranges = match_ranges(text, query)
    assert ranges, "the query is in the text, so it matches somewhere"
    assert all(a < b for a, b in ranges)
    assert all(b1 <= a2 for (_, b1), (a2, _) in itertools.pairwise(ranges))
    assert all(same(text[a:b], query) for a, b in ranges)

    cut, inside = snippet(text, ranges)
    assert inside, "the first match is always in the snippet"
    assert all(0 <= a < b <= len(cut) for a, b in inside)
    assert all(same(cut[a:b], query) for a, b in inside)
    assert not any(c in LINE_BREAKS for c in cut)
    first = ranges[0][1] - ranges[0][0]
    assert len(cut) <= max(SNIPPET_WIDTH, first) + 2 * len(ELLIPSIS)
