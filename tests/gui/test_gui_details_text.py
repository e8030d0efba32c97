"""The words of a message's details: times, receipts per member, reactions by person, earlier versions."""

from __future__ import annotations

import time

from gui.view_models.details_text import details_sections
from net.client.core.events import MemberReceipt, MessageDetails, MessageStatus, MessageView

BOB, CAROL = "+442079460202", "+442079460303"
T = 1_800_000_000.0
NAMES = {BOB: "Bob", CAROL: "Carol"}.__getitem__


def stamp(at: float) -> str:
    return time.strftime("%d %b %Y, %H:%M:%S", time.gmtime(at))


def test_ours_in_one_to_one_shows_sent_delivered_read_reactions_and_earlier_versions() -> None:
    message = MessageView("m1", BOB, True, "at one", T, MessageStatus.DELIVERED, sent_at=T)
    details = MessageDetails(
        message,
        T,
        delivered_at=T + 5,
        read_at=None,
        reactions=((BOB, "👍"), ("", "❤️")),
        versions=(("at noon", T + 60),),
    )
    sections = details_sections(details, NAMES, localtime=time.gmtime)
    assert sections == [
        ("Times", [f"Sent {stamp(T)}", f"Delivered {stamp(T + 5)}", "Read not yet"]),
        ("Reactions", ["Bob: 👍", "You: ❤️"]),
        ("Earlier versions", [f"at noon  (replaced {stamp(T + 60)})"]),
    ]


def test_ours_in_a_group_has_a_line_per_member_and_theirs_says_when_it_arrived() -> None:
    ours = MessageView("m1", "", True, "hi", T, MessageStatus.DELIVERED, group_id="g1", recipients=2)
    receipts = (MemberReceipt(BOB, T + 1, T + 2), MemberReceipt(CAROL, None, None))
    [(heading, lines)] = details_sections(
        MessageDetails(ours, T, members=receipts), NAMES, localtime=time.gmtime
    )
    assert heading == "Times" and lines[0] == f"Sent {stamp(T)}"
    assert lines[1].startswith("Bob — delivered") and lines[2] == "Carol — delivered not yet, read not yet"
    theirs = MessageView("m2", BOB, False, "hello", T + 9, MessageStatus.RECEIVED, sent_at=T)
    [(_h, lines)] = details_sections(MessageDetails(theirs, T), NAMES, localtime=time.gmtime)
    assert lines == [f"Sent {stamp(T)}", f"Arrived {stamp(T + 9)}"]
