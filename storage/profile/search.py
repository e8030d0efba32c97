"""Full-text search of the history: an FTS5 trigram index inside the encrypted database.

``messages_fts`` (see :mod:`storage.profile.schema`) indexes every message's
text by its trigrams, so any part of a word of three characters or more, in
any script, is found without reading the messages that do not hold it. The
person's text is always quoted as one FTS5 phrase (:func:`phrase`), so ``"``,
``*``, ``NEAR``, ``-``, ``:`` or parentheses are searched for as they are and
never read as query syntax.

Case is ignored: the index folds case (trigram's default), and every candidate
is checked again in Python (:func:`match_ranges`, simple case folding), which
also gives the character ranges of the matches for highlighting. A query of
one or two characters has no trigram to look up: it is answered by walking the
messages newest first and checking each (:data:`SHORT_SCAN` rows at most, so a
rare short query cannot read the whole history); its hits are still exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.profile.messages import Cursor, Message

#: Below this many characters a query has no trigram and is answered by a scan.
MIN_TRIGRAM = 3
#: How many of the newest messages a query too short for the index looks through at most.
SHORT_SCAN = 20_000

Range = tuple[int, int]


@dataclass(frozen=True)
class SearchHit:
    """One message that matches: where it is, and which characters of its text matched."""

    contact: str
    message: Message
    #: ``(start, end)`` character offsets into ``message.text``, in order, not overlapping.
    ranges: tuple[Range, ...]

    @property
    def cursor(self) -> Cursor:
        """Pass it as ``before`` to get the hits after this one, or to :meth:`History.around`."""
        return self.message.cursor

    def __repr__(self) -> str:  # the text and the contact stay out of logs
        return f"SearchHit(local_id={self.message.local_id}, ranges={len(self.ranges)})"


def needle(text: str) -> str:
    """The query as searched: surrounding space removed; ValueError when nothing is left."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("search needs some text")
    return stripped


def phrase(text: str) -> str:
    """``text`` as one FTS5 phrase: in double quotes, with its own double quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


def pattern(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text), re.IGNORECASE)


def match_ranges(compiled: re.Pattern[str], text: str) -> tuple[Range, ...]:
    return tuple(found.span() for found in compiled.finditer(text))


def uses_index(text: str) -> bool:
    return len(text) >= MIN_TRIGRAM
