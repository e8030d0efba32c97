"""The emoji picker in a real Tk window: typing filters, arrows, Enter inserts at the cursor, Escape."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterator
from dataclasses import replace

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
    wait_until,
)

from gui.view_models.bidi_text import TextStyle
from gui.view_models.emoji_catalog import catalog
from gui.views.composer import Composer
from gui.views.emoji_picker import COLUMNS, NAME_COLUMNS, EmojiPicker
from gui.views.theme import LIGHT, apply_theme, make_fonts


@pytest.fixture
def composer(display: None) -> Iterator[Composer]:
    root = tk.Tk()
    root.geometry("700x300")
    fonts = make_fonts(root)
    apply_theme(root, LIGHT, fonts)
    widget = Composer(root, fonts)
    widget.pack(side="bottom", fill="x")
    picker = EmojiPicker(root, LIGHT, fonts)
    widget.on_emoji = lambda: picker.open(widget.insert, widget.emoji_button)
    widget.picker = picker  # type: ignore[attr-defined]
    root.update()
    yield widget
    picker.close()
    root.destroy()


def picker_of(composer: Composer) -> EmojiPicker:
    picker = composer.picker  # type: ignore[attr-defined]
    assert isinstance(picker, EmojiPicker)
    return picker


def type_into(widget: tk.Misc, text: str) -> None:
    for char in text:
        press(widget, "<KeyPress-space>" if char == " " else f"<KeyPress-{char}>")


def open_by_button(composer: Composer) -> EmojiPicker:
    composer.emoji_button.invoke()
    picker = picker_of(composer)
    assert picker.window is not None
    wait_until(
        composer, lambda: composer.focus_get() is picker.field, "the picker's field to get the keyboard"
    )
    return picker


def test_typed_letters_filter_the_grid_and_enter_inserts_the_emoji_at_the_cursor(composer: Composer) -> None:
    composer.set("see you")
    composer.text.mark_set("insert", "1.3")
    composer.text.focus_force()
    composer.update()
    picker = open_by_button(composer)
    assert len(picker.shown) == len(catalog())
    type_into(picker.field, "thumbs")
    assert [e.char for e in picker.shown] == ["👍", "👎", "🖒", "🖓"]
    assert picker.selected == 0 and picker.name_line.cget("text") == "thumbs up sign"
    press(picker.field, "<Right>")
    assert picker.selected == 1 and picker.name_line.cget("text") == "thumbs down sign"
    press(picker.field, "<Return>")
    assert composer.value == "see👎 you"
    assert picker.window is None
    wait_until(composer, lambda: composer.focus_get() is composer.text, "the keyboard back in the composer")


def test_escape_closes_with_nothing_inserted_and_the_focus_goes_back(composer: Composer) -> None:
    composer.set("hello")
    composer.text.focus_force()
    composer.update()
    picker = open_by_button(composer)
    type_into(picker.field, "cat")
    press(picker.field, "<Escape>")
    assert picker.window is None and composer.value == "hello"
    wait_until(composer, lambda: composer.focus_get() is composer.text, "the keyboard back in the composer")


def test_a_name_nothing_has_says_so_and_enter_then_does_nothing(composer: Composer) -> None:
    picker = open_by_button(composer)
    type_into(picker.field, "qqq")
    assert picker.shown == [] and picker.name_line.cget("text") == "No emoji has that name."
    press(picker.field, "<Return>")
    assert picker.window is not None and composer.value == ""


def test_the_arrows_move_by_rows_and_a_click_chooses(composer: Composer) -> None:
    picker = open_by_button(composer)
    columns = picker.columns
    press(picker.field, "<Down>")
    assert picker.selected == columns
    press(picker.field, "<Up>")
    press(picker.field, "<Left>")
    assert picker.selected == 0
    x0, y0, x1, y1 = picker.canvas.bbox(f"cell:{columns + 1}")
    picker.canvas.event_generate("<Button-1>", x=int((x0 + x1) / 2), y=int((y0 + y1) / 2))
    composer.update()
    assert picker.window is None and composer.value == catalog()[columns + 1].char


def test_the_recently_chosen_come_first_the_next_time(composer: Composer) -> None:
    picker = open_by_button(composer)
    type_into(picker.field, "crying cat")
    press(picker.field, "<Return>")
    picker = open_by_button(composer)
    type_into(picker.field, "rocket")
    press(picker.field, "<Return>")
    picker = open_by_button(composer)
    assert [e.char for e in picker.shown[:2]] == ["🚀", "😿"]
    press(picker.field, "<Right>")
    press(picker.field, "<Return>")
    assert composer.value == "😿🚀😿"


def test_without_an_emoji_font_the_grid_shows_names_in_two_columns(composer: Composer) -> None:
    fonts = picker_of(composer).fonts
    for style, columns in ((TextStyle(None), NAME_COLUMNS), (TextStyle("Symbola"), COLUMNS)):
        picker = EmojiPicker(composer, LIGHT, replace(fonts, text=style))
        picker.open(composer.insert, composer.emoji_button)
        type_into(picker.field, "thumbs")
        assert picker.columns == columns
        [first] = [picker.canvas.itemcget(i, "text") for i in picker.canvas.find_withtag("cell:0")]
        assert first == ("[thumbs up sign]" if style.emoji_fallback else "👍")
        press(picker.field, "<Down>")  # the next row: the third emoji by name, or none below the first
        assert picker.selected == (2 if style.emoji_fallback else 0)
        picker.close()
