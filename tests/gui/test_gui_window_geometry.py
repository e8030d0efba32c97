"""The remembered window geometry, fitted to the screen it opens on, without Tk."""

from __future__ import annotations

from gui.view_models.window_geometry import DEFAULT_SIZE, MINIMUM_SIZE, Geometry, first_size, parse, restored


def test_tk_geometry_strings_are_read_and_anything_else_is_refused() -> None:
    assert parse("1120x740+80+40") == Geometry(1120, 740, 80, 40)
    assert parse("800x600+-8+-30") == Geometry(800, 600, -8, -30)
    assert parse("") is None and parse("big") is None and parse("800x600") is None


def test_a_window_that_fits_opens_where_it_was() -> None:
    assert restored("900x650+120+60", (1366, 768)) == "900x650+120+60"


def test_a_window_off_the_screen_or_larger_than_it_is_brought_back_onto_it() -> None:
    assert restored("900x650+3000+60", (1366, 768)) == "900x650+466+60"  # a monitor that is gone
    assert restored("2000x1500+10+10", (1366, 768)) == "1366x768+0+0"
    assert restored("900x650+-400+-90", (1366, 768)) == "900x650+0+0"


def test_never_smaller_than_the_minimum_and_nothing_saved_means_the_default() -> None:
    assert restored("100x100+5+5", (1366, 768)) == f"{MINIMUM_SIZE[0]}x{MINIMUM_SIZE[1]}+5+5"
    assert restored("", (1366, 768)) is None


def test_a_first_run_opens_at_the_default_size_or_the_screen_when_that_is_smaller() -> None:
    assert first_size((1920, 1080)) == f"{DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}+0+0"
    assert first_size((800, 600)) == "800x600+0+0"
    assert first_size((600, 400)) == f"{MINIMUM_SIZE[0]}x{MINIMUM_SIZE[1]}+0+0"
