"""The form that makes a group, and adds members to one: a name, a checklist of contacts, typed numbers.

The checklist is a list box whose rows carry a box (☐/☑): Up/Down move, Space or a
click ticks, and the filter above narrows it as one types. Enter in any field
(and in the list) makes the group; Escape cancels. What is wrong is said under
the field it is about, in a sentence. The same pane adds members to a group
(``show(adding=...)``): the name field then stands aside.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.group_form import Choice, filtered
from gui.views.fields import FormField, paragraph
from gui.views.theme import Palette

_BOX, _TICKED = "☐", "☑"


class NewGroupPane(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, style="Surface.TFrame", padding=(18, 10))
        #: Create (or Add) was pressed: the name, the ticked phones, the typed numbers.
        self.on_create: Callable[[str, list[str], str], None] = lambda _n, _m, _t: None
        self.on_cancel: Callable[[], None] = lambda: None
        self.adding = False
        self._choices: list[Choice] = []
        self._shown: list[Choice] = []
        self.ticked: set[str] = set()

        self.title = ttk.Label(self, text="New group", style="Surface.Title.TLabel")
        self.title.pack(anchor="w")
        self.name = FormField(self, "The group's name", area="Surface", width=10)
        self.name.pack(fill="x", pady=(4, 0))
        self.members_label = ttk.Label(
            self, text="Members from your contacts (filter)", style="Surface.TLabel"
        )
        self.members_label.pack(anchor="w")
        self.filter_var = tk.StringVar(self)
        self.filter = ttk.Entry(self, textvariable=self.filter_var, width=10)
        self.filter.pack(fill="x", pady=(2, 4))
        self.filter_var.trace_add("write", lambda *_a: self._draw())
        lists = ttk.Frame(self, style="Surface.TFrame")
        self.checklist = tk.Listbox(lists, height=3, width=1, activestyle="dotbox", exportselection=False)
        bar = ttk.Scrollbar(lists, orient="vertical", command=self.checklist.yview)
        self.checklist.configure(yscrollcommand=bar.set)
        self.checklist.pack(side="left", fill="both", expand=True)
        bar.pack(side="right", fill="y")
        self.checklist.bind("<space>", self._tick_active)
        self.checklist.bind("<ButtonRelease-1>", self._tick_clicked)
        self.typed = FormField(
            self, "Or numbers, with commas between",
            area="Surface", width=10,
        )  # fmt: skip
        self.problem = paragraph(self, "", area="Surface", muted=False, width=420)
        self.problem.configure(style="Surface.Error.TLabel")
        row = ttk.Frame(self, style="Surface.TFrame")
        # Packed from the bottom before the list, so that a short window shortens the list, not the buttons.
        row.pack(side="bottom", anchor="w", pady=(4, 0))
        self.problem.pack(side="bottom", anchor="w", fill="x")
        self.typed.pack(side="bottom", fill="x", pady=(4, 0))
        lists.pack(fill="both", expand=True)
        self.create_button = ttk.Button(
            row, text="Create group", style="Accent.TButton", command=self._create
        )
        self.create_button.pack(side="left")
        self.cancel_button = ttk.Button(row, text="Cancel", command=lambda: self.on_cancel())
        self.cancel_button.pack(side="left", padx=8)
        self.count = ttk.Label(row, text="", style="Surface.Muted.TLabel")
        self.count.pack(side="left")
        for widget in (self.name.entry, self.filter, self.typed.entry, self.checklist, self.create_button):
            widget.bind("<Return>", self._entered)
            widget.bind("<KP_Enter>", self._entered)
        for widget in (self.name.entry, self.filter, self.typed.entry, self.checklist):
            widget.bind("<Escape>", self._escaped)

    # ------------------------------------------------------------------ controller-facing

    def show(self, choices: list[Choice], *, adding: str | None = None) -> None:
        """An empty form over ``choices``; ``adding`` names the group members are added to."""
        self.adding = adding is not None
        self._choices, self.ticked = choices, set()
        self.name.set("")
        self.typed.set("")
        self.filter_var.set("")
        self.error("", "")
        if adding is not None:
            self.title.configure(text=f"Add members to {adding}")
            self.name.pack_forget()
            self.create_button.configure(text="Add")
        else:
            self.title.configure(text="New group")
            self.name.pack(fill="x", pady=(4, 0), before=self.members_label)
            self.create_button.configure(text="Create group")
        self._draw()
        (self.filter if adding is not None else self.name.entry).focus_set()

    def error(self, field: str, text: str) -> None:
        """A problem in words: under the name, or under the members; ("", "") clears both."""
        self.name.error(text if field == "name" else "")
        self.problem.configure(text=text if field != "name" else "")

    def restyle(self, palette: Palette) -> None:
        self.checklist.configure(
            background=palette.field,
            foreground=palette.text,
            selectbackground=palette.selection,
            selectforeground=palette.text,
            highlightbackground=palette.border,
            highlightcolor=palette.accent,
        )

    @property
    def shown_names(self) -> list[str]:
        """The checklist's rows as shown (for tests and tools)."""
        return [str(self.checklist.get(i)) for i in range(self.checklist.size())]

    def tick(self, phone: str) -> None:
        self.ticked ^= {phone}
        self._draw()

    # ------------------------------------------------------------------ the checklist

    def _draw(self) -> None:
        active = self.checklist.index("active") if self.checklist.size() else 0
        self._shown = filtered(self._choices, self.filter_var.get())
        self.checklist.delete(0, "end")
        for choice in self._shown:
            self.checklist.insert("end", f"{_TICKED if choice.phone in self.ticked else _BOX}  {choice.name}")
        if not self._choices:
            self.checklist.insert("end", "No contacts yet: type their numbers below.")
        elif not self._shown:
            self.checklist.insert("end", "No contact matches.")
        self.checklist.activate(min(active, max(0, len(self._shown) - 1)))
        n = len(self.ticked)
        self.count.configure(text=f"{n} contact{'' if n == 1 else 's'} ticked" if n else "")

    def _tick_active(self, _event: tk.Event) -> str:
        index = self.checklist.index("active")
        if 0 <= index < len(self._shown):
            self.tick(self._shown[index].phone)
            self.checklist.activate(index)
            self.checklist.see(index)
        return "break"

    def _tick_clicked(self, event: tk.Event) -> None:
        index = self.checklist.nearest(event.y)
        if 0 <= index < len(self._shown):
            self.tick(self._shown[index].phone)
            self.checklist.activate(index)

    def _entered(self, _event: tk.Event) -> str:
        self._create()
        return "break"

    def _escaped(self, _event: tk.Event) -> str:
        self.on_cancel()
        return "break"

    def _create(self) -> None:
        ticked = [c.phone for c in self._choices if c.phone in self.ticked]
        self.on_create(self.name.value, ticked, self.typed.value)
