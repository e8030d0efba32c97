"""The profile benchmark runs end to end and reports every figure (speed itself is not asserted)."""

from __future__ import annotations

import math

from storage.profile.bench import run


def test_the_benchmark_reports_every_figure() -> None:
    figures = run(messages=40, runs=1)
    assert list(figures) == [
        "store 40 messages in one transaction",
        "unlock the profile (Argon2id, default cost)",
        "first page (50 newest messages)",
        "a page halfway back",
        "search matching nothing (opens all)",
        "conversation list",
        "store message + session + id (1 txn)",
    ]
    assert all(math.isfinite(ms) and ms >= 0 for ms in figures.values())
