"""The words of a desktop notification under each setting."""

from __future__ import annotations

from gui.view_models.notification_text import MOST_CHARACTERS, notification_text, request_notification_text
from net.client.core.privacy import NotificationContent as Content


def test_name_and_text_quotes_the_newest_message_and_counts_the_others() -> None:
    assert notification_text("Bob", "See you at 8", 1, Content.NAME_AND_TEXT) == ("Bob", "See you at 8")
    assert notification_text("Bob", "at 9 then", 2, Content.NAME_AND_TEXT) == (
        "Bob",
        "at 9 then\n(1 more message)",
    )
    assert notification_text("Bob", "ok", 50, Content.NAME_AND_TEXT) == ("Bob", "ok\n(49 more messages)")


def test_a_long_or_many_lined_text_is_one_short_line() -> None:
    title, body = notification_text("Bob", "line one\nline two  " + "x" * 500, 1, Content.NAME_AND_TEXT) or (
        "",
        "",
    )
    assert title == "Bob" and body.startswith("line one line two x")
    assert len(body) == MOST_CHARACTERS and body.endswith("…")


def test_name_only_never_shows_the_text() -> None:
    assert notification_text("Bob", "the secret", 1, Content.NAME_ONLY) == ("Bob", "New message")
    assert notification_text("Bob", "the secret", 3, Content.NAME_ONLY) == ("Bob", "3 new messages")


def test_nothing_means_no_notification() -> None:
    assert notification_text("Bob", "hello", 1, Content.NOTHING) is None
    assert notification_text("Bob", "hello", 0, Content.NAME_AND_TEXT) is None


def test_a_message_request_is_told_without_name_number_or_text_whatever_the_setting() -> None:
    for content in (Content.NAME_AND_TEXT, Content.NAME_ONLY):
        assert request_notification_text(1, content) == (
            "New message request",
            "From a number not in your contacts. Nothing goes back until you accept.",
        )
        assert request_notification_text(3, content)[0] == "3 new message requests"  # type: ignore[index]
    assert request_notification_text(1, Content.NOTHING) is None
    assert request_notification_text(0, Content.NAME_AND_TEXT) is None
