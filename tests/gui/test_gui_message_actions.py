"""What a message's context menu offers: by whose message it is, how old, and whether it was deleted."""

from __future__ import annotations

from dataclasses import replace

from gui.view_models.message_actions import MenuAction, offered, ours_and_recent
from net.client.core.actions import ReplyView
from net.client.core.events import MessageStatus, MessageView

BOB = "+442079460958"
NOW = 1_800_000_000.0
HOUR = 3600.0


def message(*, outgoing: bool, age: float, text: str = "hello") -> MessageView:
    status = MessageStatus.SENT if outgoing else MessageStatus.RECEIVED
    return MessageView("m1", BOB, outgoing, text, NOW - age, status, sent_at=NOW - age)


def test_our_recent_message_offers_delete_for_everyone_and_theirs_does_not() -> None:
    assert offered(message(outgoing=True, age=HOUR), NOW) == (
        MenuAction.REPLY,
        MenuAction.REACT,
        MenuAction.COPY,
        MenuAction.EDIT,
        MenuAction.DELETE_FOR_ME,
        MenuAction.DELETE_FOR_EVERYONE,
        MenuAction.DETAILS,
    )
    assert offered(message(outgoing=False, age=HOUR), NOW) == (
        MenuAction.REPLY,
        MenuAction.REACT,
        MenuAction.COPY,
        MenuAction.DELETE_FOR_ME,
        MenuAction.DETAILS,
    )


def test_after_24_hours_or_failed_ours_can_no_longer_be_taken_back() -> None:
    assert ours_and_recent(message(outgoing=True, age=24 * HOUR - 1), NOW)
    assert not ours_and_recent(message(outgoing=True, age=24 * HOUR), NOW)
    failed = replace(message(outgoing=True, age=HOUR), status=MessageStatus.FAILED)
    assert not ours_and_recent(failed, NOW)
    late = offered(message(outgoing=True, age=25 * HOUR), NOW)
    assert MenuAction.DELETE_FOR_EVERYONE not in late and MenuAction.EDIT not in late


def test_a_deleted_message_only_goes_and_a_notice_or_a_caption_less_picture_offers_less() -> None:
    deleted = replace(message(outgoing=False, age=HOUR, text=""), deleted=True)
    assert offered(deleted, NOW) == (MenuAction.DELETE_FOR_ME, MenuAction.DETAILS)
    notice = replace(message(outgoing=False, age=HOUR, text=""), notice="key_changed")
    assert offered(notice, NOW) == ()
    assert MenuAction.COPY not in offered(message(outgoing=False, age=HOUR, text=""), NOW)


def test_a_reply_offers_the_way_to_its_original_after_reply() -> None:
    reply = replace(message(outgoing=False, age=HOUR), reply_to=ReplyView("", "m0", "the start"))
    entries = offered(reply, NOW)
    assert entries[:3] == (MenuAction.REPLY, MenuAction.ORIGINAL, MenuAction.REACT)
    assert MenuAction.ORIGINAL not in offered(message(outgoing=False, age=HOUR), NOW)
    assert MenuAction.ORIGINAL.value == "Go to the original"
