"""Reading the clipboard's picture off the Tk thread: the window goes on meanwhile, a slow read gives up."""

from __future__ import annotations

import threading
import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    wait_until,
)
from PIL import Image

from gui.views import clipboard_picture
from gui.views.clipboard_picture import Grabbed, grab, read_later


@pytest.fixture
def root(display: None) -> Iterator[tk.Tk]:
    root = tk.Tk()
    yield root
    root.destroy()


def test_the_result_arrives_on_the_tk_thread_while_the_window_keeps_running(root: tk.Tk) -> None:
    release = threading.Event()
    picture = Image.new("RGB", (4, 4))
    heard: list[tuple[Grabbed, bool]] = []
    ticks: list[int] = []

    def slow() -> Grabbed:
        release.wait(10)
        return picture

    read_later(
        root,
        lambda found: heard.append((found, threading.current_thread() is threading.main_thread())),
        reader=slow,
    )
    root.after(10, lambda: ticks.append(1))
    wait_until(root, lambda: ticks, "the window's own timer while the clipboard is read")
    assert heard == []
    release.set()
    wait_until(root, lambda: heard, "the clipboard's picture")
    assert heard == [(picture, True)]


def test_a_read_that_hangs_gives_up_as_no_picture(root: tk.Tk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clipboard_picture, "GRAB_SECONDS", 0.2)
    never = threading.Event()
    heard: list[Grabbed] = []
    read_later(root, heard.append, reader=lambda: never.wait(30) and None)
    wait_until(root, lambda: heard, "the timeout", timeout=10)
    assert heard == [None]
    never.set()


def test_without_xclip_or_wl_paste_there_is_no_picture_and_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert grab() is None
