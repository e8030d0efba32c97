"""Settings' "Linked devices" section on a real Tk root under Xvfb, without an engine.

The rows say each computer's name, "this computer", last seen and when it was added; every other
computer has Unlink, this one has none; Enter in the name field renames; at five computers
"Link a new computer…" is off with the reason said.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
    type_into,
)

from gui.views import keyboard
from gui.views.devices_settings import DevicesSection
from gui.views.theme import LIGHT, apply_theme, make_fonts
from net.client.core.events import DeviceView

NOW = datetime(2026, 12, 1, 15, 30)
NOW_MS = int(NOW.timestamp() * 1000)
CREATED = int(datetime(2026, 11, 12, 9).timestamp() * 1000)


@pytest.fixture
def root(display: object) -> Iterator[tk.Tk]:
    window = tk.Tk()
    apply_theme(window, LIGHT, make_fonts(window))
    keyboard.install(window)
    yield window
    window.destroy()


def _devices(count: int) -> list[DeviceView]:
    seen = int((NOW - timedelta(hours=3)).timestamp() * 1000)
    mine = DeviceView(1, "Desk at work", CREATED, NOW_MS, True)
    return [mine] + [DeviceView(n, f"Laptop {n}", CREATED, seen, False) for n in range(2, count + 1)]


def _section(root: tk.Tk) -> DevicesSection:
    section = DevicesSection(root)
    section.pack(fill="both", expand=True)
    return section


def test_each_computer_is_a_row_and_only_the_others_can_be_unlinked(root: tk.Tk) -> None:
    section = _section(root)
    unlinked: list[DeviceView] = []
    section.on_unlink = unlinked.append
    section.show(_devices(2), NOW_MS)
    root.update()
    assert section.shown() == [
        "This computer — Desk at work — Active now · Registered 12 Nov 2026",
        "Laptop 2 — Last seen 3 hours ago · Linked 12 Nov 2026",
    ]
    assert list(section.unlink_buttons) == [2]
    assert "2 computers use your account" in str(section.summary.cget("text"))
    assert section.name_field.value == "Desk at work"
    press(section.unlink_buttons[2], "<Return>")
    assert [d.device for d in unlinked] == [2]


def test_enter_in_the_name_field_renames_this_computer(root: tk.Tk) -> None:
    section = _section(root)
    names: list[str] = []
    section.on_rename = names.append
    section.show(_devices(1), NOW_MS)
    type_into(section.name_field.entry, "Home laptop")
    press(section.name_field.entry, "<Return>")
    assert names == ["Home laptop"]
    # A list that arrives while the person types leaves the field alone.
    section.name_field.entry.focus_force()
    type_into(section.name_field.entry, "Home lap")
    section.show(_devices(1), NOW_MS)
    assert section.name_field.value == "Home lap"
    section.renamed()
    assert "Renamed" in str(section.note.cget("text"))


def test_at_five_computers_linking_another_is_off_and_says_why(root: tk.Tk) -> None:
    section = _section(root)
    section.show(_devices(5), NOW_MS)
    assert section.link_button.instate(["disabled"])
    assert "the most it can have" in str(section.full_note.cget("text"))
    section.show_error("The server is busy.")
    root.update()
    assert section.full_note.winfo_y() < section.error.winfo_y()  # the limit first, then what failed
    section.show(_devices(4), NOW_MS)
    assert not section.link_button.instate(["disabled"])
    assert str(section.full_note.cget("text")) == "" and not section.full_note.winfo_manager()


def test_after_an_unlink_the_focus_stays_in_the_list(root: tk.Tk) -> None:
    section = _section(root)
    section.show(_devices(3), NOW_MS)
    section.unlink_buttons[3].focus_force()
    root.update()
    section.show(_devices(2), NOW_MS)
    root.update()
    assert root.focus_get() is section.unlink_buttons[2]
