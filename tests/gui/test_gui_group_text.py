"""The words and colours of groups on screen, without a display."""

from __future__ import annotations

import time

from gui.view_models import group_text as gt
from gui.view_models.names import AVATAR_COLOURS
from net.client.core.events import GroupMemberView, MemberReceipt, MessageStatus, MessageView

NAMES = {"+442079460101": "Alice", "+442079460102": "Bob", "+442079460103": "Carol", "+442079460100": "you"}
ALICE, BOB, CAROL, ME = NAMES


def _note(kind: str, by: str = "", who: str = "", detail: str = "", reason: str = "") -> MessageView:
    return MessageView(
        "n1", "", False, "", 1.0, MessageStatus.RECEIVED, notice=kind, group_id="g",
        notice_by=by, notice_who=who, notice_detail=detail, notice_reason=reason,
    )  # fmt: skip


def _luminance(colour: str) -> float:
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_every_change_reads_as_a_sentence_naming_the_people() -> None:
    name_of = NAMES.__getitem__
    assert gt.notice_sentence(_note("member_added", ALICE, CAROL), name_of) == "Alice added Carol"
    assert gt.notice_sentence(_note("member_removed", ALICE, BOB), name_of) == "Alice removed Bob"
    assert gt.notice_sentence(_note("member_left", BOB), name_of) == "Bob left"
    assert gt.notice_sentence(_note("group_renamed", ALICE, detail="Hikers"), name_of) == (
        "Alice renamed the group to “Hikers”"
    )
    assert gt.notice_sentence(_note("admin_granted", ALICE, BOB), name_of) == "Alice made Bob an admin"
    assert gt.notice_sentence(_note("admin_taken", ALICE, BOB), name_of) == "Alice took admin from Bob"
    assert gt.notice_sentence(_note("group_created", ALICE, detail="Club"), name_of) == (
        "Alice made the group “Club”"
    )
    ignored = _note("change_ignored", CAROL, BOB, detail="remove", reason="not an admin")
    assert gt.notice_sentence(ignored, name_of) == "Carol tried to remove Bob (not an admin)"
    assert gt.capitalised(gt.notice_sentence(_note("member_left", ME), name_of)) == "You left"
    assert "Bob's safety number changed" in gt.notice_sentence(_note("key_changed", who=BOB), name_of)


def test_sender_colours_are_stable_per_person_and_readable_on_both_themes() -> None:
    assert gt.sender_colour(BOB, "light") == gt.sender_colour(BOB, "light")
    phones = [f"+4420794601{n:02d}" for n in range(40)]
    assert len({gt.sender_colour(p, "light") for p in phones}) >= 6  # people get different colours
    for light in gt.SENDER_COLOURS["light"]:
        assert _contrast(light, "#ffffff") >= 4.5  # the light theme's bubble
    for dark in gt.SENDER_COLOURS["dark"]:
        assert _contrast(dark, "#2a2e34") >= 4.5  # the dark theme's bubble
    index = gt.SENDER_COLOURS["light"].index(gt.sender_colour(CAROL, "light"))
    assert gt.sender_colour(CAROL, "dark") == gt.SENDER_COLOURS["dark"][index]  # the same hue in both


def test_a_group_has_initials_a_colour_from_its_id_and_a_member_count() -> None:
    assert gt.group_initials("Book club") == "BC"
    assert gt.group_initials("hikers of the north") == "HN"
    assert gt.group_initials("2024") == "#"
    assert gt.group_avatar_colour("abc") in AVATAR_COLOURS
    assert gt.group_avatar_colour("abc") == gt.group_avatar_colour("abc")
    assert gt.members_line(1) == "1 member" and gt.members_line(4) == "4 members"
    assert gt.preview("see you", "Bob") == "Bob: see you"


def test_receipts_count_k_of_n_and_list_who_and_when() -> None:
    sent = MessageView(
        "m", "", True, "hi", 1.0, MessageStatus.DELIVERED, group_id="g", recipients=4, delivered_count=3
    )
    assert gt.compact_receipts(sent) == "✓ 3/4"
    read = MessageView(**{**sent.__dict__, "read_count": 1})
    assert gt.compact_receipts(read) == "✓ 3/4 · read 1/4"
    assert gt.receipts_sentence(read) == "Delivered to 3 of 4 · read by 1 of 4"
    assert gt.compact_receipts(MessageView("m", BOB, True, "hi", 1.0, MessageStatus.SENT)) == ""
    rows = gt.receipt_rows(
        [MemberReceipt(CAROL, None, None), MemberReceipt(BOB, 3600.0, 7200.0)],
        NAMES.__getitem__,
        localtime=time.gmtime,
    )
    assert rows == [
        "Bob — delivered 01 Jan 01:00, read 01 Jan 02:00",
        "Carol — delivered not yet, read not yet",
    ]


def test_a_members_marks_say_admin_verified_and_a_new_key() -> None:
    member = GroupMemberView(BOB, "Bob", admin=True, verified=True, safety_number_available=True)
    assert gt.member_marks(member) == "admin  ·  ✓ verified"
    plain = GroupMemberView(CAROL, "", admin=False, verified=False, safety_number_available=False)
    assert gt.member_marks(plain) == ""
