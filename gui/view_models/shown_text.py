"""Where each character drawn in a bubble comes from in the message's text, for copying part of it.

A bubble draws its text for display (:mod:`gui.view_models.bidi_text`): emoji may be spelt out
by name, Arabic letters joined, right-to-left lines wrapped and reordered. A selection is made
on what is drawn; what is copied is the stored text, in its stored order. :func:`shown_map`
follows the same steps as :meth:`~gui.view_models.bidi_text.TextStyle.bubble` and keeps, for
every drawn character, the index of the stored character it shows (-1 for a line break put in
by wrapping). When it cannot follow them (a text the two bidi implementations disagree on) it
says so with None, and a selection there copies the whole text rather than the wrong part.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

import arabic_reshaper
from bidi import get_display

from gui.view_models import bidi_text as drawing  # its own steps, followed exactly
from gui.view_models.bidi_text import TextStyle, base_is_rtl, has_rtl, readable_emoji, without_marks

INVISIBLE, LRM, SKIN_TONES = drawing._INVISIBLE, drawing._LRM, drawing._SKIN_TONES
is_emoji, wrap = drawing._is_emoji, drawing._wrap


def _spelt(text: str, fallback: bool) -> tuple[str, list[int]]:
    """The text with emoji spelt out (where no font draws them), and where each character came from."""
    if not fallback or not any(is_emoji(char) for char in text):
        return text, list(range(len(text)))
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        code = ord(char)
        if (code in INVISIBLE and chars and chars[-1] == LRM) or code in SKIN_TONES:
            continue
        piece = f"{LRM}[{unicodedata.name(char, 'emoji').lower()}]{LRM}" if is_emoji(char) else char
        chars.extend(piece)
        origin.extend([index] * len(piece))
    return "".join(chars), origin


def _shaped_origin(logical: str, shaped: str) -> list[int] | None:
    """Which logical character each shaped one stands for (a ligature: its first; dropped marks skipped)."""
    origin: list[int] = []
    at = 0
    for char in shaped:
        wanted = unicodedata.normalize("NFKC", char)
        width = len(wanted)
        while at < len(logical) and unicodedata.normalize("NFKC", logical[at : at + width]) != wanted:
            at += 1  # a vowel mark the reshaper left out
        if at >= len(logical):
            return None
        origin.append(at)
        at += width
    return origin


_LEVEL = re.compile(r"Level\(\s*(\d+),\s*\)")


def _levels(line: str, rtl: bool) -> list[int] | None:
    """Each character's resolved embedding level, as the bidi implementation that draws the bubble has it.

    python-bidi gives them only in its debug description (one per UTF-8 byte); None if that changes.
    """
    info = str(get_display(line, base_dir="R" if rtl else "L", debug=True))
    if "levels:" not in info or "paragraphs:" not in info:
        return None
    per_byte = [int(n) for n in _LEVEL.findall(info[info.index("levels:") : info.index("paragraphs:")])]
    if len(per_byte) != len(line.encode()):
        return None
    levels: list[int] = []
    at = 0
    for char in line:
        levels.append(per_byte[at])
        at += len(char.encode())
    return levels


def _visual_order(line: str, rtl: bool) -> tuple[str, list[int]] | None:
    """The line in display order and, for each displayed character, its index in ``line``.

    Rules L1 and L2 of the Unicode Bidirectional Algorithm on the resolved levels; the result must
    agree with the display the bubble draws, or None.
    """
    if not line:
        return "", []
    shown = str(get_display(line, base_dir="R" if rtl else "L"))
    levels = _levels(line, rtl)
    if levels is None:
        return None
    base = 1 if rtl else 0
    end = len(line)
    while end > 0 and unicodedata.bidirectional(line[end - 1]) in ("WS", "BN", "LRI", "RLI", "FSI", "PDI"):
        end -= 1
        levels[end] = base  # L1: trailing white space takes the paragraph's level
    order = list(range(len(line)))
    highest = max(levels)
    odd = [level for level in levels if level % 2]
    lowest_odd = min(odd) if odd else highest + 1
    for level in range(highest, lowest_odd - 1, -1):  # L2: reverse each run at this level or above
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    if "".join(line[i] for i in order) != shown:
        return None
    return shown, order


def _reordered(spelt: str, measure: Callable[[str], int], width: int) -> tuple[str, list[int]] | None:
    """What :func:`~gui.view_models.bidi_text.display_lines` draws; each character's place in ``spelt``."""
    out: list[str] = []
    origin: list[int] = []
    offset = 0
    for number, paragraph in enumerate(spelt.split("\n")):
        if number:
            out.append("\n")
            origin.append(offset - 1)  # the paragraph's own line break
        rtl = base_is_rtl(paragraph)
        shaped = arabic_reshaper.reshape(paragraph) if has_rtl(paragraph) else paragraph
        in_paragraph = _shaped_origin(paragraph, shaped) if shaped != paragraph else list(range(len(shaped)))
        if in_paragraph is None:
            return None
        at = 0
        for line_number, line in enumerate(wrap(shaped, measure, width)):
            if shaped.startswith(line, at):
                start = at
            elif shaped[at : at + 1] == " " and shaped.startswith(line, at + 1):
                start = at + 1  # the space where the line was wrapped is not drawn
            else:
                return None
            ordered = _visual_order(line, rtl)
            if ordered is None:
                return None
            if line_number:  # a break put in by wrapping: it stands for the space it replaced, if any
                out.append("\n")
                origin.append(offset + in_paragraph[at] if start == at + 1 else -1)
            out.append(ordered[0])
            origin.extend(offset + in_paragraph[start + i] for i in ordered[1])
            at = start + len(line)
        offset += len(paragraph) + 1
    return "".join(out), origin


def shown_map(
    text: str, style: TextStyle, measure: Callable[[str], int], width: int
) -> tuple[str, list[int]] | None:
    """The bubble's drawn text for ``text`` and, per drawn character, the index of the stored one it shows.

    -1 marks a line break that wrapping put in. None when the drawing cannot be followed.
    """
    spelt, from_text = _spelt(text, style.emoji_fallback)
    if spelt != readable_emoji(text) and style.emoji_fallback:
        return None
    if not has_rtl(spelt):
        drawn, in_spelt = spelt, list(range(len(spelt)))
    else:
        spelt_measure = (lambda part: measure(without_marks(part))) if style.emoji_fallback else measure
        reordered = _reordered(spelt, spelt_measure, width)
        if reordered is None:
            return None
        drawn, in_spelt = reordered
    kept = [i for i, char in enumerate(drawn) if not (style.emoji_fallback and char == LRM)]
    shown = "".join(drawn[i] for i in kept)
    origin = [from_text[in_spelt[i]] if in_spelt[i] >= 0 else -1 for i in kept]
    return shown, origin


def copied(text: str, origin: Sequence[int], chosen: Iterable[int]) -> str:
    """The stored characters behind the drawn ones at ``chosen``, in their stored order.

    A character that is not drawn on its own (a joiner or skin tone inside an emoji, the second
    letter of a ligature, a vowel mark) goes with the drawn one before it; a space dropped where a
    line was wrapped does not.
    """
    drawn = sorted({origin[i] for i in chosen if 0 <= i < len(origin) and origin[i] >= 0})
    if not drawn:
        return ""
    seen = set(origin)
    parts: list[str] = []
    for index in drawn:
        end = index + 1
        while end < len(text) and end not in seen and text[end] not in " \n":
            end += 1
        parts.append(text[index:end])
    return "".join(parts)


def word_at(shown: str, index: int) -> tuple[int, int]:
    """The word around ``index`` of the drawn text, as (first, last) inclusive; else that one character."""
    if not 0 <= index < len(shown):
        return (index, index)

    def in_word(char: str) -> bool:
        return char.isalnum() or char in "_'’" or unicodedata.category(char).startswith("M")

    if not in_word(shown[index]):
        return (index, index)
    first, last = index, index
    while first > 0 and in_word(shown[first - 1]):
        first -= 1
    while last + 1 < len(shown) and in_word(shown[last + 1]):
        last += 1
    return (first, last)
