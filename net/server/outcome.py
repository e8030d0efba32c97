"""What a handled request comes to on the server: the reply's fields and what to do around them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Outcome:
    body: dict[str, Any]
    #: Run on the loop after the turn's writes are committed (pushes to other people, ending a session).
    then: Callable[[], None] | None = None
    #: Run on the loop instead of ``then`` when the turn's commit fails: takes back what the request
    #: changed in memory (a link joined, say), so that asking again works.
    undo: Callable[[], None] | None = None
    close: bool = False
    #: Blocking work to run away from the event loop; its outcome (or refusal) replaces this one.
    later: Callable[[], Outcome] | None = None

    def settled(self) -> Outcome:
        """The final outcome, running any ``later`` work here (for callers without a loop)."""
        outcome = self
        while outcome.later is not None:
            outcome = outcome.later()
        return outcome
