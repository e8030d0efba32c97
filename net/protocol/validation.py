"""Checking what people type: phone numbers, e-mail addresses, passphrases, names and codes.

Every check takes untrusted text (from a form in the app, or a field of a frame
on the server) and either returns the one canonical form that the rest of the
system stores and compares, or raises :class:`ValidationError` whose message is
written for the person who typed it. Messages never repeat the input, so they
are safe to send back over the wire and to show in the app.

Inputs are bounded in length before any parser sees them, so that a huge field
costs nothing more than a ``len``.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Final

import email_validator
import phonenumbers

__all__ = [
    "CODE_LENGTH",
    "MAX_DISPLAY_NAME_LENGTH",
    "MIN_PASSPHRASE_LENGTH",
    "ValidationError",
    "normalize_email",
    "normalize_phone",
    "passphrase_strength",
    "validate_code",
    "validate_display_name",
    "validate_passphrase",
]

CODE_LENGTH: Final = 6
MIN_PASSPHRASE_LENGTH: Final = 10
MAX_DISPLAY_NAME_LENGTH: Final = 64
# E.164 allows 15 digits; the rest is room for the spaces and punctuation people type.
_MAX_PHONE_INPUT: Final = 40
# RFC 5321 limits a forward path to 256 octets; leave room for surrounding spaces.
_MAX_EMAIL_INPUT: Final = 320
# Far beyond any real passphrase, but small enough that Argon2id input stays trivial.
_MAX_PASSPHRASE_LENGTH: Final = 1024
_MAX_CODE_INPUT: Final = 32

_PHONE_EXAMPLE: Final = "+44 20 7946 0958"
_PHONE_PUNCTUATION: Final = frozenset(" -.()/")
# Bidirectional overrides and isolates let a name display as something else (a spoofing trick).
_BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_FORBIDDEN_NAME_CATEGORIES: Final = frozenset({"Cc", "Cs", "Zl", "Zp"})

_STRENGTH_HINTS: Final = ("too short", "weak", "fair", "good", "strong")
# Score thresholds in estimated bits of guessing work, after the length check.
_FAIR_BITS: Final = 50.0
_GOOD_BITS: Final = 70.0
_STRONG_BITS: Final = 90.0
# A character that repeats or continues a run ("aaaa", "1234", "dcba") adds almost nothing.
_RUN_CHARACTER_BITS: Final = 1.0
_ASCII_SYMBOLS: Final = 33
_OTHER_ALPHABET: Final = 100


class ValidationError(ValueError):
    """Input was refused. ``str()`` is a sentence for the person who typed it."""


def _bounded_text(value: object, what: str, limit: int) -> str:
    # The server hands us JSON values, which may be numbers, lists or null.
    if not isinstance(value, str):
        raise ValidationError(f"Enter {what} as text.")
    if len(value) > limit:
        raise ValidationError(f"That is too long for {what}.")
    return value


def normalize_phone(text: str) -> str:
    """The number in E.164 form (``+442079460958``), or :class:`ValidationError`.

    A leading ``+`` and the country code are required: the server serves people
    in every country and cannot guess a default region.
    """
    text = unicodedata.normalize("NFKC", _bounded_text(text, "a phone number", _MAX_PHONE_INPUT)).strip()
    if not text:
        raise ValidationError(f"Enter your phone number in the international form, e.g. {_PHONE_EXAMPLE}.")
    if not text.startswith("+"):
        raise ValidationError(f"Start the phone number with + and the country code, e.g. {_PHONE_EXAMPLE}.")
    # phonenumbers would also take vanity letters ("1-800-FLOWERS") and extensions; we want plain numbers.
    rest = text[1:]
    if not all(ch.isdecimal() or ch in _PHONE_PUNCTUATION for ch in rest):
        raise ValidationError(
            "A phone number can contain only digits, spaces, dashes, dots and brackets, "
            f"e.g. {_PHONE_EXAMPLE}."
        )
    invalid = f"That is not a valid phone number. Use the international form, e.g. {_PHONE_EXAMPLE}."
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(invalid) from None
    if number.extension or not phonenumbers.is_valid_number(number):
        raise ValidationError(invalid)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(text: str) -> str:
    """The address in email-validator's normalised form (the domain lower-cased, Unicode NFC).

    Only the syntax is checked; whether mail arrives is what the verification
    code proves. Internationalised addresses (``ñoño@ejemplo.es``) are accepted.
    """
    text = _bounded_text(text, "an e-mail address", _MAX_EMAIL_INPUT).strip()
    if not text:
        raise ValidationError("Enter your e-mail address, e.g. alice@example.com.")
    try:
        result = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise ValidationError(f"That is not a valid e-mail address. {exc}") from None
    return result.normalized


def _length(passphrase: str) -> int:
    # Counted as the profile's key derivation sees it, so "é" is one character however it was typed.
    return len(unicodedata.normalize("NFC", passphrase))


def validate_passphrase(text: str) -> None:
    """Refuse a passphrase shorter than :data:`MIN_PASSPHRASE_LENGTH` characters."""
    text = _bounded_text(text, "a passphrase", _MAX_PASSPHRASE_LENGTH)
    if _length(text) < MIN_PASSPHRASE_LENGTH:
        raise ValidationError(f"Use a passphrase of at least {MIN_PASSPHRASE_LENGTH} characters.")


def _alphabet_size(text: str) -> int:
    size = 0
    if any("a" <= ch <= "z" for ch in text):
        size += 26
    if any("A" <= ch <= "Z" for ch in text):
        size += 26
    if any("0" <= ch <= "9" for ch in text):
        size += 10
    if any(ch.isascii() and not ch.isalnum() for ch in text):
        size += _ASCII_SYMBOLS
    if any(not ch.isascii() for ch in text):
        size += _OTHER_ALPHABET
    return size


def _estimated_bits(text: str) -> float:
    per_character = math.log2(max(_alphabet_size(text), 2))
    bits = 0.0
    previous: str | None = None
    for ch in text:
        in_run = previous is not None and abs(ord(ch) - ord(previous)) <= 1
        bits += _RUN_CHARACTER_BITS if in_run else per_character
        previous = ch
    return bits


def passphrase_strength(text: str) -> tuple[int, str]:
    """A score from 0 to 4 and a hint for the app: too short, weak, fair, good, strong.

    A deliberately simple estimate: length times the size of the character
    classes used, with repeats and runs ("aaaa", "1234") counted as almost
    nothing. It knows no dictionary, so it is an upper bound: "Password123!"
    scores better than it deserves, which the app's wording should not hide.
    Appending a character never lowers the score.
    """
    text = unicodedata.normalize("NFC", _bounded_text(text, "a passphrase", _MAX_PASSPHRASE_LENGTH))
    if len(text) < MIN_PASSPHRASE_LENGTH:
        score = 0
    else:
        bits = _estimated_bits(text)
        score = 1 + sum(bits >= threshold for threshold in (_FAIR_BITS, _GOOD_BITS, _STRONG_BITS))
    return score, _STRENGTH_HINTS[score]


def validate_display_name(text: str) -> str:
    """The name trimmed and in Unicode NFC: 1 to 64 characters, no control or direction overrides."""
    text = unicodedata.normalize("NFC", _bounded_text(text, "a name", 16 * MAX_DISPLAY_NAME_LENGTH)).strip()
    if not text:
        raise ValidationError("Enter a name.")
    if len(text) > MAX_DISPLAY_NAME_LENGTH:
        raise ValidationError(f"A name can have at most {MAX_DISPLAY_NAME_LENGTH} characters.")
    for ch in text:
        if ch in _BIDI_CONTROLS or unicodedata.category(ch) in _FORBIDDEN_NAME_CATEGORIES:
            raise ValidationError("A name cannot contain line breaks, tabs or other control characters.")
    return text


def validate_code(text: str) -> str:
    """The six digits of a verification code; spaces around and between them are ignored ("123 456")."""
    text = _bounded_text(text, "the code", _MAX_CODE_INPUT).strip().replace(" ", "")
    if len(text) != CODE_LENGTH or not (text.isascii() and text.isdigit()):
        raise ValidationError(f"The code is {CODE_LENGTH} digits, as sent to you.")
    return text
