"""The profile's privacy settings, read and written for the engine (rules: :mod:`net.client.core.privacy`).

Kept in the profile (``settings`` record ``privacy``), so they follow the
profile to a backup and to another computer. A record that cannot be read is
noted as damaged and taken as the most private choice (no receipts, no typing
notices, notifications with the name only) until the person saves settings
again: a damaged file must not start telling contacts what the person read.
"""

from __future__ import annotations

from net.client.context import Context
from net.client.core.privacy import NotificationContent, PrivacySettings
from storage.profile.errors import DamagedValue

_RECORD = "privacy"
#: What a damaged record is taken as.
PRIVATE = PrivacySettings(
    read_receipts=False, typing_notices=False, notifications=NotificationContent.NAME_ONLY
)


def load(ctx: Context) -> PrivacySettings:
    try:
        value = ctx.profile.settings.get(_RECORD)
        return PrivacySettings() if value is None else PrivacySettings.from_json(value)
    except (DamagedValue, ValueError):
        ctx.profile.note_damage("setting:privacy", "privacy settings")
        return PRIVATE


def save(ctx: Context, settings: PrivacySettings) -> None:
    ctx.profile.settings.put(_RECORD, settings.to_json())
