"""Full-text search of the history: an FTS5 trigram index inside the encrypted database.

``messages_fts`` (see :mod:`storage.profile.schema`) indexes every message's
text by its trigrams, so any part of a word of three characters or more, in
any script, is found without reading the messages that do not hold it. The
person's text is always quoted as one FTS5 phrase (:func:`phrase`), so ``"``,
``*``, ``NEAR``, ``-``, ``:`` or parentheses are searched for as they are and
never read as query syntax.

Case is ignored: the index folds case (trigram's default), and every candidate
is checked again in Python (:func:`match_ranges`, simple case folding), which
also gives the character ranges of the matches for highlighting. Only the id,
time and text of a candidate are read for that check; whole rows are read for
the hits alone.

Canonically equivalent text matches (:mod:`storage.profile.canonical`): the
history stores text in NFC, so the index holds NFC, and the query is put in NFC
too; a composed "é" and "e" with a combining accent are the same to it. Rows
stored before that are as they were sent, so the index is asked for the query's
NFD spelling as well, and for the query as typed when it is in neither form
(:func:`match_expression`); each candidate is checked in NFC, and the ranges
are given back in the text as stored.

**Order.** Hits come newest first by ``(ts, id)``, exactly, even when messages
were stored out of time order (a backlog fetched after a week offline). Across
all conversations (:func:`find` without a conversation) the index is read in
*row id* order, newest row first, which FTS5 serves straight from the index with
no sort: ``batch`` rows at a time (growing fourfold, up to :data:`MAX_BATCH`),
and after each batch the newest ``(ts, id)`` of any message older in row id than
the batch (found by walking the ``(ts, id)`` index down past the rows already
read) is a *floor*: no match not read yet can be newer than it, so every
candidate above it is final and is handed out in time order. Row ids follow
arrival, which nearly follows time, so the floor sits just below the batch and
one or two batches do; sorting every match by time instead costs 86 ms for a
word in half of 100,000 messages (measured with :mod:`storage.profile.bench`).
In one conversation the conversation's own ``(ts, id)`` index is walked newest
first and each row is looked up in the set of matching row ids, which SQLite
builds once per query: one conversation is small next to the whole history, and
walking the index from the other end would read the matches of every other
conversation first.

A query of one or two characters has no trigram to look up: it is answered by
walking the messages newest first and checking each (:data:`SHORT_SCAN` rows at
most, so a rare short query cannot read the whole history); its hits are still
exact, but a hit older than the newest :data:`SHORT_SCAN` messages is not found.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass

from storage.profile.canonical import Composed, nfc, spellings
from storage.profile.messages import Cursor, Message

#: Below this many characters a query has no trigram and is answered by a scan.
MIN_TRIGRAM = 3
#: How many of the newest messages a query too short for the index looks through at most.
SHORT_SCAN = 20_000
#: The most candidate rows one step of a search reads.
MAX_BATCH = 4096
_END = 2**63 - 1

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
    """The query as searched: surrounding space removed, in NFC; ValueError when nothing is left."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("search needs some text")
    return nfc(stripped)


def phrase(text: str) -> str:
    """``text`` as one FTS5 phrase: in double quotes, with its own double quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


def match_expression(typed: str) -> str:
    """What the index is asked for a query (as typed, stripped): its NFC and NFD phrases, and its
    own when it is in neither form (an older row kept as sent may be spelled the same way)."""
    forms = spellings(typed)
    return " OR ".join(phrase(form) for form in (forms if typed in forms else (*forms, typed)))


def pattern(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text), re.IGNORECASE)


def match_ranges(compiled: re.Pattern[str], text: str) -> tuple[Range, ...]:
    """Where ``compiled`` (a query in NFC) matches ``text`` compared in NFC, as ranges of ``text``."""
    if unicodedata.is_normalized("NFC", text):  # every text stored since the history keeps NFC
        return _spans(compiled, text)
    composed = Composed(text)
    return composed.original_ranges(_spans(compiled, composed.text))


def _spans(compiled: re.Pattern[str], text: str) -> tuple[Range, ...]:
    """The matches, leftmost first, not overlapping, none ending inside a letter.

    A match followed by a combining mark would end inside a letter: "a" is not found in an "a"
    with a combining cedilla (which has no composed form), as "e" is not found in "é". The search
    then goes on one character further, not past the refused match.
    """
    spans: list[Range] = []
    at = 0
    while (found := compiled.search(text, at)) is not None:
        start, end = found.span()
        if end < len(text) and unicodedata.combining(text[end]):
            at = start + 1
            continue
        spans.append((start, end))
        at = end
    return tuple(spans)


def uses_index(text: str) -> bool:
    return len(text) >= MIN_TRIGRAM


#: A match: where it is in time order, and which characters of its text matched.
Found = tuple[Cursor, tuple[Range, ...]]

# Across conversations: matches newest row first, straight from the index (no sort).
_BY_ROWID = (
    "SELECT m.id, m.ts, m.body FROM messages_fts f CROSS JOIN messages m ON m.id = f.rowid "
    "WHERE messages_fts MATCH ? AND f.rowid < ? AND (m.ts, m.id) < (?, ?) ORDER BY f.rowid DESC LIMIT ?"
)
# The floor: the newest message (before the bound) whose row id is below the rows read so far.
_FLOOR = (
    "SELECT ts, id FROM messages INDEXED BY messages_by_global_time "
    "WHERE (ts, id) < (?, ?) AND id < ? ORDER BY ts DESC, id DESC LIMIT 1"
)
# In one conversation: its time index newest first, each row looked up among the matches.
_IN_CONVERSATION = (
    "SELECT m.id, m.ts, m.body FROM messages m INDEXED BY messages_by_time "
    "WHERE m.conversation = ? AND (m.ts, m.id) < (?, ?) "
    "AND m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?) "
    "ORDER BY m.ts DESC, m.id DESC LIMIT ?"
)
_SCAN_ALL = (
    "SELECT id, ts, body FROM messages INDEXED BY messages_by_global_time "
    "WHERE (ts, id) < (?, ?) ORDER BY ts DESC, id DESC LIMIT ?"
)
_SCAN_CONVERSATION = (
    "SELECT id, ts, body FROM messages INDEXED BY messages_by_time "
    "WHERE conversation = ? AND (ts, id) < (?, ?) ORDER BY ts DESC, id DESC LIMIT ?"
)


def find(
    conn: sqlite3.Connection,
    text: str,
    *,
    conversation: int | None,
    before: Cursor | None,
    limit: int,
    batch: int,
) -> list[Found]:
    """Up to ``limit + 1`` matches of ``text`` (one more says whether there are more), newest first,
    in one conversation (its id) or in all (None), older than ``before`` if given."""
    if limit < 1 or batch < 1:
        raise ValueError("search needs a limit and a batch size of at least 1")
    wanted = needle(text)
    typed = text.strip()
    compiled = pattern(wanted)
    bound = before or Cursor(_END, _END)
    if not uses_index(wanted):
        return _scanned(conn, compiled, conversation, bound, limit)
    if conversation is not None:
        return _in_conversation(conn, compiled, match_expression(typed), conversation, bound, limit, batch)
    return _across(conn, compiled, match_expression(typed), bound, limit, batch)


def _checked(compiled: re.Pattern[str], rows: list[tuple[int, int, object]]) -> list[Found]:
    found = []
    for local_id, ts, body in rows:
        # A body or time of the wrong type is damage: the history reports it when it reads the row.
        ranges = match_ranges(compiled, body) if isinstance(body, str) and isinstance(ts, int) else ()
        if ranges:
            found.append((Cursor(ts, local_id), ranges))
    return found


def _across(
    conn: sqlite3.Connection, compiled: re.Pattern[str], query: str, bound: Cursor, limit: int, batch: int
) -> list[Found]:
    hits: list[Found] = []
    waiting: list[Found] = []  # candidates that an older row, not read yet, could still outrank
    below = _END  # every match with a row id from here up has been read
    size = batch
    while len(hits) <= limit:
        rows = conn.execute(_BY_ROWID, (query, below, bound.ts, bound.local_id, size)).fetchall()
        waiting.extend(_checked(compiled, rows))
        floor: Cursor | None = None
        if len(rows) == size:
            below = rows[-1][0]
            newest = conn.execute(_FLOOR, (bound.ts, bound.local_id, below)).fetchone()
            floor = None if newest is None else Cursor(newest[0], newest[1])
        waiting.sort(reverse=True)
        if floor is None:  # nothing older is left: every candidate is final
            hits.extend(waiting)
            break
        final = sum(1 for cursor, _ in waiting if cursor > floor)
        hits.extend(waiting[:final])
        del waiting[:final]
        size = min(size * 4, MAX_BATCH)
    return hits[: limit + 1]


def _in_conversation(
    conn: sqlite3.Connection,
    compiled: re.Pattern[str],
    query: str,
    conversation: int,
    bound: Cursor,
    limit: int,
    batch: int,
) -> list[Found]:
    hits: list[Found] = []
    while len(hits) <= limit:
        rows = conn.execute(
            _IN_CONVERSATION, (conversation, bound.ts, bound.local_id, query, batch)
        ).fetchall()
        hits.extend(_checked(compiled, rows))
        if len(rows) < batch:
            break
        bound = Cursor(rows[-1][1], rows[-1][0])
        batch = min(batch * 4, MAX_BATCH)
    return hits[: limit + 1]


def _scanned(
    conn: sqlite3.Connection, compiled: re.Pattern[str], conversation: int | None, bound: Cursor, limit: int
) -> list[Found]:
    hits: list[Found] = []
    scanned, size = 0, 256
    while len(hits) <= limit and scanned < SHORT_SCAN:
        size = min(size, SHORT_SCAN - scanned)
        if conversation is None:
            rows = conn.execute(_SCAN_ALL, (bound.ts, bound.local_id, size)).fetchall()
        else:
            rows = conn.execute(_SCAN_CONVERSATION, (conversation, bound.ts, bound.local_id, size)).fetchall()
        hits.extend(_checked(compiled, rows))
        scanned += len(rows)
        if len(rows) < size:
            break
        bound = Cursor(rows[-1][1], rows[-1][0])
        size = min(size * 4, MAX_BATCH)
    return hits[: limit + 1]
