"""Mapping a bubble's drawn characters back to the stored text: plain, right to left, wrapped, emoji."""

from __future__ import annotations

import pytest

from gui.view_models.bidi_text import TextStyle
from gui.view_models.shown_text import copied, shown_map, word_at

WITH_EMOJI = TextStyle("Noto Color Emoji")
WITHOUT_EMOJI = TextStyle(None)


def measure(text: str) -> int:
    return 7 * len(text)


def mapped(text: str, style: TextStyle = WITH_EMOJI, width: int = 700) -> tuple[str, list[int]]:
    result = shown_map(text, style, measure, width)
    assert result is not None
    assert result[0] == style.bubble(text, measure, width)[0]  # it follows the drawing exactly
    return result


def test_plain_text_is_drawn_as_stored() -> None:
    shown, origin = mapped("are we still on")
    assert shown == "are we still on" and origin == list(range(15))
    assert copied("are we still on", origin, range(4, 6)) == "we"


def test_a_right_to_left_selection_comes_back_in_stored_order() -> None:
    text = "שלום לכולם"
    shown, origin = mapped(text)
    assert shown == "םלוכל םולש"
    assert copied(text, origin, range(5)) == "לכולם"  # the first drawn word is the last typed
    assert copied(text, origin, range(len(shown))) == text


def test_mixed_directions_copy_the_chosen_characters_in_stored_order() -> None:
    text = "שלום abc 123 עולם"
    shown, origin = mapped(text)
    chosen = [i for i, char in enumerate(shown) if char in "abc"]
    assert copied(text, origin, chosen) == "abc"
    whole = copied(text, origin, range(len(shown)))
    assert whole == text


def test_arabic_ligatures_and_joined_letters_copy_the_letters_typed() -> None:
    text = "لا سلام"
    shown, origin = mapped(text)
    assert len(shown) < len(text)  # lam and alef drawn as one ligature
    assert copied(text, origin, range(len(shown))) == text
    ligature = origin.index(0)
    assert copied(text, origin, [ligature]) == "لا"


def test_wrapped_right_to_left_lines_keep_the_space_they_broke_at() -> None:
    text = "שלום עולם ומלואו וכל אשר בו"
    shown, origin = mapped(text, width=70)
    assert "\n" in shown
    assert copied(text, origin, range(len(shown))) == text


def test_emoji_spelt_out_by_name_copy_as_the_emoji_with_their_modifiers() -> None:
    text = "ok 👍🏽 then"
    shown, origin = mapped(text, WITHOUT_EMOJI)
    assert "[thumbs up sign]" in shown
    start = shown.index("[")
    assert copied(text, origin, [start + 3]) == "👍🏽"  # a letter of the name stands for all of it
    assert copied(text, origin, range(len(shown))) == text


def test_lines_of_their_own_keep_their_breaks() -> None:
    text = "first\nשלום\nlast"
    shown, origin = mapped(text)
    assert copied(text, origin, range(len(shown))) == text


@pytest.mark.parametrize(
    ("shown", "index", "word"),
    [("are we still", 8, (7, 11)), ("are we still", 3, (3, 3)), ("it's fine", 1, (0, 3)), ("x", 5, (5, 5))],
)
def test_a_word_is_letters_and_digits_around_the_point(shown: str, index: int, word: tuple[int, int]) -> None:
    assert word_at(shown, index) == word


def test_nothing_chosen_copies_nothing() -> None:
    _shown, origin = mapped("hello")
    assert copied("hello", origin, []) == ""
