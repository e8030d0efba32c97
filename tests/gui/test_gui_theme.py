"""The zoom steps of the theme, without Tk."""

from __future__ import annotations

from gui.views.theme import ZOOM_LEVELS, zoom_step


def test_zoom_steps_up_and_down_within_the_levels_and_zero_resets() -> None:
    assert zoom_step(1.0, 1) == 1.1 and zoom_step(1.0, -1) == 0.9
    assert zoom_step(ZOOM_LEVELS[-1], 1) == ZOOM_LEVELS[-1]
    assert zoom_step(ZOOM_LEVELS[0], -1) == ZOOM_LEVELS[0]
    assert zoom_step(1.6, 0) == 1.0
    assert zoom_step(1.3, 1) == 1.5  # a remembered value between steps goes to the next one from the nearest
