"""Predictable randomness for tests: recorded tapes (tests/vectors/*.json), and a plain counter."""

from __future__ import annotations

import itertools

from crypto_core.encoding import RandomSource


class Replay:
    """A RandomSource that hands out recorded bytes in order, and checks each length asked for."""

    def __init__(self, tape: list[str]) -> None:
        self._tape = [bytes.fromhex(chunk) for chunk in tape]

    def __call__(self, n: int) -> bytes:
        chunk = self._tape.pop(0)
        assert len(chunk) == n, f"asked for {n} bytes, the tape holds {len(chunk)}"
        return chunk

    @property
    def exhausted(self) -> bool:
        return not self._tape


def counting_random() -> RandomSource:
    """A RandomSource that hands out 0, 1, 2, ... as big-endian bytes: never the same twice, never random."""
    counter = itertools.count()
    return lambda n: next(counter).to_bytes(n, "big")
