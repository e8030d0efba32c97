"""What a handled request comes to on the server: the reply's fields and what to do around them."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

SETTLE_WAIT = 60.0  # seconds settled() waits for an awaited outcome


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
    #: An outcome that another part of the loop settles later (an answer from another node): the
    #: connection waits as for ``later``, and no thread does.
    awaiting: Future[Outcome] | None = None

    def settled(self) -> Outcome:
        """The final outcome, running any ``later`` work here (for callers without a loop)."""
        outcome = self
        while outcome.later is not None or outcome.awaiting is not None:
            if outcome.awaiting is not None:
                outcome = outcome.awaiting.result(SETTLE_WAIT)
            elif outcome.later is not None:
                outcome = outcome.later()
        return outcome
