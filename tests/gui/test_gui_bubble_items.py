"""Character indexes between Python and Tcl: a character beyond the BMP counts two in Tcl 8.6."""

from __future__ import annotations

import time
import tkinter as tk

from gui.views.bubble_items import python_index, tk_index


def test_indexes_go_there_and_back_across_emoji() -> None:
    text = "a🙂b👍🏽c"
    for index in range(len(text) + 1):
        assert python_index(text, tk_index(text, index)) == index
    wide = 2 if tk.TclVersion < 9 else 1
    assert tk_index(text, 2) == 1 + wide  # after "a🙂"
    assert python_index(text, 10_000) == len(text)


def test_a_long_text_is_mapped_in_linear_time() -> None:
    text = "🙂" * 50_000
    started = time.perf_counter()
    assert python_index(text, tk_index(text, 49_999)) == 49_999
    assert time.perf_counter() - started < 2.0  # once along the text, not once per character
