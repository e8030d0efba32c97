"""The emoji the picker offers, found by name, recently used first, and how its arrows move: without Tk.

The list is the standard library's: every character of the emoji blocks that ``unicodedata``
names and the engine accepts as a reaction (:func:`net.client.core.actions.is_emoji`), so that
whatever the picker offers can also be sent as a reaction. Its name is the Unicode name in lower
case ("thumbs up sign", "smiling cat face with heart-shaped eyes"); a search matches when each
word typed begins a word of the name, whole words first.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from net.client.core.actions import is_emoji

#: The Unicode blocks that hold emoji: Miscellaneous Symbols, Dingbats, Miscellaneous Symbols and
#: Pictographs, Emoticons, Transport and Map Symbols, Supplemental Symbols and Pictographs, Symbols
#: and Pictographs Extended-A.
BLOCKS = (
    (0x2600, 0x26FF),
    (0x2700, 0x27BF),
    (0x1F300, 0x1F5FF),
    (0x1F600, 0x1F64F),
    (0x1F680, 0x1F6FF),
    (0x1F900, 0x1F9FF),
    (0x1FA70, 0x1FAFF),
)
#: How many recently chosen emoji are remembered (and shown first).
RECENT_LIMIT = 24


@dataclass(frozen=True)
class Emoji:
    char: str
    #: Its Unicode name in lower case.
    name: str


@cache
def catalog() -> tuple[Emoji, ...]:
    """Every emoji offered, in code point order (faces come together, then people, animals...)."""
    found: list[Emoji] = []
    for first, last in BLOCKS:
        for code in range(first, last + 1):
            char = chr(code)
            name = unicodedata.name(char, "")
            if name and is_emoji(char):
                found.append(Emoji(char, name.lower()))
    return tuple(found)


def _words(text: str) -> list[str]:
    return text.lower().replace("-", " ").split()


def search(query: str, recent: Sequence[str] = (), emoji: Iterable[Emoji] | None = None) -> list[Emoji]:
    """The emoji whose name matches ``query`` (all of them when it is blank), recently used first.

    Each word of the query must begin a word of the name; names where every query word is a whole
    word come before those where one is only a beginning ("cat" finds "cat face" before
    "caterpillar"). Within each group the recently used come first, most recent first.
    """
    every = catalog() if emoji is None else tuple(emoji)
    wanted = _words(query)
    rank_recent = {char: i for i, char in enumerate(recent)}
    scored: list[tuple[int, int, int, Emoji]] = []
    for position, item in enumerate(every):
        if wanted:
            names = _words(item.name)
            if not all(any(n.startswith(w) for n in names) for w in wanted):
                continue
            whole = 0 if all(w in names for w in wanted) else 1
        else:
            whole = 0
        scored.append((whole, rank_recent.get(item.char, len(rank_recent)), position, item))
    scored.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in scored]


def used(recent: Sequence[str], char: str) -> list[str]:
    """The recently used list after choosing ``char``: it goes first, once, and the list stays short."""
    return [char, *(c for c in recent if c != char)][:RECENT_LIMIT]


def name_of(char: str) -> str:
    """The emoji's name as the picker says it under the grid ("" for a character without one)."""
    return unicodedata.name(char[:1], "").lower() if char else ""


def step(index: int, key: str, count: int, columns: int) -> int:
    """Where an arrow key (Left, Right, Up, Down, Home, End) takes the selection in a grid of ``count``.

    Left and Right go on to the previous and next row; Up and Down stay in the column and stop at
    the first and last rows (Down on a short last row goes to its last emoji).
    """
    if count <= 0:
        return -1
    if index < 0:
        return 0
    moves = {"Left": -1, "Right": 1, "Up": -columns, "Down": columns}
    if key == "Home":
        return 0
    if key == "End":
        return count - 1
    target = index + moves.get(key, 0)
    if key == "Up" and target < 0:
        return index
    if key == "Down" and target >= count:
        same_row_end = (index // columns + 1) * columns
        return count - 1 if same_row_end < count else index
    return max(0, min(count - 1, target))
