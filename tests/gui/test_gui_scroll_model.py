"""The whole conversation's scrollbar as arithmetic, without Tk: the thumb, where a drag points, the view."""

from __future__ import annotations

import pytest

from gui.view_models.scroll_model import CONTEXT, ENTRY_GUESS, Load, Scroll, Span, pointed, thumb, top_for

VIEW = 400.0


def test_the_thumb_is_what_is_visible_of_the_whole_conversation() -> None:
    # 100 of 2,000 drawn at 50 px each, the newest; the view at their bottom
    span = Span(older=1900, drawn=100, newer=0, height=5000.0)
    first, last = thumb(span, 5000.0 - VIEW, VIEW)
    assert last == 1.0
    assert last - first == pytest.approx(8 / 2000)  # 8 of 2,000 messages fit in the view
    # at the top of the drawn ones, the thumb is 95 % of the way down, not at the top
    assert thumb(span, 0.0, VIEW)[0] == pytest.approx(0.95)


def test_a_page_loaded_above_hardly_moves_the_thumb() -> None:
    before = Span(older=1900, drawn=100, newer=0, height=5000.0)
    top = 600.0
    first_before, _ = thumb(before, top, VIEW)
    # 100 older ones come, a little taller on average; the view keeps its messages (it moves down by the page)
    after = Span(older=1800, drawn=200, newer=0, height=10_400.0)
    first_after, _ = thumb(after, top + 5400.0, VIEW)
    assert abs(first_after - first_before) < 0.002


def test_a_conversation_that_is_all_drawn_is_the_canvas_itself() -> None:
    span = Span(older=0, drawn=30, newer=0, height=1500.0)
    assert thumb(span, 300.0, VIEW) == pytest.approx((0.2, 0.2 + VIEW / 1500))
    assert pointed(span, 0.5, VIEW) == Scroll(0.5)
    assert pointed(span, 1.0, VIEW) == Scroll(pytest.approx((1500 - VIEW) / 1500))  # never past the end
    assert Span(0, 0, 0, 0.0).per_entry == ENTRY_GUESS


def test_a_drag_past_the_drawn_ones_names_the_place_to_load() -> None:
    span = Span(older=1900, drawn=100, newer=0, height=5000.0)
    assert pointed(span, 0.0, VIEW) == Load(0)  # the top: the oldest page, at once
    assert pointed(span, 0.5, VIEW) == Load(1000 - CONTEXT)  # half way: with some above it
    assert pointed(span, 0.96, VIEW) == Scroll(pytest.approx((0.96 * 100_000 - 95_000) / 5000))
    # just above the drawn ones (less than a view): scroll to their top, the older page comes by itself
    assert pointed(span, 0.95 - 100 / 100_000, VIEW) == Scroll(0.0)
    # below a block that ends before the newest (after a jump)
    jumped = Span(older=0, drawn=100, newer=1900, height=5000.0)
    assert pointed(jumped, 1.0 - 8 / 2000, VIEW) == Load(2000 - 8 - CONTEXT)  # the thumb at the bottom
    assert pointed(jumped, 1.0, VIEW) == Load(2000 - CONTEXT)


def test_a_loaded_page_puts_the_view_where_the_thumb_was_left() -> None:
    span = Span(older=975, drawn=100, newer=925, height=5000.0)
    fraction = top_for(span, 0.5, VIEW)
    assert thumb(span, fraction * 5000.0, VIEW)[0] == pytest.approx(0.5)
    assert top_for(span, 0.0, VIEW) == 0.0  # as near as the drawn ones allow
    assert top_for(span, 1.0, VIEW) == pytest.approx((5000 - VIEW) / 5000)
