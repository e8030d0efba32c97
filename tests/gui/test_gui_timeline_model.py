"""The timeline's rules without Tk: which time a bubble shows, the divider, the jump label, fitting text."""

from __future__ import annotations

import time

from gui.view_models.timeline_model import (
    FUTURE_LIMIT,
    badge_label,
    divider_before,
    fit,
    held_line,
    is_held,
    jump_label,
    notice_text,
    shown_time,
    time_details,
    unread_divider_text,
)
from net.client.core.events import MessageStatus, MessageView

BOB = "+442079460958"


def _in(message_id: str, arrived: float, sent: float) -> MessageView:
    return MessageView(message_id, BOB, False, "hi", arrived, MessageStatus.RECEIVED, sent_at=sent)


def test_a_bubble_shows_the_senders_time_unless_it_is_absurd() -> None:
    assert shown_time(_in("a", 10_000.0, 9_000.0)) == 9_000.0  # written offline, arrived later
    assert shown_time(_in("b", 10_000.0, 10_000.0 + FUTURE_LIMIT)) == 10_000.0 + FUTURE_LIMIT
    assert shown_time(_in("c", 10_000.0, 10_001.0 + FUTURE_LIMIT)) == 10_000.0  # a clock far ahead
    assert shown_time(_in("d", 10_000.0, 0.0)) == 10_000.0  # not known
    mine = MessageView("e", BOB, True, "yo", 5.0, MessageStatus.SENT, sent_at=5.0)
    assert shown_time(mine) == 5.0


def test_the_details_say_both_times_and_why_the_arrival_is_shown() -> None:
    utc = time.gmtime
    assert time_details(_in("a", 3600.0, 60.0), localtime=utc) == (
        "Sent 01 Jan 1970, 00:01:00 · arrived 01 Jan 1970, 01:00:00"
    )
    absurd = time_details(_in("b", 0.5, 3 * 86400.0), localtime=utc)
    assert absurd.startswith("Arrived 01 Jan 1970, 00:00:00") and "more than a day later" in absurd
    assert "not known" in time_details(_in("c", 60.0, 0.0), localtime=utc)


def test_the_divider_goes_above_the_first_unread_message_only_when_it_is_on_the_page() -> None:
    page = [_in(f"m{i}", float(i), float(i)) for i in range(5)]
    assert divider_before(page, "m3") == 3
    assert divider_before(page, "gone") is None and divider_before(page, None) is None
    assert unread_divider_text(1) == "1 unread message"
    assert unread_divider_text(2000) == "2,000 unread messages"


def test_the_jump_button_and_the_badge_say_their_counts() -> None:
    assert jump_label(0) == "↓" and jump_label(1500) == "↓  1,500 unread"
    assert badge_label(999) == "999" and badge_label(1000) == "999+"


def test_a_held_text_is_a_queued_one_of_mine_while_the_key_change_waits() -> None:
    queued = MessageView("o", BOB, True, "yo", 1.0, MessageStatus.QUEUED)
    assert is_held(queued, True) and not is_held(queued, False)
    assert not is_held(MessageView("o", BOB, True, "yo", 1.0, MessageStatus.SENT), True)
    assert held_line("Bob") == "Held until you confirm Bob's new safety number"
    assert notice_text("key_changed", "Bob") == "Bob's safety number changed."


def test_text_is_cut_with_an_ellipsis_to_fit_the_width() -> None:
    def measure(text: str) -> float:
        return 7.0 * len(text)

    assert fit("short   text", 200, measure) == "short text"
    cut = fit("a long preview that will not fit", 70, measure)
    assert cut.endswith("…") and measure(cut) <= 70
    assert fit("anything", 3, measure) == ""
