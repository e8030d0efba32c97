"""Settings → Linked devices → "Link a new computer…": type the new computer's code, compare, confirm.

Stages in one window: ``enter`` (the code, typed or pasted; Enter goes on), ``checking``,
``compare`` (the comparison number, large; the tick box "Also bring my messages from the
last 6 months", off by default as in Signal; "The numbers match" / "They don't match"),
``sending``, ``done`` ("Linked") and ``failed`` (why, with Try again). Not modal, as the
other dialogs: the main window keeps working. Escape or closing the window cancels.

At the comparison the focus is on the tick box, not on a button: Enter there does nothing,
so the numbers are compared and a button is chosen on purpose, never by a habit of Enter.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.devices_text import COMPARE_EXISTING, EXISTING_COMPUTER_STEPS, HISTORY_MONTHS
from gui.views.fields import BusyBar, FormField, default_button, paragraph
from gui.views.theme import Palette

STAGES = ("enter", "checking", "compare", "sending", "done", "failed")


class LinkJoinDialog(tk.Toplevel):
    def __init__(self, master: tk.Misc, palette: Palette) -> None:
        super().__init__(master)
        self.title("Link a new computer")
        self.configure(background=palette.surface)
        self.transient(master.winfo_toplevel())
        #: The code as typed: the controller checks it and asks the engine.
        self.on_code: Callable[[str], None] = lambda _text: None
        #: The comparison's answer, and whether the history comes along.
        self.on_compared: Callable[[bool, bool], None] = lambda _same, _history: None
        #: The window goes (Escape, Close, Cancel): a link under way is cancelled.
        self.on_close: Callable[[], None] = lambda: None
        self.stage = "enter"
        body = ttk.Frame(self, style="Surface.TFrame", padding=18)
        body.pack(fill="both", expand=True)
        ttk.Label(body, text="Link a new computer", style="Surface.Heading.TLabel").pack(anchor="w")
        self.stages: dict[str, ttk.Frame] = {name: ttk.Frame(body, style="Surface.TFrame") for name in STAGES}

        enter = self.stages["enter"]
        paragraph(enter, EXISTING_COMPUTER_STEPS, area="Surface", width=440).pack(anchor="w", pady=(6, 8))
        self.code = FormField(enter, "Link code (16 letters and digits)", area="Surface", width=24)
        self.code.entry.configure(font="ParleyDigits")
        self.code.pack(anchor="w", fill="x")
        enter_row = ttk.Frame(enter, style="Surface.TFrame")
        enter_row.pack(anchor="w")
        self.next_button = ttk.Button(enter_row, text="Next", style="Accent.TButton", command=self._next)
        self.next_button.pack(side="left")
        default_button(self.next_button, self.code.entry)
        ttk.Button(enter_row, text="Cancel", command=self.close).pack(side="left", padx=(10, 0))

        self.busy = BusyBar(body, area="Surface")

        compare = self.stages["compare"]
        ttk.Label(compare, text="The new computer should show this number:", style="Surface.TLabel").pack(
            anchor="w", pady=(6, 0)
        )
        self.number = ttk.Label(compare, text="", style="Surface.Number.TLabel")
        self.number.pack(anchor="w", pady=(6, 6))
        paragraph(compare, COMPARE_EXISTING, area="Surface", width=440).pack(anchor="w", pady=(0, 8))
        self.history_var = tk.BooleanVar(self, value=False)
        self.history_box = ttk.Checkbutton(
            compare,
            text=f"Also bring my messages from the last {HISTORY_MONTHS} months",
            variable=self.history_var,
            style="Surface.TCheckbutton",
        )
        self.history_box.pack(anchor="w", pady=(0, 10))
        answers = ttk.Frame(compare, style="Surface.TFrame")
        answers.pack(anchor="w")
        self.match_button = ttk.Button(
            answers, text="The numbers match", style="Accent.TButton", command=lambda: self._answer(True)
        )
        self.match_button.pack(side="left")
        self.mismatch_button = ttk.Button(
            answers, text="They don't match", command=lambda: self._answer(False)
        )
        self.mismatch_button.pack(side="left", padx=(10, 0))

        done = self.stages["done"]
        self.done_text = paragraph(done, "", area="Surface", width=440)
        self.done_text.configure(style="Surface.Ok.TLabel")
        self.done_text.pack(anchor="w", pady=(8, 10))
        self.close_button = ttk.Button(done, text="Close", style="Accent.TButton", command=self.close)
        self.close_button.pack(anchor="w")

        failed = self.stages["failed"]
        self.failure = ttk.Label(
            failed, text="", style="Surface.Error.TLabel", wraplength=440, justify="left"
        )
        self.failure.pack(anchor="w", pady=(8, 10))
        failed_row = ttk.Frame(failed, style="Surface.TFrame")
        failed_row.pack(anchor="w")
        self.again_button = ttk.Button(
            failed_row, text="Try again", style="Accent.TButton", command=self.start_again
        )
        self.again_button.pack(side="left")
        ttk.Button(failed_row, text="Close", command=self.close).pack(side="left", padx=(10, 0))

        self.bind("<Escape>", lambda _e: self.close())
        self.protocol("WM_DELETE_WINDOW", self.close)
        self._closed = False
        self.show_stage("enter")

    # ------------------------------------------------------------------ controller-facing

    def show_stage(self, stage: str) -> None:
        self.stage = stage
        for name, frame in self.stages.items():
            if name == stage:
                frame.pack(anchor="w", fill="x")
            else:
                frame.pack_forget()
        busy = {"checking": "Checking the code…", "sending": "Sending your account to the new computer…"}
        if stage in busy:
            self.busy.pack(anchor="w", fill="x", pady=(10, 0))
            self.busy.show(busy[stage])
        else:
            self.busy.hide()
            self.busy.pack_forget()
        focus = {
            "enter": self.code.entry,
            "compare": self.history_box,
            "done": self.close_button,
            "failed": self.again_button,
        }.get(stage)
        (focus or self).focus_set()

    def code_error(self, text: str) -> None:
        self.code.error(text)
        if text:
            self.show_stage("enter")
            self.code.entry.select_range(0, "end")

    def show_comparison(self, number: str) -> None:
        self.number.configure(text=number)
        self.history_var.set(False)
        self.show_stage("compare")

    def show_done(self, text: str) -> None:
        self.done_text.configure(text=text)
        self.show_stage("done")

    def show_failure(self, text: str) -> None:
        self.failure.configure(text=text)
        self.show_stage("failed")

    def start_again(self) -> None:
        self.code.set("")
        self.code.error("")
        self.show_stage("enter")

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.on_close()
        self.destroy()

    # ------------------------------------------------------------------ widgets

    def _next(self) -> None:
        self.code.error("")
        self.on_code(self.code.value)

    def _answer(self, same: bool) -> None:
        self.on_compared(same, bool(self.history_var.get()))
