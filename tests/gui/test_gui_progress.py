"""Progress from the worker thread to the window: the latest value only, drawn at most 20 times a second."""

from __future__ import annotations

import threading
import time
import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    wait_until,
)

from gui.progress import POLL_MS, ProgressChannel, ProgressWatcher


@pytest.fixture
def root(display: object) -> Iterator[tk.Tk]:
    window = tk.Tk()
    yield window
    window.destroy()


def test_a_channel_keeps_only_the_latest_report_and_says_when_nothing_is_new() -> None:
    channel = ProgressChannel()
    assert channel.take() is None
    for done in range(0, 1001, 10):
        channel.report(done, 1000)
    assert channel.take() == (1000, 1000)
    assert channel.take() is None  # nothing new since
    assert channel.latest == (1000, 1000) and channel.reports == 101
    channel.report(-5, -1)  # nonsense from a caller is clamped, never drawn as a negative bar
    assert channel.take() == (0, 0)


def test_reports_from_another_thread_are_all_seen_as_their_latest_value() -> None:
    channel = ProgressChannel()
    total = 200_000

    def engine() -> None:
        for done in range(1, total + 1):
            channel.report(done, total)

    thread = threading.Thread(target=engine)
    thread.start()
    seen = []
    while thread.is_alive():
        value = channel.take()
        if value is not None:
            seen.append(value[0])
    thread.join(30)
    last = channel.take()
    final = last[0] if last is not None else seen[-1]
    assert final == total and seen == sorted(seen)  # never backwards, never lost at the end
    assert channel.reports == total


def test_a_flood_of_reports_is_drawn_at_most_twenty_times_a_second_and_ends_on_the_last(
    root: tk.Tk,
) -> None:
    channel = ProgressChannel()
    drawn: list[tuple[int, int]] = []
    watcher = ProgressWatcher(root, channel, lambda done, total: drawn.append((done, total)))
    total = 10**9
    stop = threading.Event()
    finished = threading.Event()

    def engine() -> None:  # as fast as it can, for about a second: a fast disk
        done = 0
        while not stop.is_set():
            done = min(total, done + 4096)
            channel.report(done, total)
        channel.report(total, total)
        finished.set()

    watcher.start()
    started = time.monotonic()
    thread = threading.Thread(target=engine)
    thread.start()
    wait_until(root, lambda: time.monotonic() - started > 1.0, "a second of progress")
    stop.set()
    thread.join(30)
    assert finished.is_set()
    elapsed = time.monotonic() - started
    watcher.stop()
    assert not watcher.running
    assert drawn[-1] == (total, total)  # stop() hands over the very last report
    assert channel.reports > 1000  # the engine reported far more often than the window drew
    assert 3 <= watcher.redraws == len(drawn) <= elapsed * 1000 / POLL_MS + 2
    assert [d for d, _ in drawn] == sorted(d for d, _ in drawn)


def test_a_watcher_stops_quietly_when_its_widget_is_gone(root: tk.Tk) -> None:
    frame = tk.Frame(root)
    channel = ProgressChannel()
    drawn: list[int] = []
    watcher = ProgressWatcher(frame, channel, lambda done, _total: drawn.append(done))
    watcher.start()
    channel.report(1, 2)
    wait_until(root, lambda: drawn == [1], "the first value")
    frame.destroy()
    channel.report(2, 2)
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        root.update()
    watcher.stop()
    assert drawn == [1]
