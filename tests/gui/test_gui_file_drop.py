"""Files dropped onto a conversation: tkdnd loads, a widget takes drops, and its Tcl list becomes paths."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
)

from gui.views.file_drop import dropped_paths, enable_drop, load_tkdnd


@pytest.fixture
def root(display: None) -> Iterator[tk.Tk]:
    root = tk.Tk()
    yield root
    root.destroy()


def test_tkdnds_brace_quoted_lists_become_paths(root: tk.Tk) -> None:
    data = "{/home/alice/My holiday.jpg} /tmp/plain.txt {/tmp/with {braces}.pdf} file:///tmp/a%20b.png"
    assert dropped_paths(root, data) == [
        Path("/home/alice/My holiday.jpg"),
        Path("/tmp/plain.txt"),
        Path("/tmp/with {braces}.pdf"),
        Path("/tmp/a b.png"),
    ]
    assert dropped_paths(root, "/tmp/unbalanced {x") == [Path("/tmp/unbalanced {x")]  # not a list: one name


def test_a_registered_widget_hands_a_drop_to_its_callback(root: tk.Tk) -> None:
    assert load_tkdnd(root), "tkinterdnd2's tkdnd should load on this machine"
    frame = tk.Frame(root, width=200, height=100)
    frame.pack()
    heard: list[list[Path]] = []
    assert enable_drop(root, [frame], heard.append)
    script = str(root.tk.call("bind", str(frame), "<<Drop:DND_Files>>"))
    assert "%D" in script
    # What tkdnd does on a drop: the binding's script with %D replaced by the files' list, as one word.
    answer = root.tk.eval(script.replace("%D", "{{/tmp/a file.txt} /tmp/b.png}"))
    assert heard == [[Path("/tmp/a file.txt"), Path("/tmp/b.png")]]
    assert answer == "copy"


def test_without_tkdnd_nothing_is_registered_and_the_answer_says_so(
    root: tk.Tk, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tkinterdnd2.TkinterDnD as dnd

    def missing(_root: tk.Misc) -> str:
        raise RuntimeError("Unable to load tkdnd library.")

    monkeypatch.setattr(dnd, "_require", missing)
    frame = tk.Frame(root)
    assert not enable_drop(root, [frame], lambda _paths: None)
    assert str(root.tk.call("bind", str(frame), "<<Drop:DND_Files>>")) == ""
