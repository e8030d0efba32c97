"""The conversation header's "Disappearing messages" choice: a button saying the timer now, and its menu.

The button (a small clock and "Off" or "1 hour"; in the Tab order, Space opens its menu) offers
the five choices as radio entries; the same entries are in the header's ⋯ menu under
"Disappearing messages" (:meth:`TimerChoice.fill`).
A choice goes to ``on_choose`` (the timer controller asks the engine); what the header shows is
what :meth:`TimerChoice.set` was last told, the engine's value, so a refused choice shows no change.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.timer_text import CHOICES, choice_words
from gui.views.clock_icon import clock_face

#: The menu entry (in the ⋯ menu) and the button's menu title.
TITLE = "Disappearing messages"


class TimerChoice:
    def __init__(self, header: tk.Misc) -> None:
        self.on_choose: Callable[[int], None] = lambda _seconds: None
        #: The timer shown changed (the header's ⋯ menu words its entry with it).
        self.on_shown: Callable[[int], None] = lambda _seconds: None
        self.seconds = 0
        self._shown = tk.IntVar(header, value=0)
        self._clock = clock_face(header, "black")
        self.button = ttk.Menubutton(header, text=choice_words(0), image=self._clock, compound="left")
        self.menu = tk.Menu(self.button, tearoff=False, title=TITLE)
        self.fill(self.menu)
        self.button.configure(menu=self.menu)

    def fill(self, menu: tk.Menu) -> None:
        """The five choices as radio entries of ``menu`` (the button's, or a cascade of the ⋯ menu)."""
        for seconds in CHOICES:
            menu.add_radiobutton(
                label=choice_words(seconds),
                value=seconds,
                variable=self._shown,
                command=self._choice(seconds),
            )

    def set(self, seconds: int) -> None:
        """The conversation's timer now, as the engine says it."""
        self.seconds = seconds
        self._shown.set(seconds)
        self.button.configure(text=choice_words(seconds))
        self.on_shown(seconds)

    def set_ink(self, colour: str) -> None:
        """The clock in the theme's text colour."""
        self._clock = clock_face(self.button, colour)
        self.button.configure(image=self._clock)

    def _choice(self, seconds: int) -> Callable[[], None]:
        def chosen() -> None:
            self._shown.set(self.seconds)  # until the engine says it is set
            if seconds != self.seconds:
                self.on_choose(seconds)

        return chosen
