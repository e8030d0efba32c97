"""What the message list has loaded, without Tk: pages at both ends, the far end let go, the counts."""

from __future__ import annotations

from gui.views.loaded_block import MOST_DRAWN, LoadedBlock
from net.client.core.events import MessageStatus, MessageView

BOB = "+442079460958"


def page(first: int, count: int) -> list[MessageView]:
    """Entries first .. first+count-1 of a conversation, newest first (as the engine returns pages)."""
    views = [
        MessageView(f"m{i:04d}", BOB, False, f"Message {i}", 1000.0 + i, MessageStatus.READ)
        for i in range(first, first + count)
    ]
    return list(reversed(views))


def test_a_block_knows_where_it_sits_in_the_whole_conversation() -> None:
    block = LoadedBlock()
    block.replace(page(1900, 100), has_older=True, has_newer=False, older=1900, total=2000)
    assert (block.older, block.newer, block.total, block.run) == (1900, 0, 2000, 1)
    assert block.ids()[0] == "m1900" and block.span(5000.0).total == 2000
    block.prepend(block.fresh(page(1800, 101)), has_older=True)  # its newest is loaded already
    assert (block.older, len(block.drawn), block.newer) == (1800, 200, 0)
    block.replace(page(0, 10), has_older=False, has_newer=False)  # the results of a search: all there is
    assert (block.older, block.newer, block.total, block.run) == (0, 0, 10, 2)


def test_past_the_most_drawn_the_far_end_is_let_go_and_counted_as_not_loaded() -> None:
    block = LoadedBlock()
    block.replace(page(1200, 100), has_older=True, has_newer=False, older=1200, total=1300)
    for start in range(1100, 300, -100):
        block.prepend(block.fresh(page(start, 100)), has_older=True)
    assert len(block.drawn) == MOST_DRAWN and block.has_newer and not block.asked_newer
    assert (block.older, block.newer) == (400, 100)
    block.extend(block.fresh(page(1200, 100)), has_newer=False)
    assert len(block.drawn) == MOST_DRAWN and block.ids()[0] == "m0500"
    assert (block.older, block.newer, block.has_older) == (500, 0, True)


def test_a_new_message_below_a_gap_is_counted_not_drawn() -> None:
    block = LoadedBlock()
    block.replace(page(0, 50), has_older=False, has_newer=True, older=0, total=300)
    assert block.arrived(page(300, 1)[0], drawn=False) is None
    assert (block.total, block.newer, len(block.drawn)) == (301, 251, 50)
    block.replace(page(201, 100), has_older=True, has_newer=False, older=201, total=301)
    entry = block.arrived(page(301, 1)[0], drawn=True)
    assert entry is not None and block.ids()[-1] == "m0301" and block.by_id["m0301"] is entry
    assert (block.total, block.newer) == (302, 0)
