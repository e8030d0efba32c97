"""The HTML of an export: texts escaped, right-to-left text kept, bubbles by side, the palette's colours."""

from __future__ import annotations

import html
from datetime import timedelta, timezone
from html.parser import HTMLParser

import pytest

from storage.profile.export_html import (
    DARK,
    LIGHT,
    ExportPalette,
    IndexEntry,
    conversation_page,
    escape,
    index_page,
    iso_utc,
)
from storage.profile.history import Message

NOW = 1_764_075_780.0  # Tuesday 2025-11-25 13:03 UTC
PLUS_TWO = timezone(timedelta(hours=2))
HOSTILE = "<script>alert('x')</script> & \"quotes\" 'single' </p><img src=x onerror=alert(1)>"


def _message(i: int, text: str, *, outgoing: bool, status: str, at: float = NOW) -> Message:
    return Message(i, "+15550001111", f"c{i}", outgoing, text, at, status)


def _page(messages: list[Message], *, name: str = "Alice", palette: ExportPalette = LIGHT) -> str:
    return "".join(
        conversation_page(
            name, "+15550001111", messages, count=len(messages), palette=palette, exported_at=NOW, tz=PLUS_TWO
        )
    )


class _Texts(HTMLParser):
    """What a browser would show as the text of each message paragraph, and every tag it would make."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.tags: list[str] = []
        self._in_text = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "p" and ("class", "text") in attrs:
            assert ("dir", "auto") in attrs
            self._in_text = True
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in_text = False

    def handle_data(self, data: str) -> None:
        if self._in_text:
            self.texts[-1] += data


def _parsed(page: str) -> _Texts:
    parser = _Texts()
    parser.feed(page)
    parser.close()
    return parser


@pytest.mark.parametrize(
    "text",
    [
        HOSTILE,
        "مرحبا بالعالم — and English after",
        "שלום עולם 123",
        "👋🏽 family 👨‍👩‍👧 and flags 🇮🇱",
        "line one\nline two\n\n  indented",
    ],
)
def test_every_text_reads_back_exactly_and_makes_no_tag(text: str) -> None:
    page = _page([_message(1, text, outgoing=False, status="received")])
    parsed = _parsed(page)
    assert parsed.texts == [text]
    assert "script" not in parsed.tags and "img" not in parsed.tags


def test_a_hostile_contact_name_is_escaped_in_the_title_and_heading() -> None:
    page = _page([], name=HOSTILE)
    assert "<script" not in page and "<img" not in page
    assert f"<title>Parley: {html.escape(HOSTILE)}</title>" in page
    assert f'<h1 dir="auto">{html.escape(HOSTILE)}</h1>' in page


def test_control_characters_do_not_reach_the_page() -> None:
    assert escape("a\x00b\x1bc\td\ne") == "a\ufffdb\ufffdc\td\ne"


def test_bubbles_sit_by_direction_with_time_and_status() -> None:
    page = _page(
        [
            _message(1, "mine", outgoing=True, status="read"),
            _message(2, "theirs", outgoing=False, status="received", at=NOW + 60),
            _message(3, "lost", outgoing=True, status="failed", at=NOW + 120),
            _message(4, "waiting", outgoing=True, status="queued", at=NOW + 180),
        ]
    )
    assert '<div class="msg out"><div class="bubble"><p class="text" dir="auto">mine</p>' in page
    assert '<div class="msg in"><div class="bubble"><p class="text" dir="auto">theirs</p>' in page
    assert (
        '<time datetime="2025-11-25T13:03:00.000Z">15:03</time> <span class="status read">✓✓ read</span>'
        in page
    )
    assert '<time datetime="2025-11-25T13:04:00.000Z">15:04</time></p>' in page  # incoming: no status
    assert '<span class="status failed">! not sent</span>' in page
    assert "◷ waiting to be sent" in page
    assert '<h2 class="day">Tuesday 25 November 2025</h2>' in page
    assert "times in UTC+02:00" in page
    assert "not encrypted" in page


def test_a_new_day_in_the_readers_zone_gets_a_heading() -> None:
    late = NOW + 9 * 3600  # 22:03 UTC is 00:03 the next day at UTC+2
    page = _page(
        [
            _message(1, "a", outgoing=True, status="sent"),
            _message(2, "b", outgoing=True, status="sent", at=late),
        ]
    )
    assert page.count('<h2 class="day">') == 2 and "Wednesday 26 November 2025" in page


def test_the_palette_colours_the_page_and_only_colours_are_accepted() -> None:
    light, dark = _page([], palette=LIGHT), _page([], palette=DARK)
    assert f"background:{LIGHT.background}" in light and f"background:{DARK.background}" in dark
    assert f".out .bubble{{background:{DARK.mine};color:{DARK.on_mine}" in dark
    assert 'content="dark"' in dark and 'content="light"' in light
    with pytest.raises(ValueError, match="mine must be a colour"):
        ExportPalette(**{**LIGHT.__dict__, "mine": "red;background:url(http://example.org/)"})


def test_the_index_lists_and_links_every_conversation_escaped() -> None:
    entries = [
        IndexEntry("alice-1234abcd.html", "Alice & <Bob>", "+15550001111", 3, NOW),
        IndexEntry("sami-99999999.html", "سامي", "+972501234567", 1, None),
    ]
    page = index_page(entries, palette=DARK, exported_at=NOW, tz=PLUS_TWO)
    assert '<a href="alice-1234abcd.html">Alice &amp; &lt;Bob&gt;</a>' in page
    assert '<td dir="auto"><a href="sami-99999999.html">سامي</a></td>' in page
    assert "2025-11-25 15:03" in page and "2 conversations" in page
    assert "<script" not in page


def test_times_in_iso_8601_utc_to_the_millisecond() -> None:
    assert iso_utc(NOW + 0.1236) == "2025-11-25T13:03:00.124Z"
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
