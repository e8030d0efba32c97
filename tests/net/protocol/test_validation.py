"""net.protocol.validation: what people type is either made canonical or refused with a sentence for them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from net.protocol.validation import (
    MAX_DISPLAY_NAME_LENGTH,
    ValidationError,
    normalize_email,
    normalize_phone,
    passphrase_strength,
    validate_code,
    validate_display_name,
    validate_passphrase,
)

GOOD_NUMBERS = [
    ("+44 20 7946 0958", "+442079460958"),  # UK, London
    ("+44 (0)20 7946 0958", "+442079460958"),  # UK, with the trunk zero people write
    ("+44 161 496 0000", "+441614960000"),  # UK, Manchester
    ("+44-7911-123456", "+447911123456"),  # UK, mobile
    ("+1 (202) 555-0143", "+12025550143"),  # US, Washington
    ("+1 212.456.7890", "+12124567890"),  # US, New York, dots
    ("+1 650 253 0000", "+16502530000"),  # US, California
    ("+972 3-555-1234", "+97235551234"),  # Israel, Tel Aviv
    ("+972 50-555-1234", "+972505551234"),  # Israel, mobile
    ("+972 2 625 5555", "+97226255555"),  # Israel, Jerusalem
    ("+49 30 901820", "+4930901820"),  # Germany, Berlin
    ("+49 (89) 12345678", "+498912345678"),  # Germany, Munich
    ("+49 1512 3456789", "+4915123456789"),  # Germany, mobile
    ("+91 98765 43210", "+919876543210"),  # India, mobile
    ("+91 22 2345 6789", "+912223456789"),  # India, Mumbai
    ("+91 80 2222 3333", "+918022223333"),  # India, Bengaluru
    ("+33 1 42 68 53 00", "+33142685300"),  # France
    ("+81 3-1234-5678", "+81312345678"),  # Japan
    ("+61 2 9374 4000", "+61293744000"),  # Australia
    ("+55 11 91234-5678", "+5511912345678"),  # Brazil
    ("  +442079460958  ", "+442079460958"),  # already E.164, with spaces around
    ("＋４４ ２０ ７９４６ ０９５８", "+442079460958"),  # full-width, as some input methods type it
    ("+٩٧٢٥٠٥٥٥١٢٣٤", "+972505551234"),  # Arabic-Indic digits
]


@pytest.mark.parametrize(("typed", "e164"), GOOD_NUMBERS)
def test_real_numbers_from_many_countries_become_e164(typed: str, e164: str) -> None:
    assert normalize_phone(typed) == e164


@pytest.mark.parametrize("typed", [e164 for _, e164 in GOOD_NUMBERS])
def test_normalising_a_normalised_number_changes_nothing(typed: str) -> None:
    assert normalize_phone(typed) == typed


BAD_NUMBERS = {
    "empty": "",
    "only spaces": "   ",
    "too short": "+44 20 7946",
    "a country code alone": "+49",
    "too long": "+44 20 7946 0958 1111",
    "letters": "+44 20 SEVEN 946",
    "vanity letters phonenumbers would accept": "+1 800 FLOWERS",
    "an extension": "+44 20 7946 0958 ext 12",
    "missing plus": "44 20 7946 0958",
    "national form": "020 7946 0958",
    "invalid for the region (US 555 exchange)": "+1 555 555 5555",
    "invalid for the region (UK drama range)": "+44 7700 900123",
    "invalid for the region (Israel)": "+972 1-234-5678",
    "unknown country code": "+999 1234 5678",
    "absurdly long": "+44" + "1" * 10_000,
    "a plus alone": "+",
    "a control character": "+44 20 7946\n0958",
}


@pytest.mark.parametrize("typed", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
def test_bad_numbers_are_refused_with_a_helpful_sentence(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_phone(typed)
    message = str(caught.value)
    assert message.endswith(".")
    assert "+44 20 7946 0958" in message or "too long" in message


def test_a_missing_plus_is_named_as_the_problem() -> None:
    with pytest.raises(ValidationError, match=r"Start the phone number with \+ and the country code"):
        normalize_phone("44 20 7946 0958")


def test_an_invalid_number_gets_the_message_the_app_shows() -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_phone("+1 555 555 5555")
    assert str(caught.value) == (
        "That is not a valid phone number. Use the international form, e.g. +44 20 7946 0958."
    )


@pytest.mark.parametrize("value", [None, 442079460958, ["+442079460958"], b"+442079460958"])
def test_values_that_are_not_text_are_refused_not_crashed_on(value: object) -> None:
    # The server passes JSON fields straight in; a number or a list must be a clean refusal.
    for check in (
        normalize_phone,
        normalize_email,
        validate_passphrase,
        validate_display_name,
        validate_code,
    ):
        with pytest.raises(ValidationError, match="as text"):
            check(value)  # type: ignore[arg-type]


@given(st.text(max_size=60))
def test_any_text_is_either_a_valid_e164_number_or_a_validation_error(text: str) -> None:
    try:
        number = normalize_phone(text)
    except ValidationError:
        return
    assert number.startswith("+") and number[1:].isascii() and number[1:].isdigit()
    assert normalize_phone(number) == number


GOOD_EMAILS = [
    ("alice@example.com", "alice@example.com"),
    ("  bob@example.org  ", "bob@example.org"),
    ("Carol@Example.COM", "Carol@example.com"),  # the domain is case-insensitive, the local part is not
    ("dave+parley@mail.example.co.uk", "dave+parley@mail.example.co.uk"),
    ("first.last@sub.example.net", "first.last@sub.example.net"),
    ("ñoño@ejemplo.es", "ñoño@ejemplo.es"),  # a Unicode local part (SMTPUTF8)
    ("用户@例子.广告", "用户@例子.广告"),  # Unicode local part and domain
    ("ö@bücher.de", "ö@bücher.de"),
]


@pytest.mark.parametrize(("typed", "normalised"), GOOD_EMAILS)
def test_good_addresses_are_normalised(typed: str, normalised: str) -> None:
    assert normalize_email(typed) == normalised


BAD_EMAILS = {
    "empty": "",
    "no at-sign": "alice.example.com",
    "two at-signs": "alice@@example.com",
    "no domain": "alice@",
    "no local part": "@example.com",
    "a domain without a dot": "alice@localhost",
    "two dots in a row": "a..b@example.com",
    "a space inside": "alice smith@example.com",
    "a display name": "Alice <alice@example.com>",
    "absurdly long": "a" * 5000 + "@example.com",
    "over 254 characters in all": "a" * 250 + "@example.com",
}


@pytest.mark.parametrize("typed", BAD_EMAILS.values(), ids=BAD_EMAILS.keys())
def test_bad_addresses_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError, match=r"e-mail address|too long"):
        normalize_email(typed)


@given(st.text(max_size=80))
def test_any_text_is_either_an_address_or_a_validation_error(text: str) -> None:
    try:
        address = normalize_email(text)
    except ValidationError:
        return
    assert "@" in address
    assert normalize_email(address) == address


def test_a_passphrase_of_ten_characters_is_enough_and_nine_is_not() -> None:
    validate_passphrase("x" * 10)
    with pytest.raises(ValidationError, match="at least 10 characters"):
        validate_passphrase("x" * 9)


def test_passphrase_length_counts_characters_not_code_points() -> None:
    # Nine "é" typed as e + combining accent are 18 code points but nine characters.
    with pytest.raises(ValidationError):
        validate_passphrase("e\u0301" * 9)
    validate_passphrase("e\u0301" * 10)


def test_an_absurdly_long_passphrase_is_refused() -> None:
    with pytest.raises(ValidationError, match="too long"):
        validate_passphrase("x" * 100_000)


@pytest.mark.parametrize(
    ("passphrase", "score", "hint"),
    [
        ("", 0, "too short"),
        ("hunter2", 0, "too short"),
        ("aaaaaaaaaaaa", 1, "weak"),
        ("1234567890", 1, "weak"),
        ("abcdefghijkl", 1, "weak"),
        ("kjdhqpzmwx", 1, "weak"),
        ("kjdhqpzmwxyrtv", 2, "fair"),
        ("Kj8#qpZm!x2R", 3, "good"),
        ("correct horse battery staple", 4, "strong"),
    ],
)
def test_strength_of_obvious_cases(passphrase: str, score: int, hint: str) -> None:
    assert passphrase_strength(passphrase) == (score, hint)


def test_strength_grows_with_length_and_with_character_classes() -> None:
    lengths = [passphrase_strength("kqdhzpwmtrxbvnflgcsj"[:n])[0] for n in range(5, 21)]
    assert lengths == sorted(lengths) and lengths[0] == 0 and lengths[-1] == 4
    classes = [
        passphrase_strength(p)[0] for p in ("kjdhqpzmwxyr", "kjdhQpzmWxyr", "kjd4Qp7mWx9r", "kj#4Qp7!Wx9r")
    ]
    assert classes == sorted(classes) and classes[0] < classes[-1]


def test_repeats_and_runs_score_below_varied_text_of_the_same_length() -> None:
    assert passphrase_strength("aaaaaaaaaaaaaaaa")[0] < passphrase_strength("kjdhqpzmwxyrtvbn")[0]
    assert passphrase_strength("abcdefghijklmnop")[0] < passphrase_strength("kjdhqpzmwxyrtvbn")[0]


@given(st.text(st.characters(exclude_categories=["Mn", "Mc", "Me", "Cs"]), max_size=40), st.characters())
def test_appending_a_character_never_lowers_the_strength(text: str, extra: str) -> None:
    assert passphrase_strength(text + extra)[0] >= passphrase_strength(text)[0]


@given(st.text(max_size=40))
def test_strength_zero_is_exactly_what_validation_refuses(text: str) -> None:
    score, hint = passphrase_strength(text)
    assert 0 <= score <= 4 and hint in {"too short", "weak", "fair", "good", "strong"}
    try:
        validate_passphrase(text)
    except ValidationError:
        assert score == 0
    else:
        assert score >= 1


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Alice", "Alice"),
        ("  Bob Smith  ", "Bob Smith"),
        ("Zoë", "Zoë"),
        ("Zoe\u0308", "Zoë"),  # the same name typed with a combining diaeresis
        ("אליס", "אליס"),
        ("李小龍", "李小龍"),
        ("👩\u200d💻 Dana", "👩\u200d💻 Dana"),  # the zero-width joiner of an emoji sequence stays
        ("x" * MAX_DISPLAY_NAME_LENGTH, "x" * MAX_DISPLAY_NAME_LENGTH),
    ],
)
def test_display_names_are_trimmed_and_kept(typed: str, name: str) -> None:
    assert validate_display_name(typed) == name


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "x" * (MAX_DISPLAY_NAME_LENGTH + 1),
        "Al\nice",
        "Al\tice",
        "Al\x00ice",
        "Al\x1bice",
        "evil\u202egpj.exe",
    ],
)
def test_bad_display_names_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        validate_display_name(typed)


@pytest.mark.parametrize(
    ("typed", "code"), [("123456", "123456"), (" 012345 ", "012345"), ("123 456", "123456")]
)
def test_codes_are_six_digits_after_removing_spaces(typed: str, code: str) -> None:
    assert validate_code(typed) == code


@pytest.mark.parametrize(
    "typed", ["", "12345", "1234567", "12345a", "12-456", "１２３４５６", "١٢٣٤٥٦", "9" * 1000]
)
def test_bad_codes_are_refused_without_echoing_them(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_code(typed)
    assert typed.strip() not in str(caught.value) or not typed.strip()
