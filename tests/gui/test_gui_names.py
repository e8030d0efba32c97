"""The naming rule, without Tk: nickname, then the contact's own name, then the formatted number."""

from __future__ import annotations

import hashlib

from gui.view_models.names import (
    AVATAR_COLOURS,
    avatar_colour,
    avatar_text,
    formatted_number,
    number_beneath,
    shown_name,
)

BOB = "+12025550143"


def test_numbers_are_shown_in_international_form() -> None:
    assert formatted_number(BOB) == "+1 202-555-0143"
    assert formatted_number("+447700900123") == "+44 7700 900123"
    assert formatted_number("not a number") == "not a number"  # shown as it is, never lost


def test_the_nickname_wins_then_the_name_they_sent_then_the_number() -> None:
    assert shown_name(BOB, "Bobby", "Robert") == "Bobby"
    assert shown_name(BOB, "", "Robert") == "Robert"
    assert shown_name(BOB, "  ", "") == "+1 202-555-0143"
    assert shown_name(BOB, BOB, "Robert") == "Robert"  # an old profile's number-as-name is no nickname


def test_the_number_goes_beneath_a_name_and_never_twice() -> None:
    assert number_beneath(BOB, "Bobby", "") == "+1 202-555-0143"
    assert number_beneath(BOB, "", "Robert") == "+1 202-555-0143"
    assert number_beneath(BOB, "", "") == ""  # the name shown is the number already
    assert number_beneath(BOB, BOB, "") == ""


def test_avatars_show_initials_or_the_last_two_digits() -> None:
    assert avatar_text("Ada Lovelace", BOB) == "AL"
    assert avatar_text("Ada King Lovelace", BOB) == "AL"
    assert avatar_text("zoë", BOB) == "Z"
    assert avatar_text("Émile 🙂", BOB) == "É"
    assert avatar_text(formatted_number(BOB), BOB) == "43"
    assert "#" not in avatar_text(shown_name(BOB), BOB)


def test_the_avatar_colour_follows_the_key_not_the_name() -> None:
    key = "0f3a9c11d2e4b5a6"
    colour = avatar_colour(key, BOB)
    assert colour in AVATAR_COLOURS
    assert avatar_colour(key, "+447700900123") == colour  # the key decides, not the number or the name
    other = {avatar_colour(hashlib.sha256(bytes([n])).hexdigest()[:16], BOB) for n in range(64)}
    assert len(other) > 4  # keys spread over the colours
    assert avatar_colour("", BOB) == avatar_colour("", BOB)  # before a key: stable for the number
