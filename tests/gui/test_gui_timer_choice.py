"""The header's timer choice in a real Tk window: what it says, what a choice hands on, the ⋯ menu's copy."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
)

from gui.views.timer_choice import TimerChoice


@pytest.fixture
def root(display: None) -> Iterator[tk.Tk]:
    root = tk.Tk()
    yield root
    root.destroy()


def labels(menu: tk.Menu) -> list[str]:
    return [str(menu.entrycget(i, "label")) for i in range((menu.index("end") or 0) + 1)]


def invoke(menu: tk.Menu, label: str) -> None:
    menu.invoke(labels(menu).index(label))


def test_the_button_says_the_engines_value_and_a_choice_waits_for_it(root: tk.Tk) -> None:
    choice = TimerChoice(root)
    chosen: list[int] = []
    choice.on_choose = chosen.append
    assert labels(choice.menu) == ["Off", "5 minutes", "1 hour", "1 day", "1 week"]
    assert choice.button.cget("text") == "Off"

    invoke(choice.menu, "1 day")
    assert chosen == [86400]
    assert choice.button.cget("text") == "Off" and choice.seconds == 0  # not set until the engine says so
    choice.set(86400)
    assert choice.button.cget("text") == "1 day"
    invoke(choice.menu, "1 day")  # the timer it has already: nothing to ask
    assert chosen == [86400]


def test_the_same_choices_in_another_menu_hand_on_the_same_way(root: tk.Tk) -> None:
    choice = TimerChoice(root)
    chosen: list[int] = []
    choice.on_choose = chosen.append
    other = tk.Menu(root, tearoff=False)
    choice.fill(other)
    invoke(other, "5 minutes")
    assert chosen == [300]
