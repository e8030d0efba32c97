"""The words of a reply's quote and of reaction chips."""

from __future__ import annotations

from gui.view_models.action_text import DELETED_TEXT, QUOTE_SHOWN, quote_name, quote_start, reaction_chips
from net.client.core.actions import ReplyView

BOB = "+442079460958"


def test_the_quote_names_you_or_the_author_and_shows_the_start_on_one_line() -> None:
    names = {BOB: "Bob"}.__getitem__
    assert quote_name(ReplyView("", "m1", "mine"), names) == "You"
    assert quote_name(ReplyView(BOB, "m1", "his"), names) == "Bob"
    assert quote_start(ReplyView(BOB, "m1", "two\nlines")) == "two lines"
    long = quote_start(ReplyView(BOB, "m1", "word " * 40))
    assert len(long) <= QUOTE_SHOWN and long.endswith("…")
    assert quote_start(ReplyView(BOB, "m1", "")) == DELETED_TEXT  # the original was deleted


def test_chips_read_emoji_and_count_and_say_which_is_ours() -> None:
    assert reaction_chips((("👍", 2, True), ("❤️", 1, False), ("😂", 0, False))) == [
        ("👍 2", True),
        ("❤️ 1", False),
    ]
