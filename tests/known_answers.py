"""Recorded randomness for known-answer tests: the vectors in tests/vectors/*.json hold the tapes."""

from __future__ import annotations


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
