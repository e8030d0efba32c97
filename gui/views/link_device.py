"""The new computer's "Link to my account" screen: the code and its QR code, the steps, the comparison.

Stages, one at a time in the same card: ``asking`` (the server is asked for a code), ``code``
(the code as selectable text with Copy, the QR code, the steps in plain words), ``compare``
(the comparison number, large, with "The numbers match" / "They don't match"), ``arriving``
(the account comes over) and ``failed`` (why, in words, with Start again). Back, at the
bottom, cancels the link and goes back to registration; so does Escape.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.devices_text import ARRIVING, COMPARE_NEW, NEW_COMPUTER_STEPS, code_lifetime
from gui.views.fields import BusyBar, card, paragraph
from gui.views.qr_canvas import QrCanvas

STAGES = ("asking", "code", "compare", "arriving", "failed")


class LinkDeviceView(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master)
        self.on_back: Callable[[], None] = lambda: None
        self.on_again: Callable[[], None] = lambda: None
        #: The person's answer to the comparison: True for "The numbers match".
        self.on_compared: Callable[[bool], None] = lambda _same: None
        self.stage = "asking"
        box = card(self, padding=28)
        self.title = ttk.Label(box, text="Link this computer to your account", style="Card.Title.TLabel")
        self.title.pack(anchor="w")
        self.server_line = paragraph(box, "", muted=True, width=560)
        self.server_line.pack(anchor="w", pady=(2, 12))
        self.stages: dict[str, ttk.Frame] = {name: ttk.Frame(box, style="Card.TFrame") for name in STAGES}

        asking = self.stages["asking"]
        paragraph(asking, "Asking the server for a link code…", width=560).pack(anchor="w")

        shown = self.stages["code"]
        paragraph(shown, NEW_COMPUTER_STEPS, width=560).pack(anchor="w", pady=(0, 12))
        row = ttk.Frame(shown, style="Card.TFrame")
        row.pack(anchor="w", fill="x")
        self.qr = QrCanvas(row)
        self.qr.pack(side="left")
        side = ttk.Frame(row, style="Card.TFrame")
        side.pack(side="left", padx=(20, 0), anchor="n", fill="x", expand=True)
        ttk.Label(side, text="Link code", style="Card.Muted.TLabel").pack(anchor="w")
        self.code_var = tk.StringVar(self)
        # A read-only entry: the code can be selected and copied like any text, never changed by a slip.
        self.code_text = ttk.Entry(
            side, textvariable=self.code_var, state="readonly", font="ParleyDigits", width=20
        )
        self.code_text.pack(anchor="w", pady=(2, 8))
        self.copy_button = ttk.Button(side, text="Copy the code", command=self._copy)
        self.copy_button.pack(anchor="w")
        self.copied = ttk.Label(side, text="", style="Card.Ok.TLabel")
        self.copied.pack(anchor="w", pady=(4, 0))
        self.lifetime = paragraph(side, code_lifetime(600), muted=True, width=300)
        self.lifetime.pack(anchor="w", pady=(8, 0))

        compare = self.stages["compare"]
        ttk.Label(compare, text="Compare this number with your other computer", style="Card.TLabel").pack(
            anchor="w"
        )
        self.number = ttk.Label(compare, text="", style="Card.Number.TLabel")
        self.number.pack(anchor="w", pady=(8, 8))
        paragraph(compare, COMPARE_NEW, width=560).pack(anchor="w", pady=(0, 12))
        answers = ttk.Frame(compare, style="Card.TFrame")
        answers.pack(anchor="w")
        self.match_button = ttk.Button(
            answers, text="The numbers match", style="Accent.TButton", command=lambda: self.on_compared(True)
        )
        self.match_button.pack(side="left")
        self.mismatch_button = ttk.Button(
            answers, text="They don't match", command=lambda: self.on_compared(False)
        )
        self.mismatch_button.pack(side="left", padx=(10, 0))

        arriving = self.stages["arriving"]
        self.progress = BusyBar(arriving)
        self.progress.pack(fill="x")
        paragraph(
            arriving,
            "Your keys, contacts, groups and settings come over end-to-end encrypted; "
            "this takes a moment, longer with your history.",
            muted=True,
            width=560,
        ).pack(anchor="w", pady=(8, 0))

        failed = self.stages["failed"]
        self.failure = ttk.Label(failed, text="", style="Card.Error.TLabel", wraplength=560, justify="left")
        self.failure.pack(anchor="w", pady=(0, 12))
        self.again_button = ttk.Button(
            failed, text="Start again", style="Accent.TButton", command=lambda: self.on_again()
        )
        self.again_button.pack(anchor="w")

        self.error = ttk.Label(box, text="", style="Card.Error.TLabel", wraplength=560, justify="left")
        self.back_button = ttk.Button(box, text="Back to registration", command=lambda: self.on_back())
        self.back_button.pack(anchor="w", side="bottom", pady=(16, 0))
        self.error.pack(anchor="w", side="bottom", pady=(10, 0))
        self._escape_everywhere(self)
        self.show_stage("asking")

    def _escape_everywhere(self, widget: tk.Misc) -> None:
        """Escape anywhere on the screen means Back (a widget's own bindings come before the screen's)."""
        widget.bind("<Escape>", lambda _e: self.on_back())
        for child in widget.winfo_children():
            self._escape_everywhere(child)

    # ------------------------------------------------------------------ controller-facing

    def reset(self, server: str) -> None:
        self.server_line.configure(text=f"Server: {server}")
        self.code_var.set("")
        self.qr.show("")
        self.copied.configure(text="")
        self.show_error("")
        self.show_stage("asking")

    def show_code(self, code: str, qr: str, expires_in: int = 600) -> None:
        self.code_var.set(code)
        self.lifetime.configure(text=code_lifetime(expires_in))
        self.qr.show(qr)
        self.copied.configure(text="")
        self.show_stage("code")

    def show_comparison(self, number: str) -> None:
        self.number.configure(text=number)
        self.show_stage("compare")

    def show_arriving(self) -> None:
        self.show_stage("arriving")

    def show_failure(self, text: str) -> None:
        self.failure.configure(text=text)
        self.show_stage("failed")

    def show_stage(self, stage: str) -> None:
        self.stage = stage
        for name, frame in self.stages.items():
            if name == stage:
                frame.pack(fill="x", before=self.error)
            else:
                frame.pack_forget()
        if stage == "arriving":
            self.progress.show(ARRIVING)
        else:
            self.progress.hide()
        focus = {
            "code": self.copy_button,
            "compare": self.match_button,
            "failed": self.again_button,
        }.get(stage, self.back_button)
        focus.focus_set()

    def set_busy(self, text: str | None) -> None:
        for button in (self.match_button, self.mismatch_button, self.again_button):
            button.configure(state="disabled" if text else "normal")

    def show_error(self, text: str) -> None:
        self.error.configure(text=text)

    @property
    def code(self) -> str:
        return self.code_var.get()

    # ------------------------------------------------------------------ widgets

    def _copy(self) -> None:
        self.clipboard_clear()
        self.clipboard_append(self.code_var.get())
        self.copied.configure(text="✓ Copied")
