"""Which session stays current when both sides start one at once: the lower id, on both sides."""

from __future__ import annotations

from net.client.core.session_choice import ours_wins

LOW, HIGH = b"\x01" * 16, b"\x02" * 16


def test_both_sides_of_a_simultaneous_start_keep_the_lower_session_id() -> None:
    at_low = ours_wins(ours=LOW, theirs=HIGH, ours_answered=False, same_peer=True)
    at_high = ours_wins(ours=HIGH, theirs=LOW, ours_answered=False, same_peer=True)
    assert at_low and not at_high  # both end up on LOW


def test_an_answered_session_or_another_identity_gives_way_to_the_new_start() -> None:
    assert not ours_wins(ours=LOW, theirs=HIGH, ours_answered=True, same_peer=True)
    assert not ours_wins(ours=LOW, theirs=HIGH, ours_answered=False, same_peer=False)  # a key change
