"""The new-group form and the add-members form as plain data: the filter, the checklist, typed numbers.

The person picks members from their contacts (a checklist narrowed by a filter)
and may type numbers of people who are not contacts yet, separated by commas,
spaces or new lines. :func:`chosen_members` turns that into the list the engine
takes, or one sentence saying what is wrong, before anything goes to the worker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from net.client.core.group_changes import MAX_MEMBERS
from net.protocol.validation import ValidationError, normalize_phone, validate_display_name


@dataclass(frozen=True)
class Choice:
    """A contact in the checklist: their number and the name the window shows for them."""

    phone: str
    name: str


def filtered(choices: Sequence[Choice], text: str) -> list[Choice]:
    """The contacts whose name or number contains ``text`` (case and spaces ignored), by name."""
    needle = "".join(text.lower().split())
    digits = "".join(ch for ch in needle if ch.isdigit())

    def matches(choice: Choice) -> bool:
        if not needle:
            return True
        name = "".join(choice.name.lower().split())
        return needle in name or bool(digits and digits == needle.lstrip("+") and digits in choice.phone)

    return sorted((c for c in choices if matches(c)), key=lambda c: c.name.lower())


def typed_numbers(text: str) -> list[str]:
    """The numbers typed in the field, split at commas, semicolons and new lines (spaces stay inside)."""
    return [part.strip() for part in re.split(r"[,;\n]+", text) if part.strip()]


class FormProblem(ValueError):
    """What is wrong with the form, in a sentence; ``field`` is "name" or "members"."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def group_name(text: str) -> str:
    if not text.strip():
        raise FormProblem("name", "Give the group a name, so its members know what it is.")
    try:
        return validate_display_name(text)
    except ValidationError as exc:
        raise FormProblem("name", str(exc)) from None


def chosen_members(
    checked: Iterable[str], typed: str, own_phone: str | None, *, already: int = 1, need_one: bool = True
) -> list[str]:
    """The checked contacts and the typed numbers, each once, in E.164; or a :class:`FormProblem`.

    ``already`` members are in the group before these (we are, in a new one): the total is
    kept within the engine's limit here, so the person hears it before anything is sent.
    """
    members: list[str] = []
    for phone in checked:
        if phone not in members:
            members.append(phone)
    for text in typed_numbers(typed):
        try:
            phone = normalize_phone(text)
        except ValidationError as exc:
            raise FormProblem("members", f"“{text}”: {exc}") from None
        if phone == own_phone:
            raise FormProblem("members", "That is your own number; you are in the group anyway.")
        if phone not in members:
            members.append(phone)
    if need_one and not members:
        raise FormProblem("members", "Choose at least one contact, or type a number, to make a group with.")
    if already + len(members) > MAX_MEMBERS:
        raise FormProblem(
            "members", f"A group has at most {MAX_MEMBERS} members, you included; take some off the list."
        )
    return members
