"""The disappearing timer's words: the five choices, the header, the notice, the bubble's mark."""

from __future__ import annotations

import time

from gui.view_models.timer_text import CHOICES, choice_words, mark_text, notice_words
from net.client.core.events import MessageStatus, MessageView


def notice(seconds: str, by: str = "") -> MessageView:
    return MessageView(
        "n1", "+442079460958", not by, "", time.time(), MessageStatus.RECEIVED,
        notice="timer_changed", notice_by=by, notice_detail=seconds,
    )  # fmt: skip


def test_the_five_choices_are_said_in_words() -> None:
    assert [choice_words(s) for s in CHOICES] == ["Off", "5 minutes", "1 hour", "1 day", "1 week"]
    assert choice_words(7200) == "2 hours" and choice_words(90) == "1 minute"


def test_the_notice_says_who_set_what() -> None:
    assert notice_words(notice("3600"), "") == "You set disappearing messages to 1 hour"
    assert notice_words(notice("300", "+1"), "Ana") == "Ana set disappearing messages to 5 minutes"
    assert notice_words(notice("0", "+1"), "Ana") == "Ana turned off disappearing messages"
    assert notice_words(notice("0"), "") == "You turned off disappearing messages"
    assert notice_words(notice("nonsense"), "") == "You turned off disappearing messages"


def test_the_bubble_mark_is_short() -> None:
    assert [mark_text(s) for s in CHOICES] == ["", "5m", "1h", "1d", "1w"]
