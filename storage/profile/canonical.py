"""Canonically equivalent text is one text to the history: NFC, and a way back to the text as stored.

Unicode writes "é" as one character (U+00E9) or as "e" followed by a combining
acute accent (U+0301); the two are *canonically equivalent*: they mean and
show the same, and the standard asks that no process tell them apart. Keyboards
differ (macOS and many phones send the decomposed form in places, most others
the composed one), so the history stores every text in NFC, the composed form
(:func:`nfc`, applied when a message is stored or edited), and the search
compares NFC with NFC.

A message stored by a version before this one is as it was sent, perhaps
decomposed, and so is what the full-text index holds for it. Nothing is
rewritten: the search asks the index for both spellings of the query
(:func:`spellings`) and checks each candidate in NFC, and :class:`Composed`
turns the NFC ranges of a match back into ranges of the text as stored.
"""

from __future__ import annotations

import bisect
import unicodedata

Range = tuple[int, int]


def nfc(text: str) -> str:
    """``text`` in NFC (a text already in NFC, nearly every one, costs only the quick check)."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def spellings(text: str) -> tuple[str, ...]:
    """The forms an index may hold ``text`` in: NFC, and NFD when it differs (older rows as sent)."""
    composed = nfc(text)
    decomposed = unicodedata.normalize("NFD", composed)
    return (composed,) if decomposed == composed else (composed, decomposed)


class Composed:
    """The NFC form of a text (``text``), with where each part of it stands in the original.

    The original is cut into pieces that each normalise on their own: a piece starts at a
    starter (:func:`_starter`) unless that starter composes with the piece before it
    (Hangul jamo). A piece that NFC leaves alone maps character for character; one it
    changes maps as a whole, so a range that touches it covers all of it.
    """

    __slots__ = ("_pieces", "_starts", "original", "text")

    def __init__(self, original: str) -> None:
        self.original = original
        # (start in original, end in original, start in NFC, NFC of the piece)
        pieces: list[tuple[int, int, int, str]] = []
        start, done = 0, 0
        cuts = [i for i in range(1, len(original)) if _starter(original[i])]
        for end in [*cuts, len(original)]:
            piece = unicodedata.normalize("NFC", original[start:end])
            if pieces:
                last_start, _, last_at, last = pieces[-1]
                joined = unicodedata.normalize("NFC", original[last_start:end])
                if joined != last + piece:  # this piece composes with the one before: they go together
                    pieces[-1] = (last_start, end, last_at, joined)
                    done = last_at + len(joined)
                    start = end
                    continue
            pieces.append((start, end, done, piece))
            done += len(piece)
            start = end
        self._pieces = pieces
        self._starts = [at for _, _, at, _ in pieces]
        self.text = "".join(piece for *_, piece in pieces)

    def original_range(self, span: Range) -> Range:
        """The range of the original that ``span`` (a range of :attr:`text`) stands for."""
        start, end = span
        return self._from(start, end=False), self._from(end, end=True)

    def original_ranges(self, spans: tuple[Range, ...]) -> tuple[Range, ...]:
        """:meth:`original_range` of each, in order; ranges that now touch one piece are merged."""
        merged: list[Range] = []
        for span in spans:
            start, end = self.original_range(span)
            if merged and start < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return tuple(merged)

    def _from(self, at: int, *, end: bool) -> int:
        if at <= 0 or not self._pieces:
            return 0
        if at >= len(self.text):
            return len(self.original)
        # The piece holding the character at ``at`` (for an end: the one just before it).
        index = bisect.bisect_right(self._starts, at - 1 if end else at) - 1
        first, last, composed_at, piece = self._pieces[max(index, 0)]
        if self.original[first:last] == piece:
            return first + (at - composed_at)
        return last if end else first


def _starter(char: str) -> bool:
    """Whether ``char`` is a starter all through: of combining class 0, and so is the first
    character it decomposes into. (A few Tibetan vowel signs are of class 0 but decompose into
    marks, past which an accent still composes with the letter before them.)"""
    return (
        unicodedata.combining(char) == 0 and unicodedata.combining(unicodedata.normalize("NFD", char)[0]) == 0
    )
