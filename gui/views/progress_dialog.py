"""A small modal dialog for one long action: a form, then a progress bar, then a result line.

Its life has three states. *Form*: the fields are open, Enter presses the
default button and Escape (or the window's close box) cancels. *Running*: the
fields and buttons are disabled and the bar fills with bytes done of the total;
the engine's backup, restore and export cannot be stopped half-way, so there is
no Cancel then, and the dialog cannot be closed until the action ends.
*Finished*: the bar is full, the result line says what happened, and the
default button closes the dialog. A failure goes back to the form with the
reason in words, so nothing typed is lost.

The dialog keeps to 560 pixels wide and well under 600 high, so it fits an
800×600 screen; it is centred on the window it belongs to.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.backup_model import ProgressUnit, percent, progress_words
from gui.views.fields import FormField, paragraph

WIDTH = 520


class CompactField(FormField):
    """A form field whose error line takes room only while it says something, so the dialog stays small."""

    def __init__(self, master: tk.Misc, label: str, *, show: str = "", width: int = 44) -> None:
        super().__init__(master, label, show=show, width=width)
        self.entry.pack_configure(pady=(3, 8))
        self.note.pack_forget()

    def error(self, text: str) -> None:
        super().error(text)
        self._note_shown(bool(text))

    def hint(self, text: str, *, good: bool = False) -> None:
        super().hint(text, good=good)
        self._note_shown(bool(text))

    def _note_shown(self, shown: bool) -> None:
        if shown:
            self.entry.pack_configure(pady=(3, 0))
            self.note.pack(anchor="w", pady=(2, 6))
        else:
            self.note.pack_forget()
            self.entry.pack_configure(pady=(3, 8))


class ProgressDialog(tk.Toplevel):
    def __init__(self, master: tk.Misc, title: str, *, action: str, background: str) -> None:
        super().__init__(master, background=background)
        self.title(title)
        self.resizable(False, False)
        self.transient(master.winfo_toplevel())
        self.on_submit: Callable[[], None] = lambda: None
        self.on_closed: Callable[[], None] = lambda: None
        self.state_name = "form"
        #: What the engine counts in its progress reports for this action.
        self.unit: ProgressUnit = "bytes"
        self._inputs: list[tk.Widget] = []

        outer = ttk.Frame(self, style="Card.TFrame", padding=20)
        outer.pack(fill="both", expand=True)
        ttk.Label(outer, text=title, style="Card.Heading.TLabel").pack(anchor="w", pady=(0, 10))
        #: Subclasses put their fields here.
        self.body = ttk.Frame(outer, style="Card.TFrame")
        self.body.pack(fill="x")

        self.progress_row = ttk.Frame(outer, style="Card.TFrame")
        self.bar = ttk.Progressbar(self.progress_row, mode="determinate", maximum=100.0, length=WIDTH)
        self.bar.pack(fill="x")
        self.progress_text = ttk.Label(self.progress_row, text="", style="Card.Muted.TLabel")
        self.progress_text.pack(anchor="w", pady=(4, 0))
        self.result = ttk.Label(outer, text="", style="Card.Ok.TLabel", wraplength=WIDTH, justify="left")
        self.error = ttk.Label(outer, text="", style="Card.Error.TLabel", wraplength=WIDTH, justify="left")
        self.error.pack(anchor="w", pady=(6, 0))

        self.buttons = ttk.Frame(outer, style="Card.TFrame")
        self.buttons.pack(fill="x", pady=(14, 0))
        self.cancel_button = ttk.Button(self.buttons, text="Cancel", command=self.cancel)
        self.cancel_button.pack(side="right")
        self.default_button = ttk.Button(
            self.buttons, text=action, style="Accent.TButton", command=self._default
        )
        self.default_button.pack(side="right", padx=(0, 8))

        self.bind("<Return>", lambda _e: self._default())
        self.bind("<KP_Enter>", lambda _e: self._default())
        self.bind("<Escape>", lambda _e: self.cancel())
        self.protocol("WM_DELETE_WINDOW", self.cancel)

    # ------------------------------------------------------------------ building blocks for subclasses

    def field(
        self, label: str, *, show: str = "", parent: tk.Misc | None = None, width: int = 44
    ) -> FormField:
        field = CompactField(parent or self.body, label, show=show, width=width)
        field.note.configure(wraplength=WIDTH if width >= 44 else WIDTH // 2 - 8)
        self._inputs.append(field.entry)
        return field

    def note(self, text: str) -> ttk.Label:
        label = paragraph(self.body, text, muted=True, width=WIDTH)
        label.pack(anchor="w", pady=(0, 8))
        return label

    def add_input(self, widget: tk.Widget) -> None:
        """A widget the dialog disables while it runs (fields, choice buttons)."""
        self._inputs.append(widget)

    def show_centred(self) -> None:
        """Place the dialog over its window, take the keyboard, and put the cursor in ``first``."""
        self.update_idletasks()
        parent = self.master.winfo_toplevel()
        x = parent.winfo_rootx() + max(0, (parent.winfo_width() - self.winfo_reqwidth()) // 2)
        y = parent.winfo_rooty() + max(0, (parent.winfo_height() - self.winfo_reqheight()) // 3)
        self.geometry(f"+{x}+{y}")
        self.after_idle(self._take_keyboard)

    def _take_keyboard(self) -> None:
        if not self.winfo_exists():
            return
        with contextlib.suppress(tk.TclError):  # not viewable yet (no window manager): it works unmodal
            self.grab_set()  # modal: the window behind waits until this dialog closes
        first = next((w for w in self._inputs if str(w.cget("state")) != "disabled"), self.default_button)
        first.focus_force()

    # ------------------------------------------------------------------ the three states

    def running(self, text: str) -> None:
        self.state_name = "running"
        self.error.configure(text="")
        for widget in (*self._inputs, self.default_button, self.cancel_button):
            widget.configure(state="disabled")  # type: ignore[call-arg]
        self.bar.configure(value=0.0)
        self.progress_text.configure(text=text)
        self.progress_row.pack(fill="x", pady=(10, 0), before=self.error)
        self.focus_set()

    def show_progress(self, done: int, total: int) -> None:
        if self.state_name != "running":
            return
        self.bar.configure(value=percent(done, total))
        self.progress_text.configure(text=progress_words(done, total, self.unit))

    def finished(self, text: str) -> None:
        self.state_name = "finished"
        self.error.configure(text="")
        self.bar.configure(value=100.0)
        self.result.configure(text=text)
        self.result.pack(anchor="w", pady=(8, 0), before=self.error)
        self.default_button.configure(state="normal", text="Close")
        self.cancel_button.pack_forget()
        self.default_button.focus_set()

    def failed(self, text: str) -> None:
        """Back to the form with the reason in words; what was typed stays."""
        self.state_name = "form"
        self.progress_row.pack_forget()
        for widget in (*self._inputs, self.default_button, self.cancel_button):
            widget.configure(state="normal")  # type: ignore[call-arg]
        self.error.configure(text=text)

    def show_errors(self, errors: dict[str, str], fields: dict[str, FormField]) -> None:
        for key, field in fields.items():
            field.error(errors.get(key, ""))
        first = next((key for key in fields if key in errors), None)
        if first is not None:
            fields[first].entry.focus_set()
            fields[first].entry.select_range(0, "end")

    # ------------------------------------------------------------------ buttons and keys

    def _default(self) -> None:
        if self.state_name == "form":
            self.on_submit()
        elif self.state_name == "finished":
            self.close()

    def cancel(self) -> None:
        if self.state_name != "running":  # a running action cannot be stopped: see the module's note
            self.close()

    def close(self) -> None:
        if not self.winfo_exists():
            return
        with contextlib.suppress(tk.TclError):
            self.grab_release()
        self.destroy()
        self.on_closed()
