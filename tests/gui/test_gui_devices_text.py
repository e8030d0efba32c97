"""Linked devices in words: a typed link code forgiven what people get wrong, a device's lines, its name."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gui.view_models.devices_text import (
    code_lifetime,
    created_words,
    device_detail,
    device_name,
    device_title,
    devices_summary,
    grouped,
    last_seen_words,
    link_code,
    unlink_question,
)
from gui.view_models.forms import FormInvalid
from net.client.core.events import DeviceView

NOW = datetime(2026, 12, 1, 15, 30)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _device(n: int, *, seen: datetime | None = None, current: bool = False, name: str = "Desk") -> DeviceView:
    return DeviceView(n, name, _ms(datetime(2026, 11, 12, 9, 0)), _ms(seen) if seen else 0, current)


@pytest.mark.parametrize(
    "typed",
    [
        "ABCD-EFGH-IJKL-MNOP",
        "abcd efgh ijkl mnop",
        "  ABCDEFGHIJKLMNOP\n",
        "parley-link:ABCDEFGHIJKLMNOP",
        "PARLEY-LINK:abcd-efgh-ijkl-mnop",
        "ABCD-EFGH-1JKL-MN0P",  # 1 for I and 0 for O: base32 has neither digit
    ],
)
def test_a_typed_or_pasted_code_becomes_its_sixteen_characters(typed: str) -> None:
    assert link_code(typed) == "ABCDEFGHIJKLMNOP"


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "Type the code"),
        ("ABCD-EFGH-IJKL", "has 16 letters and digits; this one has 12"),
        ("ABCD-EFGH-IJKL-MNOP-Q", "this one has 17"),
        ("ABCD-EFGH-IJKL-MNO9", "only the letters A to Z and the digits 2 to 7, not 9"),
        ("ABCD-EFGH-IJKL-MNÖP", "not Ö"),
    ],
)
def test_a_code_that_cannot_be_one_is_refused_in_words(typed: str, words: str) -> None:
    with pytest.raises(FormInvalid) as caught:
        link_code(typed)
    assert words in caught.value.errors["code"]


def test_codes_are_shown_in_four_groups_of_four() -> None:
    assert grouped("ABCDEFGHIJKLMNOP") == "ABCD-EFGH-IJKL-MNOP"
    assert grouped("ABCD-EFGH-IJKL-MNOP") == "ABCD-EFGH-IJKL-MNOP"


def test_last_seen_is_said_to_the_hour_the_server_keeps() -> None:
    now = _ms(NOW)
    assert last_seen_words(_device(2, seen=NOW - timedelta(minutes=20)), now) == "Active in the last hour"
    assert last_seen_words(_device(2, seen=NOW - timedelta(hours=1)), now) == "Last seen 1 hour ago"
    assert last_seen_words(_device(2, seen=NOW - timedelta(hours=5)), now) == "Last seen 5 hours ago"
    assert last_seen_words(_device(2, seen=NOW - timedelta(hours=30)), now) == "Last seen yesterday"
    assert last_seen_words(_device(2, seen=datetime(2026, 11, 28, 10)), now) == "Last seen on Saturday"
    assert last_seen_words(_device(2, seen=datetime(2026, 10, 3, 10)), now) == "Last seen 3 Oct 2026"
    assert last_seen_words(_device(2), now) == "Not seen yet"
    assert last_seen_words(_device(1, seen=NOW - timedelta(days=40), current=True), now) == "Active now"


def test_a_device_line_says_when_it_was_seen_and_registered_or_linked() -> None:
    now = _ms(NOW)
    this = _device(1, seen=NOW, current=True)
    other = _device(3, seen=NOW - timedelta(hours=2))
    assert device_detail(this, now) == "Active now · Registered 12 Nov 2026"
    assert device_detail(other, now) == "Last seen 2 hours ago · Linked 12 Nov 2026"
    assert created_words(other) == "Linked 12 Nov 2026"


def test_a_device_without_a_readable_name_is_named_by_its_number() -> None:
    assert device_title(_device(4, name="  ")) == "Computer 4"
    assert device_title(_device(4, name="Laptop")) == "Laptop"
    assert "“Laptop”" in unlink_question(_device(4, name="Laptop"))


def test_the_summary_counts_the_computers_against_the_limit() -> None:
    assert "Only this computer" in devices_summary(1)
    assert devices_summary(3).startswith("3 computers use your account (at most 5)")


def test_a_name_is_tidied_and_checked() -> None:
    assert device_name("  Work   laptop ") == "Work laptop"
    with pytest.raises(FormInvalid) as empty:
        device_name("   ")
    assert "Give this computer a name" in empty.value.errors["name"]
    with pytest.raises(FormInvalid) as long:
        device_name("x" * 61)
    assert "at most 60" in long.value.errors["name"]


def test_the_code_s_lifetime_is_said_in_minutes() -> None:
    assert code_lifetime(600).startswith("The code works for 10 minutes, while this screen stays open.")
    assert code_lifetime(45).startswith("The code works for 1 minute,")
