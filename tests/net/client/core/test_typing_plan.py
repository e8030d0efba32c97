"""Typing notices on a fake clock: repeated only every few seconds, none while the contact is quiet."""

from __future__ import annotations

from fake_clock import FakeClock

from net.client.core.typing_plan import TYPING_QUIET, TYPING_REPEAT, TypingNotices, typing_due

BOB, CAROL = "+442079460958", "+442079460959"


def test_typing_notices_repeat_only_every_few_seconds_and_wait_while_the_contact_is_quiet() -> None:
    clock = FakeClock()
    now = clock()
    assert typing_due(True, now, None, 0.0)  # the first notice goes
    assert not typing_due(True, now + TYPING_REPEAT - 0.5, (True, now), 0.0)  # the same, too soon
    assert typing_due(False, now + 0.5, (True, now), 0.0)  # a change goes at once
    assert typing_due(True, now + TYPING_REPEAT, (True, now), 0.0)  # the same again, after the window
    quiet_until = now + TYPING_QUIET  # the last one was not delivered: the contact is offline
    assert not typing_due(False, now + TYPING_QUIET - 0.5, (True, now), quiet_until)
    assert typing_due(False, now + TYPING_QUIET, (True, now), quiet_until)


def test_a_notice_not_delivered_quiets_that_contact_until_it_is_heard_from_or_the_time_is_up() -> None:
    clock = FakeClock()
    notices = TypingNotices()
    assert notices.due(BOB, True, clock())
    notices.sent(BOB, True, clock())
    notices.answered(BOB, delivered=False, now=clock())
    clock.advance(TYPING_QUIET - 0.5)
    assert not notices.due(BOB, False, clock())  # quiet: not even a change goes
    assert notices.due(CAROL, True, clock())  # another contact is not quiet
    notices.heard_from(BOB)
    assert notices.due(BOB, False, clock())
    notices.answered(BOB, delivered=False, now=clock())
    clock.advance(TYPING_QUIET)
    assert notices.due(BOB, False, clock())


def test_a_delivered_notice_only_holds_back_the_same_notice_for_a_few_seconds() -> None:
    clock = FakeClock()
    notices = TypingNotices()
    notices.sent(BOB, True, clock())
    notices.answered(BOB, delivered=True, now=clock())
    clock.advance(TYPING_REPEAT - 0.5)
    assert not notices.due(BOB, True, clock()) and notices.due(BOB, False, clock())
    clock.advance(0.5)
    assert notices.due(BOB, True, clock())
