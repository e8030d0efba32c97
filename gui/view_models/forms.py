"""The state of the app's forms, without Tk: what was typed, what is wrong with it, what to send.

The checks themselves live in :mod:`net.protocol.validation` (the server runs the same
ones); these objects add what a form needs on top: which field an error belongs
to, the stages of registration, and which server refusals send the person back
to an earlier step. Views copy widget text in, ask for errors, and show them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from gui.view_models.names import formatted_number
from net.client.core.events import CodeSent
from net.protocol.validation import (
    ValidationError,
    normalize_email,
    normalize_phone,
    passphrase_strength,
    validate_code,
    validate_display_name,
    validate_passphrase,
)

DEFAULT_SERVER = "127.0.0.1:5000"
_MAX_PORT = 65535


class FormInvalid(Exception):
    """Some fields are wrong; ``errors`` maps each field to a sentence for the person."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def parse_server_address(text: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:5000`` for IPv6) as a pair, or :class:`ValidationError`."""
    text = text.strip()
    example = f"Enter the server as host:port, e.g. {DEFAULT_SERVER}."
    if not text or " " in text:
        raise ValidationError(example)
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
        if not sep:
            raise ValidationError(example)
    else:
        host, _, port_text = text.rpartition(":")
    if not host or not port_text.isdecimal() or not 0 < int(port_text) <= _MAX_PORT:
        raise ValidationError(example)
    return host, int(port_text)


def format_server_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _collect(checks: dict[str, object]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()  # type: ignore[operator]
        except ValidationError as exc:
            errors[name] = str(exc)
    return errors


#: The label suggested for the first profile on a computer; later ones are "Profile 2", "Profile 3", ...
FIRST_LABEL = "Personal"


def suggested_label(taken: Iterable[str]) -> str:
    """A neutral name for a new profile on this computer, different from the ``taken`` ones.

    Neutral because the label is readable without the passphrase: a suggestion
    must not lead the person to put their own name there.
    """
    listed = [name.casefold() for name in taken]  # a damaged profile's name may be empty: it counts
    if not listed:
        return FIRST_LABEL
    names, number = set(listed), len(listed) + 1
    while f"profile {number}" in names:
        number += 1
    return f"Profile {number}"


def validate_label(text: str) -> str:
    """The name a profile is listed by on this computer: the same rules as a display name, its own words."""
    try:
        return validate_display_name(text)
    except ValidationError as exc:
        if not text.strip():
            raise ValidationError("Enter a name for this profile on this computer.") from None
        raise exc


@dataclass(frozen=True)
class NewProfile:
    """What a profile is created with, checked."""

    #: The person's name as their contacts see it; kept inside the encrypted database.
    display_name: str
    #: The name the profile is listed by on this computer, readable before the passphrase.
    label: str
    passphrase: str


@dataclass
class NewProfileForm:
    display_name: str = ""
    label: str = ""
    passphrase: str = ""
    repeat: str = ""

    def strength_hint(self) -> str:
        """A word about the passphrase as it is typed; empty before anything is typed."""
        if not self.passphrase:
            return ""
        score, hint = passphrase_strength(self.passphrase)
        return f"Passphrase strength: {hint}" + ("" if score >= 2 else " — longer is stronger")

    def errors(self) -> dict[str, str]:
        errors = _collect(
            {
                "display_name": lambda: validate_display_name(self.display_name),
                "label": lambda: validate_label(self.label),
                "passphrase": lambda: validate_passphrase(self.passphrase),
            }
        )
        if "passphrase" not in errors and self.repeat != self.passphrase:
            errors["repeat"] = "The two passphrases differ. Type the same one twice."
        return errors

    def cleaned(self) -> NewProfile:
        """The names and passphrase to create the profile with, or :class:`FormInvalid`."""
        errors = self.errors()
        if errors:
            raise FormInvalid(errors)
        display_name, label = validate_display_name(self.display_name), validate_label(self.label)
        return NewProfile(display_name, label, self.passphrase)


@dataclass
class ChangePassphraseForm:
    old: str = ""
    new: str = ""
    repeat: str = ""

    def cleaned(self) -> tuple[str, str]:
        errors = {} if self.old else {"old": "Enter your current passphrase."}
        errors |= _collect({"new": lambda: validate_passphrase(self.new)})
        if "new" not in errors and self.repeat != self.new:
            errors["repeat"] = "The two new passphrases differ. Type the same one twice."
        if errors:
            raise FormInvalid(errors)
        return self.old, self.new


class Stage(StrEnum):
    DETAILS = "details"
    CODE = "code"


#: Server refusals, by code: the field they concern, and whether a new code must be asked for.
_REFUSALS: dict[str, tuple[str, bool]] = {
    "bad_phone": ("phone", False),
    "bad_email": ("email", False),
    "delivery_failed": ("email", False),
    "rate_limited": ("form", False),
    "wrong_code": ("code", False),
    "no_code": ("code", True),
    "code_expired": ("code", True),
    "code_locked": ("code", True),
    "lock_required": ("lock", False),
    "wrong_lock": ("lock", False),
    "lock_blocked": ("lock", False),
}


@dataclass
class RegistrationForm:
    """Phone and e-mail, then the six-digit code the server sent."""

    phone: str = ""
    email: str = ""
    code: str = ""
    stage: Stage = Stage.DETAILS
    sent_to: str = ""
    dev_code: str | None = None
    expires_in: int = 0
    #: The registration lock's passphrase, asked for when the number's account has a lock.
    lock: str = ""
    needs_lock: bool = False
    #: The number has an account already; the code went to its address on file, shown masked.
    existing: bool = False
    masked_address: str = ""
    server_errors: dict[str, str] = field(default_factory=dict)

    def field_error(self, name: str) -> str:
        """The error to show under one field as it is typed (empty while the field is empty)."""
        value = getattr(self, name)
        if not value.strip():
            return ""
        checks = {"phone": normalize_phone, "email": normalize_email, "code": validate_code}
        try:
            checks[name](value)
        except ValidationError as exc:
            return str(exc)
        return ""

    def details(self) -> tuple[str, str]:
        """The normalised phone and e-mail to start registration with, or :class:`FormInvalid`."""
        errors = _collect(
            {"phone": lambda: normalize_phone(self.phone), "email": lambda: normalize_email(self.email)}
        )
        if errors:
            raise FormInvalid(errors)
        self.server_errors.clear()
        return normalize_phone(self.phone), normalize_email(self.email)

    def code_sent(self, event: CodeSent) -> None:
        self.stage = Stage.CODE
        self.sent_to = formatted_number(event.phone)  # as people write it: +44 20 7946 0958
        self.expires_in = event.expires_in
        self.dev_code = event.dev_code
        self.code = event.dev_code or ""
        self.existing, self.needs_lock, self.masked_address = event.existing, event.lock, event.sent_to
        self.lock = ""
        self.server_errors.clear()

    def checked_lock(self) -> str | None:
        """The lock passphrase to send along, or None when none was asked for."""
        if not self.needs_lock:
            return None
        if not self.lock:
            raise FormInvalid({"lock": "Enter the registration lock's passphrase."})
        return self.lock

    def checked_code(self) -> str:
        try:
            return validate_code(self.code)
        except ValidationError as exc:
            raise FormInvalid({"code": str(exc)}) from None

    def refused(self, code: str, message: str) -> str:
        """Record a server refusal; returns the field it belongs to ("form" when none)."""
        where, restart = _REFUSALS.get(code, ("form", False))
        if restart:
            self.stage = Stage.DETAILS
            self.code = ""
            self.dev_code = None
            where = "form"
            message = f"{message} Ask for a new code."
        elif where in ("phone", "email"):
            self.stage = Stage.DETAILS
        elif where == "lock":
            self.needs_lock = True
        self.server_errors = {where: message}
        return where

    def back(self) -> None:
        self.stage = Stage.DETAILS
        self.code = ""
        self.dev_code = None
        self.server_errors.clear()

    def code_note(self) -> str:
        minutes = max(1, round(self.expires_in / 60)) if self.expires_in else 10
        if self.dev_code:
            note = (
                f"This server runs in development mode, so it returned the code for {self.sent_to} "
                "directly and it is filled in for you. A real server sends it by text message or e-mail."
            )
        else:
            where = f" to {self.masked_address}" if self.masked_address and not self.existing else ""
            note = f"We sent a 6-digit code for {self.sent_to}{where}. It is valid for {minutes} minutes."
        if self.existing:
            note += (
                f" {self.sent_to} already has a Parley account, so the code went to the e-mail address on"
                f" file for it, {self.masked_address}, not to the address you typed. Registering here moves"
                " the account to this computer: the other device stops working."
            )
        if self.needs_lock:
            note += " The account has a registration lock: enter its passphrase as well."
        return note
