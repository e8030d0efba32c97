"""The deadline heap: one live entry per connection, earlier deadlines win, stale entries are skipped."""

from __future__ import annotations

from net.server.timers import Deadlines


class Item:
    def __init__(self) -> None:
        self.wake_at = 0.0
        self.closed = False


def test_items_come_due_in_order_of_their_deadlines() -> None:
    deadlines, a, b = Deadlines(), Item(), Item()
    deadlines.schedule(b, 5.0)
    deadlines.schedule(a, 3.0)
    assert deadlines.next_time() == 3.0
    assert list(deadlines.due(4.0)) == [a]
    assert list(deadlines.due(10.0)) == [b]
    assert deadlines.next_time() is None and a.wake_at == 0.0


def test_a_later_deadline_adds_no_entry_while_an_earlier_look_is_due() -> None:
    deadlines, item = Deadlines(), Item()
    deadlines.schedule(item, 1.0)
    for later in (2.0, 3.0, 4.0):  # an idle timer reset by every read
        deadlines.schedule(item, later)
    assert len(deadlines) == 1
    assert list(deadlines.due(1.0)) == [item]  # the loop then asks the item for its real deadline


def test_an_earlier_deadline_replaces_the_live_entry() -> None:
    deadlines, item = Deadlines(), Item()
    deadlines.schedule(item, 300.0)
    deadlines.schedule(item, 10.0)  # output stopped draining
    assert list(deadlines.due(10.0)) == [item]
    assert list(deadlines.due(400.0)) == []  # the entry at 300 is stale


def test_a_closed_item_never_comes_due() -> None:
    deadlines, item = Deadlines(), Item()
    deadlines.schedule(item, 1.0)
    item.closed = True
    assert list(deadlines.due(2.0)) == [] and len(deadlines) == 0
