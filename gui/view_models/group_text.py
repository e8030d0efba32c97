"""What a group says on screen, as plain data: its avatar, member count, notes, receipts, sender colours.

Plain functions without Tk, so the rules (whose colour a sender gets, how a change
reads in the timeline, how receipts are counted) are tested without a display.
``name_of`` is always the window's one naming rule (:mod:`gui.view_models.names`),
with "you" for our own number, so a group never names a person otherwise than a
1:1 conversation does.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence

from gui.view_models.names import AVATAR_COLOURS
from net.client.core.events import GroupMemberView, MemberReceipt, MessageView

NameOf = Callable[[str], str]

#: Sender names above incoming bubbles: dark enough on the light theme's white bubble (contrast ≥ 4.5)
#: and light enough on the dark theme's grey one; the same index in both, so a person keeps their hue.
SENDER_COLOURS = {
    "light": ("#b3261e", "#1f5fa8", "#2e7d32", "#a15c00", "#7b3fa0", "#00796b", "#ad1457", "#3f51b5"),
    "dark": ("#ff8a80", "#82b1ff", "#81c784", "#ffb74d", "#ce93d8", "#4dd0c4", "#f48fb1", "#9fa8ff"),
}


def _index(seed: str, count: int) -> int:
    return int(hashlib.sha256(seed.encode("utf-8")).hexdigest()[:8], 16) % count


def sender_colour(phone: str, theme: str) -> str:
    """The colour of a member's name above their bubbles: from their number, one per person."""
    colours = SENDER_COLOURS.get(theme, SENDER_COLOURS["light"])
    return colours[_index(phone, len(colours))]


def group_avatar_colour(group_id: str) -> str:
    """A group's avatar colour, from its id: it stays when the group is renamed."""
    return AVATAR_COLOURS[_index("group " + group_id, len(AVATAR_COLOURS))]


def group_initials(name: str) -> str:
    """Up to two initials of the group's name ("Book club" → "BC"), "#" when it has no letter."""
    words = [w for w in name.split() if any(ch.isalpha() for ch in w)]
    if not words:
        return "#"
    letters = [next(ch for ch in w if ch.isalpha()) for w in words[:1] + words[1:][-1:]]
    return "".join(letters).upper()


def members_line(count: int) -> str:
    return "1 member" if count == 1 else f"{count} members"


def preview(text: str, sender_name: str) -> str:
    """The conversation list's last line of a group: "Bob: see you" (ours: "You: …")."""
    return f"{sender_name}: {text}" if sender_name and text else text


# --------------------------------------------------------------------------- notes in the timeline

#: What an ignored change tried, as words after "tried to" (``who`` is named where it takes one).
_TRIED = {
    "add": "add {who}",
    "remove": "remove {who}",
    "rename": "rename the group",
    "admin": "make {who} an admin",
    "unadmin": "take admin from {who}",
    "leave": "leave",
    "create": "make the group again",
}


def notice_sentence(message: MessageView, name_of: NameOf) -> str:
    """A group's note in the timeline, in a sentence: "Alice added Carol", "Bob left"."""
    by = name_of(message.notice_by) if message.notice_by else ""
    who = name_of(message.notice_who) if message.notice_who else ""
    kind, detail = message.notice, message.notice_detail
    if kind == "group_created":
        return f"{by} made the group “{detail}”" if detail else f"{by} made the group"
    if kind == "member_added":
        return f"{by} added {who}" if by else f"{who} joined"
    if kind == "member_removed":
        return f"{by} removed {who}"
    if kind == "member_left":
        return f"{by or who} left"
    if kind == "group_renamed":
        return f"{by} renamed the group to “{detail}”"
    if kind == "admin_granted":
        return f"{by} made {who} an admin" if by else f"{who} is an admin now"
    if kind == "admin_taken":
        return f"{by} took admin from {who}"
    if kind == "change_ignored":
        tried = _TRIED.get(detail, "change the group").format(who=who or "someone")
        reason = f" ({message.notice_reason})" if message.notice_reason else ""
        return f"{by} tried to {tried}{reason}"
    if kind == "key_changed":
        return f"{who or by}'s safety number changed. Messages to them wait until you confirm it."
    return "Something changed in this group."


def capitalised(sentence: str) -> str:
    """ "you left" at the start of a sentence is "You left"."""
    return sentence[:1].upper() + sentence[1:]


# --------------------------------------------------------------------------- receipts of our messages


def compact_receipts(message: MessageView) -> str:
    """The status line's receipts of our group message: "✓ 3/4", and "· read 1/4" once anyone read it."""
    n = message.recipients
    if not message.outgoing or n <= 0:
        return ""
    line = f"✓ {message.delivered_count}/{n}"
    return f"{line} · read {message.read_count}/{n}" if message.read_count else line


def receipts_sentence(message: MessageView) -> str:
    """The same in words, for the details: "Delivered to 3 of 4 · read by 1 of 4"."""
    n = message.recipients
    return f"Delivered to {message.delivered_count} of {n} · read by {message.read_count} of {n}"


def _at(stamp: float | None, localtime: Callable[[float], time.struct_time]) -> str:
    return "not yet" if stamp is None else time.strftime("%d %b %H:%M", localtime(stamp))


def receipt_rows(
    receipts: Sequence[MemberReceipt],
    name_of: NameOf,
    *,
    localtime: Callable[[float], time.struct_time] = time.localtime,
) -> list[str]:
    """Who got our group message and when: one line per member, those who read it first."""
    ordered = sorted(receipts, key=lambda r: (r.read_at is None, r.delivered_at is None, name_of(r.member)))
    return [
        f"{name_of(r.member)} — delivered {_at(r.delivered_at, localtime)}, read {_at(r.read_at, localtime)}"
        for r in ordered
    ]


# --------------------------------------------------------------------------- the members pane


def member_marks(member: GroupMemberView) -> str:
    """What stands beside a member's name: admin, verified, a changed key."""
    marks = []
    if member.admin:
        marks.append("admin")
    if member.verified:
        marks.append("✓ verified")
    if member.key_changed:
        marks.append("⚠ new safety number")
    return "  ·  ".join(marks)
