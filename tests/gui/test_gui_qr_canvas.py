"""The QR code drawn in a real Tk window: read back from its squares it is segno's symbol, quiet zone kept."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterator

import pytest
import segno
from gui_support import forget_tk  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread

from gui.view_models.qr_code import QUIET_ZONE
from gui.views.qr_canvas import QrCanvas


@pytest.fixture
def root(display: object) -> Iterator[tk.Tk]:
    window = tk.Tk()
    yield window
    window.destroy()


def test_the_drawn_squares_read_back_as_segnos_matrix_for_the_text(root: tk.Tk) -> None:
    canvas = QrCanvas(root, side=232)
    canvas.pack()
    text = "parley-link:MFRGGZDFMZTWQ2LK"
    canvas.show(text)
    root.update()
    expected = tuple(tuple(bool(c) for c in row) for row in segno.make(text, error="m", micro=False).matrix)
    assert canvas.drawn_modules() == expected
    count = len(expected)
    size = canvas.module_pixels
    assert size >= 4  # a phone's camera reads whole-pixel squares of this size across a desk
    # The quiet zone: no dark square within four modules of the canvas's edge.
    margin = QUIET_ZONE * size
    for item in canvas.find_withtag("module"):
        x0, y0, x1, y1 = canvas.coords(item)
        assert x0 >= margin and y0 >= margin and x1 <= 232 - margin and y1 <= 232 - margin
        assert x1 - x0 == size and y1 - y0 == size
    assert sum(map(sum, expected)) == len(canvas.find_withtag("module"))
    assert count * size <= 232


def test_a_new_code_replaces_the_drawing_and_none_clears_it(root: tk.Tk) -> None:
    canvas = QrCanvas(root)
    canvas.show("parley-link:AAAAAAAAAAAAAAAA")
    first = canvas.drawn_modules()
    canvas.show("parley-link:BBBBBBBBBBBBBBBB")
    assert canvas.drawn_modules() != first
    assert canvas.text == "parley-link:BBBBBBBBBBBBBBBB"
    canvas.show("")
    assert canvas.find_withtag("module") == () and canvas.drawn_modules() == ()
