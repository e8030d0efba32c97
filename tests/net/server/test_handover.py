"""Calls handed to the loop's thread: another thread's call wakes the selector; a failing one is contained."""

from __future__ import annotations

import selectors
import threading

from net.server.handover import Handover


def test_a_call_from_another_thread_wakes_the_selector_and_runs_on_the_next_turn() -> None:
    selector = selectors.DefaultSelector()
    handover = Handover(selector)
    handover.thread_id = threading.get_ident()
    ran: list[int] = []
    thread = threading.Thread(target=handover.call_soon_threadsafe, args=(lambda: ran.append(1),))
    thread.start()
    thread.join(5.0)
    events = selector.select(5.0)
    assert events and handover.waiting and ran == []
    for key, _ in events:
        key.data()  # drains the wake-up
    assert selector.select(0) == []
    handover.run_calls()
    assert ran == [1] and not handover.waiting
    handover.close()
    selector.close()


def test_a_failing_call_is_logged_and_the_others_still_run(caplog) -> None:
    selector = selectors.DefaultSelector()
    handover = Handover(selector)
    ran: list[str] = []
    handover.call_soon_threadsafe(lambda: 1 / 0 and None)
    handover.call_soon_threadsafe(lambda: ran.append("second"))
    handover.run_calls()
    assert ran == ["second"]
    assert "ZeroDivisionError" in caplog.text
    handover.close()
    selector.close()


def test_calls_handed_over_while_the_calls_run_wait_for_the_next_turn() -> None:
    selector = selectors.DefaultSelector()
    handover = Handover(selector)
    handover.thread_id = threading.get_ident()
    ran: list[str] = []
    handover.call_soon_threadsafe(lambda: handover.call_soon_threadsafe(lambda: ran.append("later")))
    handover.run_calls()
    assert ran == [] and handover.waiting
    handover.run_calls()
    assert ran == ["later"]
    handover.close()
    selector.close()
