"""The requests area's words, without Tk."""

from __future__ import annotations

from gui.view_models.requests_model import request_heading, request_title, requests_row
from net.client.core.events import RequestView

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
