"""Finding web and mail addresses in a text: where they end, what is not one, and how long it takes."""

from __future__ import annotations

import time

import pytest

from gui.view_models.links import LONGEST, Link, find_links, hover_text, looked_up


def addresses(text: str) -> list[str]:
    found = find_links(text)
    assert all(text[link.start : link.end] == link.address for link in found)
    return [link.address for link in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://example.org.", ["https://example.org"]),
        ("really? http://example.org/a?b=1!", ["http://example.org/a?b=1"]),
        ("first https://a.example, then https://b.example; done", ["https://a.example", "https://b.example"]),
        ("“https://example.org/quoted”", ["https://example.org/quoted"]),
        ("write to mailto:ana@example.com.", ["mailto:ana@example.com"]),
        ("HTTPS://EXAMPLE.ORG/UP", ["HTTPS://EXAMPLE.ORG/UP"]),
        ("<https://example.org/in-brackets>", ["https://example.org/in-brackets"]),
        (
            "two lines https://example.org/a\nhttps://example.org/b",
            ["https://example.org/a", "https://example.org/b"],
        ),
    ],
)
def test_trailing_punctuation_is_not_part_of_the_address(text: str, expected: list[str]) -> None:
    assert addresses(text) == expected


def test_brackets_belong_to_the_address_only_when_it_opened_them() -> None:
    assert addresses("(see https://example.org/page)") == ["https://example.org/page"]
    assert addresses("the article https://en.example/wiki/Tk_(toolkit).") == [
        "https://en.example/wiki/Tk_(toolkit)"
    ]
    assert addresses("(https://en.example/wiki/Tk_(toolkit))") == ["https://en.example/wiki/Tk_(toolkit)"]
    assert addresses("[https://example.org/x]") == ["https://example.org/x"]


def test_an_internationalised_name_is_one_address_and_its_looked_up_form_shows_on_hover() -> None:
    assert addresses("bücher: https://bücher.example/straße?q=ä ok") == ["https://bücher.example/straße?q=ä"]
    assert looked_up("https://Bücher.example/straße") == "https://xn--bcher-kva.example/straße"
    assert hover_text("https://bücher.example/") == "https://bücher.example/\nhttps://xn--bcher-kva.example/"
    assert hover_text("https://example.org/") == "https://example.org/"  # nothing hidden: just the address
    assert looked_up("mailto:ana@bücher.example") == "mailto:ana@bücher.example"


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "click javascript://example.org/%0Aalert(1)",
        "file:///etc/passwd",
        "ftp://example.org/",
        "data:text/html,<b>x</b>",
        "just http:// and https://",
        "mailto:nobody",
        "xhttps://example.org glued to a word",
        "ana.https://example.org",
    ],
)
def test_other_schemes_and_half_addresses_stay_plain_text(text: str) -> None:
    assert addresses(text) == []


def test_where_each_link_is() -> None:
    assert find_links("go https://x.example now") == [Link(3, 20, "https://x.example")]


def test_a_very_long_text_is_searched_in_linear_time() -> None:
    junk = "https://" * 20_000 + "(" * 50_000 + " word" * 100_000 + " https://end.example"
    started = time.perf_counter()
    found = find_links(junk)
    assert time.perf_counter() - started < 2.0
    assert found[-1].address == "https://end.example"
    long_one = "https://example.org/" + "a" * (LONGEST * 3)
    assert find_links(long_one) == []  # longer than any address opened: no link, rather than a cut one
    assert find_links(f"{long_one} then https://b.example") == [
        Link(len(long_one) + 6, len(long_one) + 23, "https://b.example")
    ]
    fits = "https://example.org/" + "a" * (LONGEST - 30)
    assert addresses(fits) == [fits]
