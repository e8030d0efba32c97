"""The words of a message's details: when it was sent, delivered and read, who reacted, its earlier texts.

Sections of lines, headed, for :mod:`gui.views.message_details`; a section with nothing to say is
left out. Times are local, in full; a receipt not come yet says "not yet".
"""

from __future__ import annotations

import time
from collections.abc import Callable

from gui.view_models.group_text import receipt_rows
from net.client.core.events import MessageDetails

_LocalTime = Callable[[float], time.struct_time]


def _stamp(stamp: float | None, localtime: _LocalTime) -> str:
    return "not yet" if stamp is None else time.strftime("%d %b %Y, %H:%M:%S", localtime(stamp))


def details_sections(
    details: MessageDetails, name_of: Callable[[str], str], *, localtime: _LocalTime = time.localtime
) -> list[tuple[str, list[str]]]:
    """(heading, lines) for each part of the details; ``name_of`` names a phone ("" is us: "You")."""
    message = details.message
    times = [f"Sent {_stamp(details.sent_at, localtime)}"]
    if message.outgoing and message.group_id:
        times += receipt_rows(details.members, name_of, localtime=localtime) or ["Nobody has it yet"]
    elif message.outgoing:
        times += [
            f"Delivered {_stamp(details.delivered_at, localtime)}",
            f"Read {_stamp(details.read_at, localtime)}",
        ]
    else:
        times.append(f"Arrived {_stamp(message.timestamp, localtime)}")
    sections = [("Times", times)]
    if details.reactions:
        sections.append(
            (
                "Reactions",
                [f"{'You' if not who else name_of(who)}: {emoji}" for who, emoji in details.reactions],
            )
        )
    if details.versions:
        sections.append(
            (
                "Earlier versions",
                [f"{text}  (replaced {_stamp(when, localtime)})" for text, when in details.versions],
            )
        )
    return sections
