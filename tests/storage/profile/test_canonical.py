"""NFC and the way back: any text with combining marks, Hangul jamo or Tibetan vowel signs, composed
exactly as Python's NFC composes it, and every range of the composed text mapped onto the text as it was."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.profile.canonical import Composed, nfc, spellings

#: Letters, and what composes with them or reorders around them: accents (some with composed forms,
#: some without), Hangul leading and vowel and trailing jamo, Tibetan vowel signs, a Devanagari nukta.
_ALPHABET = st.sampled_from(
    [
        *"aeoAEOnc çé ",
        *("\u0300", "\u0301", "\u0302", "\u0308", "\u0323", "\u0327", "\u0331"),
        *("\u0344", "\u1100", "\u1161", "\u11a8", "\uac00", "\u0f71", "\u0f72", "\u0f73", "\u0f75"),
        *("\u0915", "\u093c", "\u0958"),
    ]
)
texts = st.lists(_ALPHABET, max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_the_composed_text_is_the_nfc_of_the_text(text: str) -> None:
    composed = Composed(text)
    assert composed.text == unicodedata.normalize("NFC", text) == nfc(text)
    assert composed.original_range((0, len(composed.text))) == (0, len(text))


@settings(max_examples=400, deadline=None)
@given(texts, st.data())
def test_every_range_of_the_composed_text_maps_onto_a_piece_of_the_text_that_holds_it(
    text: str, data: st.DataObject
) -> None:
    composed = Composed(text)
    size = len(composed.text)
    start = data.draw(st.integers(0, size))
    end = data.draw(st.integers(start, size))
    a, b = composed.original_range((start, end))
    assert 0 <= a <= b <= len(text)
    # What the range stands for, composed on its own, holds what was matched in the composed text.
    assert composed.text[start:end] in unicodedata.normalize("NFC", text[a:b])


def test_a_decomposed_accent_maps_as_one_letter_and_untouched_text_character_for_character() -> None:
    composed = Composed("cafe\u0301 au lait")  # "café au lait" with the accent typed apart
    assert composed.text == "caf\u00e9 au lait"
    assert composed.original_range((3, 4)) == (3, 5)  # the "é" is the "e" and its accent
    assert composed.original_range((5, 7)) == (6, 8)  # "au", one character later than composed
    assert composed.original_ranges(((0, 4), (5, 7))) == ((0, 5), (6, 8))
    assert Composed("").original_range((0, 0)) == (0, 0)


def test_ranges_that_fall_into_one_letter_are_merged() -> None:
    composed = Composed("a\u0301\u0301")  # one acute composes, the second stays a mark
    assert composed.text == "\u00e1\u0301"
    assert composed.original_ranges(((0, 1), (1, 2))) == ((0, 3),)


def test_hangul_jamo_compose_across_what_would_be_pieces() -> None:
    composed = Composed("\u1100\u1161\u11a8\u1100")  # ㄱ ㅏ ㄱ then ㄱ: one syllable and a jamo
    assert composed.text == "\uac01\u1100"
    assert composed.original_range((0, 1)) == (0, 3)
    assert composed.original_range((1, 2)) == (3, 4)


def test_a_query_is_asked_for_in_both_spellings_only_when_they_differ() -> None:
    assert spellings("caf\u00e9") == ("caf\u00e9", "cafe\u0301")
    assert spellings("cafe\u0301") == ("caf\u00e9", "cafe\u0301")
    assert spellings("coffee") == ("coffee",)
    assert spellings("東京") == ("東京",)
