"""Text as it must be drawn: right-to-left scripts in visual order, Arabic joined, emoji readable.

Tk 8.6 draws a string's characters left to right in the order they are stored
and does not join Arabic letters, so Hebrew and Arabic come out reversed and
broken. This module turns the *logical* text (as typed, stored, searched and
copied) into the *display* text the canvas and labels are given: Arabic
letters reshaped into their joined presentation forms (``arabic-reshaper``),
then each line reordered by the Unicode Bidirectional Algorithm
(``python-bidi``), with the paragraph's direction taken from its first strong
character. The transform is for display only; nothing here is ever stored or
put on the clipboard.

A long right-to-left line must be wrapped *before* it is reordered (Tk would
otherwise wrap the reordered string, so the first visual line would hold the
end of the sentence): :func:`display_lines` wraps the logical words to a
width with an injected ``measure`` and reorders each line on its own.

Emoji: a colour emoji font draws them where one is installed (fontconfig falls
back to it by itself). Where :func:`emoji_font` finds none, an emoji would be
an empty box, so :func:`readable_emoji` writes its Unicode short name in
brackets instead: ``🙂`` becomes ``[slightly smiling face]``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import arabic_reshaper
from bidi import get_display

#: Families that draw emoji, best first: colour fonts, then monochrome ones.
EMOJI_FAMILIES = (
    "Noto Color Emoji",
    "Apple Color Emoji",
    "Segoe UI Emoji",
    "Twemoji",
    "JoyPixels",
    "Noto Emoji",
    "Symbola",
)

#: Joiners and selectors inside emoji sequences: drawn as nothing in the fallback.
_INVISIBLE = {0x200D, 0xFE0E, 0xFE0F, 0x20E3}
_SKIN_TONES = range(0x1F3FB, 0x1F400)
#: The left-to-right mark: invisible, strong; some fonts draw it as a box, so it is removed before drawing.
_LRM = "\u200e"


def is_rtl_char(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


def has_rtl(text: str) -> bool:
    return any(is_rtl_char(char) for char in text)


def base_is_rtl(text: str) -> bool:
    """The paragraph direction: that of its first strong character (left to right when it has none)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _line_display(line: str, rtl: bool) -> str:
    if not has_rtl(line):
        return line
    shaped = arabic_reshaper.reshape(line)
    return str(get_display(shaped, base_dir="R" if rtl else "L"))


def display_text(text: str) -> str:
    """``text`` in the order to draw it, line by line (each line keeps its place)."""
    if not has_rtl(text):
        return text
    return "\n".join(_line_display(line, base_is_rtl(line)) for line in text.split("\n"))


def _wrap(line: str, measure: Callable[[str], int], width: int) -> list[str]:
    """Greedy word wrap of one logical line; a word wider than the line is cut where it must be."""
    lines: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if measure(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
        while measure(current) > width and len(current) > 1:
            cut = len(current) - 1
            while cut > 1 and measure(current[:cut]) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    lines.append(current)
    return lines


def display_lines(text: str, measure: Callable[[str], int], width: int) -> tuple[str, bool]:
    """A bubble's text wrapped to ``width`` and reordered line by line; and whether it reads right to left.

    Text without right-to-left characters comes back unchanged (Tk wraps it itself).
    """
    rtl = base_is_rtl(text)
    if not has_rtl(text):
        return text, rtl
    out: list[str] = []
    for paragraph in text.split("\n"):
        paragraph_rtl = base_is_rtl(paragraph)
        shaped = arabic_reshaper.reshape(paragraph) if has_rtl(paragraph) else paragraph
        for line in _wrap(shaped, measure, width):
            out.append(str(get_display(line, base_dir="R" if paragraph_rtl else "L")))
    return "\n".join(out), rtl


def emoji_font(families: Iterable[str]) -> str | None:
    """The best emoji family among those installed, or None when emoji would be empty boxes."""
    installed = set(families)
    return next((name for name in EMOJI_FAMILIES if name in installed), None)


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return 0x1F000 <= code <= 0x1FAFF


def readable_emoji(text: str) -> str:
    """Each emoji replaced by its short name in brackets; the rest of the text as it is.

    The names come wrapped in left-to-right marks, for :func:`display_text`; drop them with
    :func:`without_marks` after reordering.
    """
    if not any(_is_emoji(char) for char in text):
        return text
    out: list[str] = []
    for char in text:
        code = ord(char)
        if code in _INVISIBLE and out and out[-1].endswith(_LRM):
            continue
        if code in _SKIN_TONES:
            continue
        if _is_emoji(char):
            name = unicodedata.name(char, "emoji").lower()
            # the marks keep the brackets the right way round inside right-to-left text
            out.append(f"{_LRM}[{name}]{_LRM}")
        else:
            out.append(char)
    return "".join(out)


def without_marks(text: str) -> str:
    return text.replace(_LRM, "")


@dataclass(frozen=True)
class TextStyle:
    """How this window draws text: whether emoji need the readable fallback."""

    emoji_family: str | None

    @property
    def emoji_fallback(self) -> bool:
        return self.emoji_family is None

    def show(self, text: str) -> str:
        """One line (a preview, a name, a snippet part): emoji made readable, then reordered for display."""
        if self.emoji_fallback:
            return without_marks(display_text(readable_emoji(text)))
        return display_text(text)

    def bubble(self, text: str, measure: Callable[[str], int], width: int) -> tuple[str, bool]:
        """A bubble's text for the canvas, wrapped to ``width``; and whether it reads right to left."""
        if not self.emoji_fallback:
            return display_lines(text, measure, width)
        shown, rtl = display_lines(readable_emoji(text), lambda part: measure(without_marks(part)), width)
        return without_marks(shown), rtl
