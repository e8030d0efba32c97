"""The requests area's words, without Tk."""

from __future__ import annotations

from gui.view_models.requests_model import (
    blocked_line,
    blocked_summary,
    request_heading,
    request_title,
    requests_row,
)
from net.client.core.events import ContactView, RequestView

STRANGER = "+12025550143"


def test_the_requests_row_says_how_many_and_what_was_dropped() -> None:
    assert requests_row(0, 0) == ("", "")
    assert requests_row(2, 0) == ("Message requests · 2", "From numbers not in your contacts")
    assert requests_row(0, 1) == ("Message requests", "1 message from blocked numbers dropped")
    title, line = requests_row(1, 3)
    assert title == "Message requests · 1" and line.endswith("3 messages from blocked numbers dropped")


def test_a_request_shows_the_formatted_number_and_the_name_they_sent() -> None:
    named = RequestView(STRANGER, "Totally Your Bank", 2000, "buy now", 1.0)
    assert request_title(named) == "+1 202-555-0143 — “Totally Your Bank”"
    assert request_title(RequestView(STRANGER, "", 1, "hi", 1.0)) == "+1 202-555-0143"
    heading = request_heading(named)
    assert "+1 202-555-0143" in heading and "2000 messages" in heading and "learn nothing" in heading
    assert "sent 1 message." in request_heading(RequestView(STRANGER, "", 1, "hi", 1.0))


def _blocked(name: str = "", profile_name: str = "") -> ContactView:
    return ContactView(STRANGER, name, False, False, "", profile_name=profile_name, standing="blocked")


def test_a_blocked_number_is_in_international_form_with_the_name_it_is_known_by() -> None:
    assert blocked_line(_blocked()) == "+1 202-555-0143"
    assert blocked_line(_blocked(profile_name="Totally Your Bank")) == "+1 202-555-0143 — “Totally Your Bank”"
    assert blocked_line(_blocked(name="Ex", profile_name="Bank")) == "+1 202-555-0143 — “Ex”"  # the nickname
    assert blocked_line(_blocked(name=STRANGER)) == "+1 202-555-0143"  # an old profile's number "name"


def test_the_blocked_summary_counts_the_numbers_and_what_was_dropped() -> None:
    assert blocked_summary(0, 0).startswith("You have not blocked any number.")
    assert blocked_summary(1, 0) == "1 blocked number: what they send is dropped unread."
    assert blocked_summary(2, 2000) == (
        "2 blocked numbers: what they send is dropped unread. "
        "2,000 messages from blocked numbers dropped so far."
    )
    assert blocked_summary(0, 1).endswith(" 1 message from blocked numbers dropped so far.")
