"""The privacy rules: what goes to contacts and what is shown from them, as the settings say."""

from __future__ import annotations

import pytest

from net.client.core.events import MessageStatus
from net.client.core.privacy import (
    NotificationContent,
    PrivacySettings,
    receipt_status,
    sends_read_receipt,
    sends_typing,
    shown_status,
    shows_typing,
)

OPEN = PrivacySettings()
CLOSED = PrivacySettings(read_receipts=False, typing_notices=False)


def test_by_default_receipts_and_typing_go_both_ways_and_notifications_show_name_and_text() -> None:
    assert sends_read_receipt(OPEN) and sends_typing(OPEN) and shows_typing(OPEN)
    assert OPEN.notifications is NotificationContent.NAME_AND_TEXT
    assert receipt_status(MessageStatus.READ, OPEN) is MessageStatus.READ


def test_with_receipts_off_none_go_and_a_contacts_read_receipt_only_delivers() -> None:
    settings = PrivacySettings(read_receipts=False)
    assert not sends_read_receipt(settings)
    assert receipt_status(MessageStatus.READ, settings) is MessageStatus.DELIVERED
    assert receipt_status(MessageStatus.DELIVERED, settings) is MessageStatus.DELIVERED
    assert sends_typing(settings) and shows_typing(settings)  # the other setting is apart


def test_a_stored_read_shows_as_delivered_on_our_messages_only_while_receipts_are_off() -> None:
    assert shown_status(MessageStatus.READ, True, CLOSED) is MessageStatus.DELIVERED
    assert shown_status(MessageStatus.READ, False, CLOSED) is MessageStatus.READ  # what we read ourselves
    assert shown_status(MessageStatus.READ, True, OPEN) is MessageStatus.READ
    assert shown_status(MessageStatus.FAILED, True, CLOSED) is MessageStatus.FAILED


def test_with_typing_off_none_go_and_none_are_shown() -> None:
    settings = PrivacySettings(typing_notices=False)
    assert not sends_typing(settings) and not shows_typing(settings)
    assert sends_read_receipt(settings)


@pytest.mark.parametrize(
    "settings",
    [
        OPEN,
        CLOSED,
        PrivacySettings(notifications=NotificationContent.NAME_ONLY),
        PrivacySettings(True, False),
    ],
)
def test_settings_survive_their_json(settings: PrivacySettings) -> None:
    assert PrivacySettings.from_json(settings.to_json()) == settings


def test_fields_an_older_profile_lacks_take_their_defaults() -> None:
    assert PrivacySettings.from_json({"read_receipts": False}) == PrivacySettings(read_receipts=False)
    assert PrivacySettings.from_json({}) == OPEN


@pytest.mark.parametrize(
    "stored",
    [[], "yes", {"read_receipts": "no"}, {"typing_notices": 1}, {"notifications": "loud"}],
)
def test_values_this_version_never_wrote_are_refused(stored: object) -> None:
    with pytest.raises(ValueError):
        PrivacySettings.from_json(stored)
