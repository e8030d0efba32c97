"""The words of a reply's quote, of reaction chips and of the bar above the composer while it replies."""

from __future__ import annotations

from dataclasses import replace

from gui.view_models.action_text import (
    DELETED_TEXT,
    QUOTE_SHOWN,
    quote_name,
    quote_start,
    reaction_chips,
    replying_text,
)
from net.client.core.actions import ReplyView
from net.client.core.events import AttachmentView, MessageStatus, MessageView, TransferState

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


def test_the_replying_bar_names_the_author_and_the_start_or_the_file() -> None:
    text = MessageView("m1", BOB, False, "lunch\non Tuesday?", 0.0, MessageStatus.RECEIVED)
    assert replying_text("Bob", text) == "Replying to Bob: lunch on Tuesday?"
    picture = AttachmentView("summit.jpg", 10, "image/jpeg", TransferState.DONE)
    assert replying_text("Bob", replace(text, text="", attachment=picture)) == "Replying to Bob: summit.jpg"
