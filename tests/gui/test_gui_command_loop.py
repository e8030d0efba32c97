"""The drain of the worker's events: bounded by count and by time, so the window keeps ticking."""

from __future__ import annotations

import queue
import tkinter as tk

from gui_support import wait_until

from gui import command_loop
from gui.command_loop import CommandLoop
from net.client.core import events as ev


class QueueOnly:
    """The part of the worker the drain reads: its event queue (the engine thread is not needed)."""

    def __init__(self) -> None:
        self.events: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.alive = True

    def start(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_tick_stops_taking_events_once_its_time_is_spent_and_the_rest_come_next(display: object) -> None:
    root = tk.Tk()
    clock, worker = Clock(), QueueOnly()
    ticks: list[int] = []
    handled: list[int] = []

    def handle(event: ev.Event) -> None:
        assert isinstance(event, ev.TypingChanged)
        handled.append(int(event.contact))
        clock.now += 0.010  # each event costs 10 ms of drawing

    loop = CommandLoop(
        root,
        worker,  # type: ignore[arg-type]
        show_busy=lambda _t: None,
        report=lambda _c, _m: None,
        handle=handle,
        after_batch=lambda: ticks.append(len(handled)),
        clock=clock,
    )
    try:
        for i in range(20):
            worker.events.put(ev.TypingChanged(str(i), True))
        loop.start()
        wait_until(root, lambda: len(handled) == 20, "every event handled")
        per_tick = [b - a for a, b in zip([0, *ticks], ticks, strict=False) if b > a]
        budget_events = int(command_loop.TICK_BUDGET / 0.010) + 1
        assert max(per_tick) <= budget_events < command_loop.EVENTS_PER_TICK
        assert handled == list(range(20))  # in order, none lost
    finally:
        loop.stop()
        root.destroy()


def test_a_tick_takes_one_event_even_when_that_one_alone_is_over_the_budget(display: object) -> None:
    root = tk.Tk()
    clock, worker = Clock(), QueueOnly()
    sizes: list[int] = []
    handled: list[str] = []

    def handle(event: ev.Event) -> None:
        assert isinstance(event, ev.TypingChanged)
        handled.append(event.contact)
        clock.now += 1.0

    loop = CommandLoop(
        root,
        worker,  # type: ignore[arg-type]
        show_busy=lambda _t: None,
        report=lambda _c, _m: None,
        handle=handle,
        after_batch=lambda: sizes.append(len(handled)),
        clock=clock,
    )
    try:
        for i in range(3):
            worker.events.put(ev.TypingChanged(str(i), True))
        loop.start()
        wait_until(root, lambda: len(handled) == 3, "every event handled")
        grown = [b - a for a, b in zip([0, *sizes], sizes, strict=False) if b > a]
        assert grown == [1, 1, 1]
    finally:
        loop.stop()
        root.destroy()
