"""The file field: strict parsing, the name sanitiser, MIME from content and name."""

from __future__ import annotations

import pytest

from net.client.core.attachment import FileInfo, mime_of, parse_file, sanitised_name
from net.client.core.envelope import Text, decode_payload, encode_payload
from net.client.core.malformed import MalformedEnvelope

INFO = FileInfo("A" * 43, b"k" * 32, b"d" * 32, 1234, "cat.jpg", "image/jpeg", 640, 480, b"\xff\xd8thumb")


def test_a_text_with_a_file_round_trips_and_its_caption_may_be_empty() -> None:
    payload = Text("m-1", 5, "", file=INFO)
    assert decode_payload(encode_payload(payload)) == payload
    assert "cat.jpg" not in repr(INFO) and "k" * 32 not in repr(INFO)


@pytest.mark.parametrize(
    "change",
    [
        {"blob": "short"},
        {"key": "AAAA"},
        {"size": -1},
        {"size": True},
        {"name": "../etc/passwd"},
        {"name": ""},
        {"type": "Not A Type"},
        {"w": 10, "h": 0},
        {"thumb": ""},
        {"extra": 1},
    ],
)
def test_a_malformed_file_field_is_refused_without_quoting_it(change: dict[str, object]) -> None:
    fields = {**INFO.fields(), **change}
    with pytest.raises(MalformedEnvelope) as caught:
        parse_file(fields)
    assert "passwd" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "_._etc_passwd"),
        ("a\\b.txt", "a_b.txt"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("line\nbreak.txt", "linebreak.txt"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("...", "file"),
        ("", "file"),
        ("trailing. ", "trailing"),
    ],
)
def test_names_lose_separators_controls_overrides_and_reserved_words(name: str, expected: str) -> None:
    assert sanitised_name(name) == expected
    assert sanitised_name(expected) == expected  # a sanitised name stays as it is


def test_a_long_name_is_cut_to_255_utf8_bytes_keeping_its_extension() -> None:
    cut = sanitised_name("é" * 300 + ".jpeg")
    assert len(cut.encode("utf-8")) <= 255 and cut.endswith(".jpeg") and cut.startswith("é")


def test_mime_comes_from_the_content_first_then_the_name() -> None:
    assert mime_of("photo.txt", b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert mime_of("notes.pdf", b"hello") == "application/pdf"
    assert mime_of("blob", b"hello") == "application/octet-stream"
