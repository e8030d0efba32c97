"""What the person lets others see: read receipts and typing notices, both ways; what notifications show.

The rule is Signal's: with read receipts off, none are sent and none are shown
from others (a read receipt that arrives counts as delivered), since seeing
what one does not show would not be fair. Typing notices off: none are sent,
and a contact's are not shown. The notification setting is the window's, kept
here so that all of the profile's choices travel together.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from net.client.core.events import MessageStatus


class NotificationContent(StrEnum):
    """What a desktop notification of a new message shows."""

    NAME_AND_TEXT = "name_and_text"
    NAME_ONLY = "name_only"
    NOTHING = "nothing"  # no notification at all


@dataclass(frozen=True)
class PrivacySettings:
    read_receipts: bool = True
    typing_notices: bool = True
    notifications: NotificationContent = NotificationContent.NAME_AND_TEXT

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "notifications": self.notifications.value}

    @classmethod
    def from_json(cls, data: Any) -> PrivacySettings:
        """The settings as stored; a field missing (an older profile) takes its default.

        Raises ValueError for a value that is not what this version wrote.
        """
        if not isinstance(data, dict):
            raise ValueError("the privacy settings are not a JSON object")
        default = cls()
        receipts = data.get("read_receipts", default.read_receipts)
        typing = data.get("typing_notices", default.typing_notices)
        if not isinstance(receipts, bool) or not isinstance(typing, bool):
            raise ValueError("a privacy setting is not true or false")
        try:
            content = NotificationContent(data.get("notifications", default.notifications.value))
        except ValueError:
            raise ValueError("the notification setting is not one Parley knows") from None
        return cls(receipts, typing, content)


def sends_read_receipt(settings: PrivacySettings) -> bool:
    """Whether marking a conversation read tells the contact."""
    return settings.read_receipts


def receipt_status(status: MessageStatus, settings: PrivacySettings) -> MessageStatus:
    """The status a contact's receipt gives our message: a read receipt only delivers while ours are off."""
    if status == MessageStatus.READ and not settings.read_receipts:
        return MessageStatus.DELIVERED
    return status


def shown_status(status: MessageStatus, outgoing: bool, settings: PrivacySettings) -> MessageStatus:
    """How a stored status is shown: no "read" from others on our messages while our receipts are off.

    An incoming message's own "read" (we read it) is ours to see whatever the setting.
    """
    return receipt_status(status, settings) if outgoing else status


def sends_typing(settings: PrivacySettings) -> bool:
    return settings.typing_notices


def shows_typing(settings: PrivacySettings) -> bool:
    return settings.typing_notices
