"""How a person is named on screen: one rule for lists, headers, bubbles, notifications and search.

The name shown is the nickname the person gave the contact, else the name the
contact sent (end to end), else their number in international form
("+1 202-555-0143", through ``phonenumbers``). The header shows the number
beneath the name, and never twice: when the name shown is the number, nothing
goes beneath. An avatar shows the initials of the name shown, or for a number
the last two digits (a "#" says nothing about who it is); its colour comes from
the contact's identity key (its short fingerprint), so it stays when the contact
is renamed, and changes when the key does.
"""

from __future__ import annotations

import hashlib

import phonenumbers

#: Avatar colours, white text readable on each.
AVATAR_COLOURS = ("#d84f4f", "#3b82c4", "#3f8f4f", "#c26a12", "#8e4fb0", "#2b8c82", "#c2407a", "#5562b0")


def formatted_number(phone: str) -> str:
    """The number in international form; as given when it does not parse (it is shown, never lost)."""
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _nickname(phone: str, nickname: str) -> str:
    # Profiles from before names were sent kept the number as the "name": that is no nickname.
    nickname = nickname.strip()
    return "" if nickname == phone else nickname


def shown_name(phone: str, nickname: str = "", profile_name: str = "") -> str:
    """The nickname, else the contact's own name, else the formatted number."""
    return _nickname(phone, nickname) or profile_name.strip() or formatted_number(phone)


def number_beneath(phone: str, nickname: str = "", profile_name: str = "") -> str:
    """What the header shows under the name: the formatted number, or "" when the name is the number."""
    if not (_nickname(phone, nickname) or profile_name.strip()):
        return ""
    return formatted_number(phone)


def avatar_text(name: str, phone: str) -> str:
    """Initials of the name shown (two at most), or the number's last two digits."""
    if name == formatted_number(phone) or not any(ch.isalpha() for ch in name):
        digits = [ch for ch in phone if ch.isdigit()]
        return "".join(digits[-2:]) or "?"
    words = [w for w in name.split() if any(ch.isalpha() for ch in w)]
    letters = [next(ch for ch in w if ch.isalpha()) for w in words[:1] + words[1:][-1:]]
    return "".join(letters).upper()


def avatar_colour(key_id: str, phone: str) -> str:
    """A colour from the identity key's fingerprint (the number until a key is pinned)."""
    seed = key_id or hashlib.sha256(phone.encode("utf-8")).hexdigest()
    return AVATAR_COLOURS[int(seed[:8], 16) % len(AVATAR_COLOURS)]
