"""The picker's emoji: from the standard library, all acceptable as reactions, found by name, recent first."""

from __future__ import annotations

from gui.view_models.emoji_catalog import RECENT_LIMIT, Emoji, catalog, name_of, search, step, used
from gui.view_models.message_actions import REACTIONS
from net.client.core.actions import is_emoji


def chars(found: list[Emoji]) -> list[str]:
    return [e.char for e in found]


def test_every_emoji_offered_is_one_the_engine_accepts_as_a_reaction() -> None:
    every = catalog()
    assert len(every) > 1000
    assert all(is_emoji(e.char) and e.name for e in every)
    assert len({e.char for e in every}) == len(every)
    # the menu's own row is in it (the heart as its base character)
    assert {r.rstrip("\ufe0f") for r in REACTIONS} <= {e.char for e in every}


def test_a_name_is_found_by_the_beginnings_of_its_words_whole_words_first() -> None:
    assert chars(search("thumbs"))[:2] == ["👍", "👎"]
    assert "❤" in chars(search("heart"))
    cats = chars(search("cat"))
    assert cats[:2] == ["🐈", "🐱"] and "😺" in cats
    cars = [e.name for e in search("car")]
    assert cars.index("carousel horse") > cars.index("racing car")  # whole words first
    assert chars(search("smiling cat")) == ["😸", "😺", "😻"]
    assert chars(search("Thumbs UP")) == ["👍", "🖒"]
    assert search("no such emoji at all") == []


def test_a_blank_search_offers_everything_with_the_recently_used_first() -> None:
    recent = ["🐈", "👍"]
    found = chars(search("", recent))
    assert found[:2] == recent and len(found) == len(catalog())
    assert chars(search("thumbs", ["👎"]))[:2] == ["👎", "👍"]


def test_the_recently_used_list_puts_the_last_choice_first_once_and_stays_short() -> None:
    recent: list[str] = []
    for char in ["👍", "🐈", "👍"]:
        recent = used(recent, char)
    assert recent == ["👍", "🐈"]
    for e in catalog()[:40]:
        recent = used(recent, e.char)
    assert len(recent) == RECENT_LIMIT and recent[0] == catalog()[39].char


def test_the_arrows_move_through_the_grid_and_stop_at_its_edges() -> None:
    # 10 emoji in rows of 4: 0 1 2 3 / 4 5 6 7 / 8 9
    assert step(-1, "Down", 10, 4) == 0
    assert step(0, "Right", 10, 4) == 1 and step(3, "Right", 10, 4) == 4
    assert step(4, "Left", 10, 4) == 3 and step(0, "Left", 10, 4) == 0
    assert step(1, "Down", 10, 4) == 5 and step(5, "Up", 10, 4) == 1
    assert step(1, "Up", 10, 4) == 1
    assert step(6, "Down", 10, 4) == 9  # the short last row: its last emoji
    assert step(9, "Down", 10, 4) == 9
    assert step(5, "Home", 10, 4) == 0 and step(5, "End", 10, 4) == 9
    assert step(0, "Down", 0, 4) == -1


def test_an_emoji_is_named_in_words() -> None:
    assert name_of("👍") == "thumbs up sign"
    assert name_of("") == ""
