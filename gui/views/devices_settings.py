"""The Settings section "Linked devices": the account's computers, Unlink, Rename, Link a new computer.

Each computer is a row: its name, when it was last seen and when it was added; before it,
"This computer" for this one and, for every other computer, an Unlink button (the controller asks
first, in :class:`gui.views.confirm_dialog.ConfirmDialog`). Below: this computer's name with
"Rename this computer" (Enter in the field presses it), and "Link a new computer…", which
opens :class:`gui.views.link_join_dialog.LinkJoinDialog`. Every button is in the Tab order.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.devices_text import MAX_DEVICES, device_detail, device_title, devices_summary
from gui.views.fields import FormField, default_button, paragraph
from gui.views.flow import FlowRow
from net.client.core.events import DeviceView


class DevicesSection(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, style="Surface.TFrame")
        #: The person pressed Unlink on this device's row (the controller asks before it unlinks).
        self.on_unlink: Callable[[DeviceView], None] = lambda _device: None
        #: "Rename this computer" with what the field holds.
        self.on_rename: Callable[[str], None] = lambda _name: None
        self.on_link_new: Callable[[], None] = lambda: None
        ttk.Label(self, text="Linked devices", style="Surface.Heading.TLabel").pack(anchor="w")
        self.summary = paragraph(self, devices_summary(1), area="Surface", muted=True, width=640)
        self.summary.pack(anchor="w", pady=(2, 4))
        self.rows = ttk.Frame(self, style="Surface.TFrame")
        self.rows.pack(anchor="w", fill="x")
        #: device id -> its Unlink button (this computer has none), in the order shown
        self.unlink_buttons: dict[int, ttk.Button] = {}
        self.devices: list[DeviceView] = []

        self.name_field = FormField(self, "This computer's name", area="Surface", width=34)
        self.name_field.pack(anchor="w", pady=(8, 0))
        actions = FlowRow(self, style="Surface.TFrame")  # wraps beside the sidebar of a small window
        actions.pack(anchor="w", fill="x")
        self.rename_button = ttk.Button(actions, text="Rename this computer", command=self._rename)
        default_button(self.rename_button, self.name_field.entry)
        self.link_button = ttk.Button(
            actions, text="Link a new computer…", command=lambda: self.on_link_new()
        )
        self.note = ttk.Label(actions, text="", style="Surface.Ok.TLabel")
        actions.flow()
        # Both lines take room only while they say something (the section is one of many in Settings).
        self.full_note = ttk.Label(self, text="", style="Surface.Muted.TLabel", wraplength=640)
        self.error = ttk.Label(self, text="", style="Surface.Error.TLabel", wraplength=640, justify="left")

    def show(self, devices: list[DeviceView], now_ms: int) -> None:
        """The list as the engine has it now (the focus stays in the list after an unlink)."""
        had_focus = self.focus_get() in self.unlink_buttons.values()
        self.devices = list(devices)
        self.summary.configure(text=devices_summary(len(devices)))
        for child in self.rows.winfo_children():
            child.destroy()
        self.unlink_buttons = {}
        for index, device in enumerate(devices):
            # A grid: each Unlink before its computer's lines (as Unblock in Blocked numbers), aligned.
            words = ttk.Frame(self.rows, style="Surface.TFrame")
            words.grid(row=index, column=1, sticky="w", pady=3)
            ttk.Label(words, text=device_title(device), style="Surface.TLabel", font="ParleyBold").pack(
                anchor="w"
            )
            detail = device_detail(device, now_ms)
            ttk.Label(words, text=detail, style="Surface.Muted.TLabel").pack(anchor="w")
            if device.current:
                # Where the others have Unlink: this computer is not unlinked from here.
                here = ttk.Label(self.rows, text="This computer", style="Surface.Ok.TLabel")
                here.grid(row=index, column=0, sticky="w", padx=(0, 12))
                if self.focus_get() is not self.name_field.entry:  # never under the person's typing
                    self.name_field.set(device.name)
                continue
            button = ttk.Button(self.rows, text="Unlink", command=self._unlinker(device))
            button.grid(row=index, column=0, sticky="w", padx=(0, 12))
            self.unlink_buttons[device.device] = button
        full = len(devices) >= MAX_DEVICES
        self.link_button.configure(state="disabled" if full else "normal")
        self._say(
            self.full_note,
            f"Your account has {MAX_DEVICES} computers, the most it can have: unlink one to link another."
            if full
            else "",
        )
        if had_focus:
            (next(iter(self.unlink_buttons.values()), self.link_button)).focus_set()

    def shown(self) -> list[str]:
        """Each row's lines, joined by " — " (for tests and tools)."""
        lines = []
        for words in self.rows.winfo_children():
            if isinstance(words, ttk.Frame):
                row = int(words.grid_info()["row"])
                mark = [
                    str(w.cget("text"))
                    for w in self.rows.grid_slaves(row=row, column=0)
                    if isinstance(w, ttk.Label)
                ]
                texts = mark + [str(label.cget("text")) for label in words.winfo_children()]
                lines.append(" — ".join(texts))
        return lines

    def renamed(self) -> None:
        self.name_field.error("")
        self.note.configure(text="✓ Renamed")

    def show_error(self, text: str) -> None:
        self._say(self.error, text)

    def _say(self, label: ttk.Label, text: str) -> None:
        label.configure(text=text)
        if not text:
            label.pack_forget()
        elif label is self.full_note and self.error.winfo_manager():
            label.pack(anchor="w", pady=(4, 0), before=self.error)  # the note on the limit above the error
        elif not label.winfo_manager():
            label.pack(anchor="w", pady=(4, 0))

    def _unlinker(self, device: DeviceView) -> Callable[[], None]:
        return lambda: self.on_unlink(device)

    def _rename(self) -> None:
        self.note.configure(text="")
        self.name_field.error("")
        self.on_rename(self.name_field.value)
