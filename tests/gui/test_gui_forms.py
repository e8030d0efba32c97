"""The app's forms without Tk: which field an error belongs to, the stages of registration."""

from __future__ import annotations

import pytest

from gui.view_models.forms import (
    DEFAULT_SERVER,
    FIRST_LABEL,
    ChangePassphraseForm,
    FormInvalid,
    NewProfile,
    NewProfileForm,
    RegistrationForm,
    Stage,
    format_server_address,
    parse_server_address,
    suggested_label,
)
from net.client.core.events import CodeSent
from net.protocol.validation import ValidationError

GOOD_PASSPHRASE = "correct horse battery staple"


def test_the_default_server_parses() -> None:
    assert parse_server_address(DEFAULT_SERVER) == ("127.0.0.1", 5000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" example.org:443 ", ("example.org", 443)),
        ("[::1]:5000", ("::1", 5000)),
        ("10.0.0.2:1", ("10.0.0.2", 1)),
    ],
)
def test_server_addresses_parse(text: str, expected: tuple[str, int]) -> None:
    assert parse_server_address(text) == expected


@pytest.mark.parametrize(
    "text", ["", "example.org", ":5000", "host:0", "host:65536", "host:port", "a b:1", "[::1"]
)
def test_bad_server_addresses_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValidationError, match="host:port"):
        parse_server_address(text)


def test_addresses_format_back() -> None:
    assert format_server_address("::1", 5000) == "[::1]:5000"
    assert parse_server_address(format_server_address("::1", 5000)) == ("::1", 5000)


def _new(display_name: str, label: str, passphrase: str, repeat: str) -> NewProfileForm:
    return NewProfileForm(display_name=display_name, label=label, passphrase=passphrase, repeat=repeat)


def test_a_new_profile_needs_both_names_and_a_long_enough_passphrase_typed_twice() -> None:
    errors = _new("", " ", "short", "short").errors()
    assert set(errors) == {"display_name", "label", "passphrase"}
    assert "10 characters" in errors["passphrase"]
    assert errors["label"] == "Enter a name for this profile on this computer."
    assert errors["display_name"] == "Enter a name."
    errors = _new("Alice", "Personal", GOOD_PASSPHRASE, GOOD_PASSPHRASE + "x").errors()
    assert set(errors) == {"repeat"}
    with pytest.raises(FormInvalid) as caught:
        _new("Alice", "Personal", GOOD_PASSPHRASE, "other").cleaned()
    assert "repeat" in caught.value.errors
    assert set(_new("Alice", "line\nbreak", GOOD_PASSPHRASE, GOOD_PASSPHRASE).errors()) == {"label"}


def test_a_good_new_profile_is_cleaned_into_its_two_names() -> None:
    assert _new("  Alice ", " Work laptop ", GOOD_PASSPHRASE, GOOD_PASSPHRASE).cleaned() == NewProfile(
        display_name="Alice", label="Work laptop", passphrase=GOOD_PASSPHRASE
    )


def test_the_suggested_label_is_neutral_and_not_taken() -> None:
    assert suggested_label([]) == FIRST_LABEL == "Personal"
    assert suggested_label(["Personal"]) == "Profile 2"
    assert suggested_label(["Ada", "Bob"]) == "Profile 3"
    assert suggested_label(["Personal", "profile 2"]) == "Profile 3"


def test_the_strength_hint_follows_the_passphrase() -> None:
    assert NewProfileForm().strength_hint() == ""
    assert "too short" in NewProfileForm(passphrase="abc").strength_hint()
    assert NewProfileForm(passphrase="Tr0ub4dor&3-correct-horse-battery").strength_hint().endswith("strong")


def test_changing_the_passphrase_checks_each_field() -> None:
    with pytest.raises(FormInvalid) as caught:
        ChangePassphraseForm("", "short", "short").cleaned()
    assert set(caught.value.errors) == {"old", "new"}
    with pytest.raises(FormInvalid) as caught:
        ChangePassphraseForm("old one", GOOD_PASSPHRASE, "different").cleaned()
    assert set(caught.value.errors) == {"repeat"}
    assert ChangePassphraseForm("old one", GOOD_PASSPHRASE, GOOD_PASSPHRASE).cleaned() == (
        "old one",
        GOOD_PASSPHRASE,
    )


def test_registration_fields_are_checked_as_typed_but_not_while_empty() -> None:
    form = RegistrationForm()
    assert form.field_error("phone") == ""
    form.phone = "020 7946 0958"
    assert "country code" in form.field_error("phone")
    form.phone = "+44 20 7946 0958"
    assert form.field_error("phone") == ""
    form.email = "alice@"
    assert "e-mail" in form.field_error("email")
    form.code = "12a456"
    assert "6 digits" in form.field_error("code")


def test_registration_details_are_normalised_or_refused_per_field() -> None:
    with pytest.raises(FormInvalid) as caught:
        RegistrationForm(phone="12", email="nope").details()
    assert set(caught.value.errors) == {"phone", "email"}
    form = RegistrationForm(phone="+44 20 7946 0958", email="Alice@Example.COM")
    assert form.details() == ("+442079460958", "Alice@example.com")


def test_a_dev_code_is_filled_in_and_explained() -> None:
    form = RegistrationForm(phone="+442079460958", email="a@example.com")
    form.code_sent(CodeSent("+442079460958", 600, dev_code="123456"))
    assert form.stage == Stage.CODE
    assert form.code == "123456"
    assert "development mode" in form.code_note() and "+44 20 7946 0958" in form.code_note()
    assert form.checked_code() == "123456"


def test_a_real_code_is_not_filled_in_and_the_note_names_the_number() -> None:
    form = RegistrationForm()
    form.code_sent(CodeSent("+442079460958", 600))
    assert form.code == ""
    assert "+44 20 7946 0958" in form.code_note() and "10 minutes" in form.code_note()
    form.code = "12 34"
    with pytest.raises(FormInvalid):
        form.checked_code()


def test_a_wrong_code_stays_on_the_code_field() -> None:
    form = RegistrationForm()
    form.code_sent(CodeSent("+442079460958", 600, dev_code="123456"))
    assert form.refused("wrong_code", "That code is not right.") == "code"
    assert form.stage == Stage.CODE
    assert form.server_errors == {"code": "That code is not right."}


@pytest.mark.parametrize("code", ["code_expired", "code_locked", "no_code"])
def test_an_expired_or_locked_code_goes_back_to_ask_for_a_new_one(code: str) -> None:
    form = RegistrationForm()
    form.code_sent(CodeSent("+442079460958", 600, dev_code="123456"))
    assert form.refused(code, "That code can no longer be used.") == "form"
    assert form.stage == Stage.DETAILS
    assert form.code == "" and form.dev_code is None
    assert "new code" in form.server_errors["form"]


def test_a_refused_phone_number_returns_to_the_details_with_the_error_on_the_phone() -> None:
    form = RegistrationForm()
    form.code_sent(CodeSent("+442079460958", 600))
    assert form.refused("bad_phone", "That number cannot be registered.") == "phone"
    assert form.stage == Stage.DETAILS
    assert form.refused("something_new", "The server said no.") == "form"


def test_going_back_forgets_the_code() -> None:
    form = RegistrationForm()
    form.code_sent(CodeSent("+442079460958", 600, dev_code="123456"))
    form.back()
    assert (form.stage, form.code, form.dev_code) == (Stage.DETAILS, "", None)
