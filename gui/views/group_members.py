"""A group's members, as the contact details pane shows a contact: names, numbers, marks, safety numbers.

The members stand in a list (Tab reaches it, Up/Down move); the chosen member's
safety number and verified mark are shown below it, with what an admin may do
to them (Remove, Make admin / Remove admin). Admins also rename the group and
add members; everyone may leave. Escape goes back to the conversation. Every
button is in the Tab order, and the list shortens before a button is cut off.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.group_text import member_marks, members_line
from gui.view_models.names import formatted_number
from gui.view_models.wording import safety_number_rows
from gui.views.fields import default_button
from net.client.core.events import GroupMemberView, GroupView

NameOf = Callable[[str], str]


class GroupMembersPane(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, style="Surface.TFrame", padding=(24, 14))
        self.group: GroupView | None = None
        self.on_back: Callable[[], None] = lambda: None
        self.on_rename: Callable[[str], None] = lambda _name: None
        self.on_add: Callable[[], None] = lambda: None
        self.on_remove: Callable[[str], None] = lambda _phone: None
        self.on_admin: Callable[[str, bool], None] = lambda _phone, _admin: None
        self.on_leave: Callable[[], None] = lambda: None
        #: A member was chosen: their safety number is wanted (show_safety_number).
        self.on_pick: Callable[[str], None] = lambda _phone: None
        self.on_verified: Callable[[str, bool], None] = lambda _phone, _v: None

        top = ttk.Frame(self, style="Surface.TFrame")
        top.pack(fill="x")
        self.back_button = ttk.Button(top, text="← Back", command=lambda: self.on_back())
        self.back_button.pack(side="left")
        self.leave_button = ttk.Button(top, text="Leave the group", command=lambda: self.on_leave())
        self.leave_button.pack(side="right")
        self.name = ttk.Label(self, text="", style="Surface.Title.TLabel")
        self.name.pack(anchor="w", pady=(10, 0))
        self.count = ttk.Label(self, text="", style="Surface.Muted.TLabel")
        self.count.pack(anchor="w")

        self.admin_row = ttk.Frame(self, style="Surface.TFrame")
        self.rename_var = tk.StringVar(self)
        # The name's field takes the room the row has; Add members stands on a line of its own, so the
        # row fits the narrowest pane (640x480 leaves it about 270 pixels).
        renaming = ttk.Frame(self.admin_row, style="Surface.TFrame")
        renaming.pack(fill="x")
        self.rename_button = ttk.Button(
            renaming, text="Rename", command=lambda: self.on_rename(self.rename_var.get())
        )
        self.rename_button.pack(side="right", padx=(6, 0))
        self.rename_entry = ttk.Entry(renaming, textvariable=self.rename_var, width=10)
        self.rename_entry.pack(side="left", fill="x", expand=True)
        default_button(self.rename_button, self.rename_entry)
        self.add_button = ttk.Button(self.admin_row, text="Add members…", command=lambda: self.on_add())
        self.add_button.pack(anchor="w", pady=(6, 0))

        # The chosen member, packed from the bottom first so that a short window shortens the list.
        self.chosen = ttk.Frame(self, style="Surface.TFrame")
        self.chosen.pack(side="bottom", fill="x", pady=(8, 0))
        self.chosen_name = ttk.Label(self.chosen, text="", style="Surface.Heading.TLabel")
        self.chosen_name.pack(anchor="w")
        self.digits = ttk.Label(self.chosen, text="", style="Surface.Digits.TLabel", justify="left")
        self.digits.pack(anchor="w", padx=(8, 0))
        actions = ttk.Frame(self.chosen, style="Surface.TFrame")
        actions.pack(anchor="w", pady=(6, 0))
        self.verified_var = tk.BooleanVar(self, value=False)
        self.verified = ttk.Checkbutton(
            self.chosen, text="Verified", variable=self.verified_var, style="Surface.TCheckbutton",
            command=self._verified,
        )  # fmt: skip
        self.remove_button = ttk.Button(actions, text="Remove", command=self._remove)
        self.admin_button = ttk.Button(actions, text="Make admin", command=self._admin)

        lists = ttk.Frame(self, style="Surface.TFrame")
        lists.pack(fill="both", expand=True, pady=(8, 0))
        self.list = ttk.Treeview(lists, columns=("number", "marks"), show="headings", height=4)
        self.list.heading("number", text="Member")
        self.list.heading("marks", text="")
        self.list.column("number", width=260, stretch=True)
        self.list.column("marks", width=150, stretch=True)
        bar = ttk.Scrollbar(lists, orient="vertical", command=self.list.yview)
        self.list.configure(yscrollcommand=bar.set)
        self.list.pack(side="left", fill="both", expand=True)
        bar.pack(side="right", fill="y")
        self.list.bind("<<TreeviewSelect>>", lambda _e: self._picked())
        for widget in (self, self.list, self.rename_entry):
            widget.bind("<Escape>", self._escaped)
        self._members: dict[str, GroupMemberView] = {}

    # ------------------------------------------------------------------ controller-facing

    def show(self, group: GroupView, name_of: NameOf) -> None:
        """The group's members, the longest-standing first; the choice is kept when it still stands."""
        keep = self.selected
        self.group = group
        self._members = {m.phone: m for m in group.members}
        self.name.configure(text=group.name)
        left = group.standing in ("left", "removed")
        self.count.configure(
            text="You are no longer in this group." if left else members_line(len(group.members))
        )
        if group.admin and not left:
            self.admin_row.pack(fill="x", pady=(8, 0), after=self.count)
        else:
            self.admin_row.pack_forget()
        self.rename_var.set(group.name)
        self.leave_button.state(["disabled"] if left else ["!disabled"])
        self.list.delete(*self.list.get_children())
        for member in group.members:
            who = "You" if member.me else name_of(member.phone)
            number = formatted_number(member.phone)
            label = who if who == number else f"{who}  ({number})"
            self.list.insert("", "end", iid=member.phone, values=(label, member_marks(member)))
        chosen = keep if keep in self._members else (group.members[0].phone if group.members else None)
        if chosen is not None:
            self.list.selection_set(chosen)
            self.list.focus(chosen)
            self._picked()

    def show_safety_number(self, phone: str, digits: str) -> None:
        if phone == self.selected:
            self.digits.configure(text="\n".join(safety_number_rows(digits)) if digits else "")

    @property
    def selected(self) -> str | None:
        chosen = self.list.selection()
        return str(chosen[0]) if chosen else None

    def rows(self) -> list[tuple[str, str]]:
        """The list as shown: each member's name and number, and their marks (for tests and tools)."""
        return [tuple(str(v) for v in self.list.item(i, "values")) for i in self.list.get_children()]  # type: ignore[misc]

    def member_buttons(self) -> list[str]:
        """The buttons shown for the chosen member (for tests and tools)."""
        return [str(b.cget("text")) for b in (self.remove_button, self.admin_button) if b.winfo_manager()]

    # ------------------------------------------------------------------ the chosen member

    def _picked(self) -> None:
        phone, group = self.selected, self.group
        member = self._members.get(phone or "")
        if member is None or group is None:
            return
        self.chosen_name.configure(text="You" if member.me else self.list.item(member.phone, "values")[0])
        self.digits.configure(text="")
        self.verified_var.set(member.verified)
        shows_number = member.safety_number_available and not member.me
        if shows_number:
            self.verified.pack(anchor="w", before=self.remove_button.master)
            self.on_pick(member.phone)
        else:
            self.verified.pack_forget()
            self.digits.configure(text="" if member.me else "No safety number yet: nothing came from them.")
        may = group.admin and not member.me and group.standing == "member"
        for button in (self.remove_button, self.admin_button):
            button.pack_forget()
        if may:
            self.remove_button.pack(side="left")
            self.admin_button.configure(text="Remove admin" if member.admin else "Make admin")
            self.admin_button.pack(side="left", padx=(8, 0))

    def _remove(self) -> None:
        if self.selected:
            self.on_remove(self.selected)

    def _admin(self) -> None:
        member = self._members.get(self.selected or "")
        if member is not None:
            self.on_admin(member.phone, not member.admin)

    def _verified(self) -> None:
        if self.selected:
            self.on_verified(self.selected, self.verified_var.get())

    def _escaped(self, _event: tk.Event) -> str | None:
        if self.focus_get() is self.rename_entry and self.group and self.rename_var.get() != self.group.name:
            self.rename_var.set(self.group.name)
            return "break"
        self.on_back()
        return "break"
