"""The new-group form's rules, without a display: the filter, typed numbers, what is refused and why."""

from __future__ import annotations

import pytest

from gui.view_models.group_form import (
    Choice,
    FormProblem,
    chosen_members,
    filtered,
    group_name,
    typed_numbers,
)

ME = "+442079460100"
CHOICES = [
    Choice("+442079460102", "Bob Smith"),
    Choice("+442079460101", "Alice"),
    Choice("+12025550143", "Zed"),
]


def test_the_filter_narrows_by_name_or_number_and_sorts_by_name() -> None:
    assert [c.name for c in filtered(CHOICES, "")] == ["Alice", "Bob Smith", "Zed"]
    assert [c.name for c in filtered(CHOICES, "bob s")] == ["Bob Smith"]
    assert [c.name for c in filtered(CHOICES, "0143")] == ["Zed"]
    assert filtered(CHOICES, "nobody") == []


def test_checked_and_typed_members_come_once_in_international_form() -> None:
    assert typed_numbers("+1 202 555 0143, +44 20 7946 0103\n") == ["+1 202 555 0143", "+44 20 7946 0103"]
    members = chosen_members(["+442079460102", "+442079460102"], "+44 20 7946 0103; +442079460102", ME)
    assert members == ["+442079460102", "+442079460103"]


def test_bad_forms_are_refused_in_sentences() -> None:
    with pytest.raises(FormProblem, match="Give the group a name") as empty:
        group_name("   ")
    assert empty.value.field == "name"
    assert group_name("  Book club ") == "Book club"
    with pytest.raises(FormProblem, match="at least one contact"):
        chosen_members([], "", ME)
    with pytest.raises(FormProblem, match="your own number"):
        chosen_members([], "+44 20 7946 0100", ME)
    with pytest.raises(FormProblem, match="“12ab”") as bad:
        chosen_members([], "12ab", ME)
    assert bad.value.field == "members"
    with pytest.raises(FormProblem, match="at most 100 members"):
        chosen_members([f"+4420794{n:05d}" for n in range(100)], "", ME)
    assert chosen_members([], "", ME, need_one=False) == []
