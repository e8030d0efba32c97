"""The display transform for right-to-left scripts and emoji, without Tk."""

from __future__ import annotations

import unicodedata

from gui.view_models.bidi_text import (
    TextStyle,
    base_is_rtl,
    display_lines,
    display_text,
    emoji_font,
    readable_emoji,
    without_marks,
)

SHALOM = "שלום"
SHALOM_SHOWN = "םולש"  # Tk draws left to right: the stored order reversed reads right to left


def width_of(text: str) -> int:
    return 10 * len(text)


def test_text_without_right_to_left_characters_is_left_alone() -> None:
    assert display_text("Hello, world — 12:30") == "Hello, world — 12:30"
    assert display_lines("Hello world", width_of, 30) == ("Hello world", False)


def test_hebrew_is_drawn_in_reading_order() -> None:
    assert display_text(f"{SHALOM} עולם") == "םלוע " + SHALOM_SHOWN
    assert base_is_rtl(f"{SHALOM} world") and not base_is_rtl(f"Hi {SHALOM}")


def test_a_hebrew_word_inside_an_english_line_keeps_the_english_order() -> None:
    assert display_text(f"Hello {SHALOM} world") == f"Hello {SHALOM_SHOWN} world"


def test_numbers_inside_right_to_left_text_keep_their_own_order() -> None:
    # "I have 42 cats": the number stays 42, not 24, at its place in the reversed sentence.
    assert display_text("יש לי 42 חתולים") == "םילותח 42 יל שי"


def test_arabic_letters_are_joined_and_reordered() -> None:
    shown = display_text("مرحبا")
    forms = [unicodedata.name(char) for char in shown]
    assert all(name.startswith("ARABIC LETTER") for name in forms)
    # the first letter (meem) is drawn last, in its initial form; the alef is drawn first, final
    assert forms[-1] == "ARABIC LETTER MEEM INITIAL FORM"
    assert forms[0] == "ARABIC LETTER ALEF FINAL FORM"
    assert "MEDIAL" in forms[1]


def test_each_line_keeps_its_place_and_its_own_direction() -> None:
    assert display_text(f"first\n{SHALOM}\nlast") == f"first\n{SHALOM_SHOWN}\nlast"


def test_a_long_right_to_left_line_is_wrapped_before_it_is_reordered() -> None:
    one, two, three, four = "אחת", "שתיים", "שלוש", "ארבע"
    text, rtl = display_lines(f"{one} {two} {three} {four}", width_of, 100)
    assert rtl
    # the first visual line holds the first words, each line read from the right
    assert text.split("\n") == [f"{two[::-1]} {one[::-1]}", f"{four[::-1]} {three[::-1]}"]


def test_a_word_longer_than_the_line_is_cut_rather_than_overflowing() -> None:
    text, _ = display_lines("א" * 25, width_of, 100)
    assert all(width_of(line) <= 100 for line in text.split("\n"))
    assert text.replace("\n", "") == "א" * 25


def test_emoji_inside_right_to_left_text_stay_where_they_were_typed() -> None:
    assert display_text(f"{SHALOM} 🙂") == "🙂 " + SHALOM_SHOWN


def test_the_emoji_font_is_found_among_the_installed_families() -> None:
    assert emoji_font(["DejaVu Sans", "Noto Color Emoji"]) == "Noto Color Emoji"
    assert emoji_font(["DejaVu Sans", "Symbola"]) == "Symbola"
    assert emoji_font(["DejaVu Sans", "Noto Sans"]) is None


def test_without_an_emoji_font_emoji_are_written_as_their_names() -> None:
    assert without_marks(readable_emoji("ok 👍")) == "ok [thumbs up sign]"
    # a skin tone and the joiner inside a sequence are dropped; each part keeps its name
    shown = without_marks(readable_emoji("👍🏽 👩‍💻"))
    assert shown == "[thumbs up sign] [woman][personal computer]"
    assert readable_emoji("no emoji ✓") == "no emoji ✓"


def test_the_window_style_applies_the_fallback_only_when_no_emoji_font_is_there() -> None:
    with_font, without = TextStyle("Noto Color Emoji"), TextStyle(None)
    assert not with_font.emoji_fallback and without.emoji_fallback
    assert with_font.show("hi 🙂") == "hi 🙂"
    assert without.show("hi 🙂") == "hi [slightly smiling face]"
    assert without.show(f"{SHALOM} 🙂") == "[slightly smiling face] " + SHALOM_SHOWN
    assert without.bubble("🙂", width_of, 1000) == ("[slightly smiling face]", False)
