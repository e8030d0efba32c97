"""The picture viewer on a real display: fitted to its window as it is resized, Save as…, Escape closes."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
    wait_until,
)
from PIL import Image

from gui.views.picture_viewer import PictureViewer
from gui.views.theme import LIGHT, apply_theme, make_fonts

_roots: list[tk.Tk] = []


@pytest.fixture
def root(display: None) -> Iterator[tk.Tk]:
    """One Tk for the module, kept to the end of the run, each viewer destroyed after its test.

    Tk 8.6 under a bare Xvfb (no window manager) crashed in a later interpreter's
    ``focus -force`` once an interpreter whose viewer had been resized was destroyed;
    the app has one interpreter for its life, so the tests keep theirs too.
    """
    if not _roots:
        _roots.append(tk.Tk())
        apply_theme(_roots[0], LIGHT, make_fonts(_roots[0]))
    root = _roots[0]
    yield root
    for child in root.winfo_children():
        child.destroy()
    root.update()


def test_the_picture_fits_the_window_with_its_aspect_and_follows_a_resize(root: tk.Tk) -> None:
    viewer = PictureViewer(root, "summit.jpg", Image.new("RGB", (1600, 1000), (10, 90, 30)), LIGHT)
    wait_until(root, lambda: viewer.shown_size != (0, 0), "the picture drawn")
    width, height = viewer.shown_size
    canvas = viewer.canvas
    assert width <= canvas.winfo_width() and height <= canvas.winfo_height()
    assert abs(width / height - 1.6) < 0.01
    assert viewer.title() == "summit.jpg"
    assert canvas.type(canvas.find_withtag("picture")[0]) == "image"
    viewer.geometry("400x500")
    wait_until(root, lambda: viewer.shown_size[0] < width, "the picture fitted to the smaller window")
    smaller = viewer.shown_size
    assert smaller[0] <= 400 and abs(smaller[0] / smaller[1] - 1.6) < 0.02
    viewer.destroy()


def test_a_small_picture_is_never_blown_up(root: tk.Tk) -> None:
    viewer = PictureViewer(root, "icon.png", Image.new("RGB", (120, 80)), LIGHT)
    wait_until(root, lambda: viewer.shown_size != (0, 0), "the picture drawn")
    assert viewer.shown_size == (120, 80)


def test_save_as_and_escape(root: tk.Tk) -> None:
    viewer = PictureViewer(root, "summit.jpg", Image.new("RGB", (300, 200)), LIGHT)
    saved: list[str] = []
    viewer.on_save = lambda: saved.append("button")
    viewer.save_button.invoke()
    wait_until(root, lambda: viewer.winfo_viewable(), "the viewer on screen")
    viewer.update()
    press(viewer.canvas, "<Control-s>")
    assert saved == ["button", "button"]
    press(viewer.canvas, "<Escape>")
    assert not viewer.winfo_exists()
