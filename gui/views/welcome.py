"""The welcome screen: open a profile on this computer, or create one; choose the server.

A profile file that cannot be opened (damaged, or not a profile at all) is
listed too, greyed out and not selectable, and the words below the list say
why; it never hides the healthy profiles beside it.

A new profile gets two names. "Your name" is the display name contacts see; it
is kept inside the encrypted database and never shown before the passphrase.
"Name on this computer" is the label the list above shows before anyone types a
passphrase, so anyone at this computer can read it: it is prefilled with a
neutral suggestion ("Personal", "Profile 2") and the hint under it says so.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import font as tkfont
from tkinter import ttk

from gui.view_models.forms import DEFAULT_SERVER, NewProfileForm, suggested_label
from gui.views.fields import BusyBar, FormField, card, paragraph
from gui.views.theme import Palette

#: Under "Name on this computer": the label is the one thing a profile shows without its passphrase.
LABEL_HINT = "Shown before the passphrase: anyone here can read it."


class WelcomeView(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master)
        self.on_unlock: Callable[[str, str], None] = lambda _pid, _pw: None
        self.on_create: Callable[[NewProfileForm], None] = lambda _form: None
        self.on_start_server: Callable[[], None] = lambda: None
        self.on_restore: Callable[[], None] = lambda: None
        self._profile_ids: list[str] = []
        #: profile id -> why that file cannot be opened (in words); such entries cannot be chosen.
        self._problems: dict[str, str] = {}
        self._in_use: set[str] = set()
        self._chosen: int | None = None
        self.unusable_colour = "#8a8f98"
        # Compact enough for an 800x600 window: the brand and its sentence share a row, and the
        # server sits under the unlock column, which is shorter than the create form.
        box = card(self, padding=16)

        head = ttk.Frame(box, style="Card.TFrame")
        head.grid(row=0, column=0, columnspan=3, sticky="ew", pady=(0, 12))
        brand = ttk.Frame(head, style="Card.TFrame")
        brand.pack(side="left", anchor="w")
        self.logo = tk.Canvas(brand, width=44, height=44, highlightthickness=0, borderwidth=0)
        self.logo.pack(side="left", padx=(0, 12))
        ttk.Label(brand, text="Parley", style="Card.Title.TLabel").pack(side="left")
        paragraph(
            head,
            "Private conversations, end-to-end encrypted. Only you and the person you write to "
            "can read them — not the server, not us.",
            muted=True,
            width=540,
        ).pack(side="left", anchor="w", padx=(20, 0))

        left = ttk.Frame(box, style="Card.TFrame")
        left.grid(row=1, column=0, sticky="nsew")
        ttk.Separator(box, orient="vertical").grid(row=1, column=1, sticky="ns", padx=24)
        right = ttk.Frame(box, style="Card.TFrame")
        right.grid(row=1, column=2, sticky="nsew")

        ttk.Label(left, text="Open your profile", style="Card.Heading.TLabel").pack(anchor="w", pady=(0, 6))
        self.profiles = tk.Listbox(
            left,
            height=4,
            activestyle="none",
            exportselection=False,
            borderwidth=0,
            relief="flat",
            highlightthickness=1,
        )
        self.profiles.pack(fill="x", pady=(0, 8))
        self.problems = ttk.Label(left, text="", style="Card.Muted.TLabel", wraplength=320, justify="left")
        self.no_profiles = ttk.Label(
            left,
            text="No profiles on this computer yet — create one on the right.",
            style="Card.Muted.TLabel",
            wraplength=320,
        )
        self.passphrase = FormField(left, "Passphrase", show="•")
        self.passphrase.pack(fill="x")
        self.unlock_button = ttk.Button(left, text="Unlock", style="Accent.TButton", command=self._unlock)
        self.unlock_button.pack(anchor="w")
        self.restore_button = ttk.Button(
            left, text="Restore from a backup…", command=lambda: self.on_restore()
        )
        self.restore_button.pack(anchor="w", pady=(6, 0))

        ttk.Label(right, text="Create a new profile", style="Card.Heading.TLabel").pack(
            anchor="w", pady=(0, 6)
        )
        self.display_name = FormField(right, "Your name, as your contacts will see it")
        self.display_name.pack(fill="x")
        self.label = FormField(right, "Name on this computer")
        self.label.pack(fill="x")
        #: The label last suggested: a new list replaces it unless the person typed their own.
        self._suggested = suggested_label([])
        self.label.set(self._suggested)
        self.label.hint(LABEL_HINT)
        self.new_passphrase = FormField(right, "Passphrase (10 characters or more)", show="•")
        self.new_passphrase.pack(fill="x")
        self.repeat = FormField(right, "The same passphrase again", show="•")
        self.repeat.pack(fill="x")
        self.create_button = ttk.Button(
            right, text="Create profile", style="Accent.TButton", command=self._create
        )
        self.create_button.pack(anchor="w")

        server = ttk.Frame(left, style="Card.TFrame")
        server.pack(fill="x", pady=(12, 0))
        ttk.Separator(server).pack(fill="x", pady=(0, 10))
        row = ttk.Frame(server, style="Card.TFrame")
        row.pack(fill="x")
        ttk.Label(row, text="Server", style="Card.TLabel").pack(side="left")
        self.server_var = tk.StringVar(self, DEFAULT_SERVER)
        self.server = ttk.Entry(row, textvariable=self.server_var, width=24)
        self.server.pack(side="left", fill="x", expand=True, padx=(10, 0))
        self.local_button = ttk.Button(
            server, text="Start a local server on this computer", command=self.on_start_server_clicked
        )
        self.local_button.pack(anchor="w", pady=(8, 0))
        self.server_note = ttk.Label(
            server, text="", style="Card.Muted.TLabel", wraplength=320, justify="left"
        )
        self.server_note.pack(anchor="w", pady=(4, 0))
        self.error = ttk.Label(box, text="", style="Card.Error.TLabel", wraplength=720, justify="left")
        self.error.grid(row=2, column=0, columnspan=3, sticky="w", pady=(8, 0))
        self.busy = BusyBar(box)
        self.busy.grid(row=3, column=0, columnspan=3, sticky="ew", pady=(4, 0))

        self.passphrase.entry.bind("<Return>", lambda _e: self._unlock())
        self.profiles.bind("<Double-Button-1>", lambda _e: self.passphrase.entry.focus_set())
        self.profiles.bind("<<ListboxSelect>>", lambda _e: self._keep_usable_selection())
        self.new_passphrase.var.trace_add("write", lambda *_: self._strength())
        for field in (self.display_name, self.label, self.new_passphrase):
            field.entry.bind("<Return>", lambda _e: self._next_field())
        self.repeat.entry.bind("<Return>", lambda _e: self._create())

    # ------------------------------------------------------------------ controller-facing

    def show_profiles(self, profiles: Sequence[tuple[str, str]]) -> None:
        """``(profile id, name)`` pairs; one with a ``problem`` (see ProfileEntry) is shown, not choosable."""
        self._profile_ids = [profile_id for profile_id, _ in profiles]
        suggestion = suggested_label(name for _, name in profiles)
        if self.label.value.strip() in ("", self._suggested):
            self.label.set(suggestion)
        self._suggested = suggestion
        problems = {entry[0]: getattr(entry, "problem", "") for entry in profiles}
        self._problems = {profile_id: problem for profile_id, problem in problems.items() if problem}
        self._in_use = {entry[0] for entry in profiles if getattr(entry, "in_use", False)}
        self.profiles.delete(0, "end")
        for index, (profile_id, name) in enumerate(profiles):
            if profile_id in self._problems:
                self.profiles.insert("end", f"  {name or 'A profile file'} — cannot be opened")
                self.profiles.itemconfigure(
                    index, foreground=self.unusable_colour, selectforeground=self.unusable_colour
                )
            elif profile_id in self._in_use:
                self.profiles.insert("end", f"  {name} — open in another window")
            else:
                self.profiles.insert("end", f"  {name}")
        notes = [
            f"{name or 'A profile file'}: {self._problems[pid]}"
            for pid, name in profiles
            if pid in self._problems
        ]
        self.problems.configure(text="\n".join(notes))
        if notes:
            self.problems.pack(after=self.profiles, anchor="w", pady=(0, 8))
        else:
            self.problems.pack_forget()
        usable = [i for i, pid in enumerate(self._profile_ids) if pid not in self._problems]
        # The first profile no other window has open is the one this window most likely wants.
        free = [i for i in usable if self._profile_ids[i] not in self._in_use]
        choices = free or usable
        self._chosen = choices[0] if choices else None
        if profiles:
            self.no_profiles.pack_forget()
        else:
            self.no_profiles.pack(before=self.passphrase, anchor="w", pady=(0, 8))
        if self._chosen is not None:
            self.profiles.selection_set(self._chosen)
            self.passphrase.entry.focus_set()
        else:
            self.display_name.entry.focus_set()

    def set_busy(self, text: str | None) -> None:
        state = "disabled" if text else "normal"
        for button in (self.unlock_button, self.create_button, self.restore_button):
            button.configure(state=state)
        if text:
            self.busy.show(text)
        else:
            self.busy.hide()

    def restyle(self, palette: Palette, font: tkfont.Font) -> None:
        """The profile list and the logo draw their own colours: a new theme or zoom redraws them."""
        p = palette
        self.profiles.configure(
            background=p.field,
            foreground=p.text,
            selectbackground=p.selection,
            selectforeground=p.text,
            font=font,
            highlightbackground=p.border,
            highlightcolor=p.accent,
        )
        self.unusable_colour = p.muted
        self.draw_logo(p.surface, p.accent)

    def draw_logo(self, background: str, accent: str) -> None:
        """Two overlapping speech bubbles: a conversation between two people."""
        c = self.logo
        c.configure(background=background)
        c.delete("all")
        c.create_oval(2, 4, 30, 28, fill=accent, outline="")
        c.create_polygon(8, 24, 6, 34, 16, 26, fill=accent, outline="")
        c.create_oval(16, 14, 42, 36, fill="#8fb3ff", outline="")
        c.create_polygon(36, 32, 40, 42, 30, 34, fill="#8fb3ff", outline="")

    def show_error(self, text: str) -> None:
        self.error.configure(text=text)

    def clear_secrets(self) -> None:
        """A profile is open: the forms are empty (no passphrase, no name), the next list suggests a label."""
        for field in (self.passphrase, self.new_passphrase, self.repeat, self.label, self.display_name):
            field.set("")
            field.error("")
        self.new_passphrase.hint("")
        self.label.hint(LABEL_HINT)
        self.show_error("")

    def show_form_errors(self, errors: dict[str, str]) -> None:
        fields = {
            "display_name": self.display_name,
            "label": self.label,
            "passphrase": self.new_passphrase,
            "repeat": self.repeat,
        }
        for key, field in fields.items():
            field.error(errors.get(key, ""))
        if "label" not in errors:
            self.label.hint(LABEL_HINT)
        if first := next(iter(errors), None):
            fields.get(first, self.display_name).entry.focus_set()

    def selected_profile(self) -> str | None:
        chosen = self.profiles.curselection()
        if not chosen or self._profile_ids[chosen[0]] in self._problems:
            return None
        return self._profile_ids[chosen[0]]

    def in_use(self, profile_id: str) -> bool:
        """Whether the list says this profile is open in another window."""
        return profile_id in self._in_use

    def select_profile(self, profile_id: str) -> None:
        """Choose this profile in the list (a restored one, say) and put the cursor in the passphrase."""
        if profile_id not in self._profile_ids or profile_id in self._problems:
            return
        index = self._profile_ids.index(profile_id)
        self.profiles.selection_clear(0, "end")
        self.profiles.selection_set(index)
        self.profiles.see(index)
        self._chosen = index
        self.passphrase.entry.focus_set()

    def _keep_usable_selection(self) -> None:
        """A damaged entry cannot be chosen: the choice goes back to the profile chosen before."""
        chosen = self.profiles.curselection()
        if chosen and self._profile_ids[chosen[0]] in self._problems:
            self.profiles.selection_clear(0, "end")
            if self._chosen is not None:
                self.profiles.selection_set(self._chosen)
        elif chosen:
            self._chosen = chosen[0]

    def on_start_server_clicked(self) -> None:
        self.on_start_server()

    # ------------------------------------------------------------------ widgets

    def _unlock(self) -> None:
        profile = self.selected_profile()
        if profile is None:
            self.passphrase.error("Choose a profile in the list first.")
            return
        if not self.passphrase.value:
            self.passphrase.error("Enter the passphrase of this profile.")
            return
        self.passphrase.error("")
        self.on_unlock(profile, self.passphrase.value)

    def _form(self) -> NewProfileForm:
        return NewProfileForm(
            display_name=self.display_name.value,
            label=self.label.value,
            passphrase=self.new_passphrase.value,
            repeat=self.repeat.value,
        )

    def _create(self) -> None:
        self.on_create(self._form())

    def _strength(self) -> None:
        form = self._form()
        hint = form.strength_hint()
        self.new_passphrase.hint(hint, good=hint.endswith(("good", "strong")))

    def _next_field(self) -> None:
        following = self.tk_focusNext()
        if following is not None:  # None only when nothing in the window takes focus
            following.focus_set()
