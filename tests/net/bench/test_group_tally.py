"""The group demo's count: lost, duplicated, leaked and converged from what was sent and what is held."""

from __future__ import annotations

from net.bench.group_tally import Sent, tally

A, B, C = "+442079461000", "+442079461001", "+442079461002"


def test_everything_where_it_belongs_counts_clean() -> None:
    sent = [Sent(A, "one", frozenset({B, C})), Sent(B, "two", frozenset({A}))]
    histories = {A: [(A, "one"), (B, "two")], B: [(A, "one"), (B, "two")], C: [(A, "one")]}
    result = tally(sent, histories, 0, {A: ("g", 2), B: ("g", 2), C: ("g", 2)})
    assert result.clean
    assert result.line(3) == "group of 3: 2 messages, lost 0, duplicated 0, undecryptable 0, converged yes"


def test_a_missing_copy_a_second_copy_and_a_copy_not_meant_count_each() -> None:
    sent = [Sent(A, "one", frozenset({B})), Sent(A, "two", frozenset({B}))]
    # B lacks "two" and holds "one" twice; C, who was not a member, holds "one"; A lacks its own "two".
    histories = {A: [(A, "one")], B: [(A, "one"), (A, "one")], C: [(A, "one")]}
    result = tally(sent, histories, 3, {A: ("g", 1), B: ("g", 2)})
    assert (result.lost, result.duplicated, result.leaked, result.undecryptable) == (2, 1, 1, 3)
    assert not result.converged
    assert not result.clean
    assert result.line(3) == "group of 3: 2 messages, lost 2, duplicated 1, undecryptable 3, converged no"
