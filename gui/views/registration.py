"""Registration: phone number and e-mail (checked as they are typed), then the six-digit code.

Beside it, "Link to my account", for a person who already uses Parley on another computer
(:mod:`gui.views.link_device`)."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.forms import RegistrationForm, Stage
from gui.views.fields import BusyBar, FormField, card, paragraph


class RegistrationView(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master)
        self.form = RegistrationForm()
        self.on_send_code: Callable[[RegistrationForm], None] = lambda _f: None
        self.on_finish: Callable[[RegistrationForm], None] = lambda _f: None
        self.on_cancel: Callable[[], None] = lambda: None
        #: "Link to my account": this computer joins an account another computer already has.
        self.on_link: Callable[[], None] = lambda: None
        #: "Start a local server", offered in the error's place when the server could not be reached.
        self.on_start_server: Callable[[], None] = lambda: None
        box = card(self, padding=32)
        ttk.Label(box, text="Register this profile", style="Card.Title.TLabel").pack(anchor="w")
        self.server_line = paragraph(box, "", muted=True, width=460)
        self.server_line.pack(anchor="w", pady=(4, 16))

        self.details = ttk.Frame(box, style="Card.TFrame")
        paragraph(
            self.details,
            "Your phone number is how people find you. Your e-mail address receives "
            "the code if a text message cannot.",
            width=460,
        ).pack(anchor="w", pady=(0, 12))
        self.phone = FormField(self.details, "Phone number, with + and country code (e.g. +44 20 7946 0958)")
        self.phone.pack(fill="x")
        self.email = FormField(self.details, "E-mail address")
        self.email.pack(fill="x")
        self.send_button = ttk.Button(
            self.details, text="Send me a code", style="Accent.TButton", command=self._send
        )
        self.send_button.pack(anchor="w")
        link_row = ttk.Frame(self.details, style="Card.TFrame")
        link_row.pack(anchor="w", fill="x", pady=(14, 0))
        paragraph(link_row, "Already use Parley on another computer?", muted=True, width=460).pack(
            side="left"
        )
        self.link_button = ttk.Button(link_row, text="Link to my account", command=lambda: self.on_link())
        self.link_button.pack(side="left", padx=(10, 0))

        self.code_stage = ttk.Frame(box, style="Card.TFrame")
        self.code_note = paragraph(self.code_stage, "", width=460)
        self.code_note.pack(anchor="w", pady=(0, 12))
        self.code = FormField(self.code_stage, "6-digit code", width=12)
        self.code.entry.configure(font="ParleyDigits")
        self.code.pack(anchor="w")
        self.lock = FormField(self.code_stage, "Registration lock passphrase", show="•")
        row = ttk.Frame(self.code_stage, style="Card.TFrame")
        self.finish_row = row
        row.pack(anchor="w")
        self.finish_button = ttk.Button(row, text="Register", style="Accent.TButton", command=self._finish)
        self.finish_button.pack(side="left")
        self.other_number_button = ttk.Button(row, text="Use another number", command=self._back)
        self.other_number_button.pack(side="left", padx=(10, 0))

        # Read as the eye reads the card, which is also the Tab order (the order the widgets are made in):
        # the fields, the default action, the error and the action it offers, the busy bar, Back last.
        # Packed from the bottom up, so Back is packed first.
        self.error = ttk.Label(box, text="", style="Card.Error.TLabel", wraplength=460, justify="left")
        self.local_button = ttk.Button(
            box, text="Start a local server on this computer", command=lambda: self.on_start_server()
        )
        self.busy = BusyBar(box)
        self.cancel_link = ttk.Button(box, text="Back to profiles", command=lambda: self.on_cancel())
        self.cancel_link.pack(anchor="w", side="bottom", pady=(16, 0))
        self.busy.pack(fill="x", side="bottom")
        self.error.pack(anchor="w", pady=(10, 0), side="bottom")

        for name, field in (("phone", self.phone), ("email", self.email), ("code", self.code)):
            self._check_on_leaving(field, name)
        self.phone.entry.bind("<Return>", lambda _e: self.email.entry.focus_set())
        self.email.entry.bind("<Return>", lambda _e: self._send())
        self.code.entry.bind("<Return>", lambda _e: self._finish())
        self.lock.entry.bind("<Return>", lambda _e: self._finish())
        self.show_stage()

    # ------------------------------------------------------------------ controller-facing

    def reset(self, server: str, phone: str = "", email: str = "") -> None:
        self.form = RegistrationForm(phone=phone, email=email)
        self.server_line.configure(text=f"Server: {server}")
        self.phone.set(phone)
        self.email.set(email)
        self.code.set("")
        self.show_error("")
        self.show_stage()

    def show_stage(self) -> None:
        form = self.form
        if form.stage == Stage.DETAILS:
            self.code_stage.pack_forget()
            self.details.pack(fill="x")
            self.phone.entry.focus_set()
        else:
            self.details.pack_forget()
            self.code_stage.pack(fill="x")
            self.code.set(form.code)
            self.code_note.configure(text=form.code_note())
            self.code.entry.focus_set()
            if form.needs_lock:
                self.lock.pack(fill="x", before=self.finish_row)
            else:
                self.lock.pack_forget()
        fields = (("phone", self.phone), ("email", self.email), ("code", self.code), ("lock", self.lock))
        for name, field in fields:
            field.error(form.server_errors.get(name, ""))
        self.error.configure(text=form.server_errors.get("form", ""))

    def set_busy(self, text: str | None) -> None:
        state = "disabled" if text else "normal"
        for button in (self.send_button, self.finish_button, self.local_button, self.link_button):
            button.configure(state=state)
        if text:
            self.busy.show(text)
        else:
            self.busy.hide()

    def show_error(self, text: str) -> None:
        self.error.configure(text=text)
        self.local_button.pack_forget()

    def offer_local_server(self, text: str) -> None:
        """The server could not be reached: say so, with the button that starts a local one beside it."""
        self.show_error(text)
        # Packed before the error from the bottom up: drawn below it, above the busy bar and Back.
        self.local_button.pack(anchor="w", side="bottom", pady=(8, 0), before=self.error)

    # ------------------------------------------------------------------ widgets

    def _sync(self) -> None:
        self.form.phone, self.form.email, self.form.code = self.phone.value, self.email.value, self.code.value
        self.form.lock = self.lock.value

    def _check_on_leaving(self, field: FormField, name: str) -> None:
        field.entry.bind("<FocusOut>", lambda _e: self._check(name))

    def _check(self, name: str) -> None:
        self._sync()
        getattr(self, name).error(self.form.field_error(name))

    def _send(self) -> None:
        self._sync()
        self.show_error("")
        self.on_send_code(self.form)

    def _finish(self) -> None:
        self._sync()
        self.show_error("")
        self.on_finish(self.form)

    def _back(self) -> None:
        self.form.back()
        self.show_stage()
