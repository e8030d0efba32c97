"""What may go back to whom: accepted contacts get everything, requests nothing, blocked ones are dropped."""

from __future__ import annotations

import pytest

from net.client.core.standing import (
    Standing,
    after_own_step,
    keeps_messages,
    may_answer,
    of_stranger,
    profile_due,
)


def test_only_an_accepted_contact_is_answered() -> None:
    assert may_answer(Standing.ACCEPTED)
    assert not may_answer(Standing.REQUEST)
    assert not may_answer(Standing.BLOCKED)
    assert not may_answer(None)  # a number that is no contact at all


def test_a_blocked_number_is_dropped_and_everyone_else_kept() -> None:
    assert not keeps_messages(Standing.BLOCKED)
    assert keeps_messages(Standing.REQUEST) and keeps_messages(Standing.ACCEPTED) and keeps_messages(None)


def test_a_stranger_makes_a_request_and_the_persons_own_step_accepts_unless_blocked() -> None:
    assert of_stranger() is Standing.REQUEST
    assert after_own_step(None) is Standing.ACCEPTED
    assert after_own_step(Standing.REQUEST) is Standing.ACCEPTED
    assert after_own_step(Standing.ACCEPTED) is Standing.ACCEPTED
    assert after_own_step(Standing.BLOCKED) is Standing.BLOCKED


@pytest.mark.parametrize(
    ("standing", "sent", "current", "due"),
    [
        (Standing.ACCEPTED, 0, 1, True),  # never sent
        (Standing.ACCEPTED, 1, 1, False),  # they have it
        (Standing.ACCEPTED, 1, 2, True),  # changed since
        (Standing.REQUEST, 0, 1, False),  # a stranger does not get our name
        (Standing.BLOCKED, 0, 3, False),
        (None, 0, 1, False),
    ],
)
def test_our_name_is_due_to_an_accepted_contact_without_its_current_version(
    standing: Standing | None, sent: int, current: int, due: bool
) -> None:
    assert profile_due(standing, sent, current) is due
