"""The Settings section for presence and notifications: read receipts, typing notices, notifications."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.views.fields import paragraph
from net.client.core.privacy import NotificationContent, PrivacySettings

#: The notification choices, in the order shown.
CONTENT_LABELS = (
    (NotificationContent.NAME_AND_TEXT, "Name and message"),
    (NotificationContent.NAME_ONLY, "Name only"),
    (NotificationContent.NOTHING, "No notifications"),
)


class PrivacySection(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, style="Surface.TFrame")
        #: The person changed a choice; the new settings, whole.
        self.on_change: Callable[[PrivacySettings], None] = lambda _settings: None
        ttk.Label(self, text="Privacy and notifications", style="Surface.Heading.TLabel").pack(anchor="w")
        self.read_receipts = tk.BooleanVar(self, True)
        self.typing_notices = tk.BooleanVar(self, True)
        self.receipts_button = ttk.Checkbutton(
            self,
            text="Send read receipts",
            variable=self.read_receipts,
            style="Surface.TCheckbutton",
            command=self._changed,
        )
        self.receipts_button.pack(anchor="w", pady=(4, 0))
        paragraph(
            self,
            "Off: contacts are not told when you have read their messages, and you do not see when "
            "they have read yours.",
            area="Surface",
            muted=True,
            width=640,
        ).pack(anchor="w", padx=(24, 0))
        self.typing_button = ttk.Checkbutton(
            self,
            text="Typing notices",
            variable=self.typing_notices,
            style="Surface.TCheckbutton",
            command=self._changed,
        )
        self.typing_button.pack(anchor="w", pady=(4, 0))
        paragraph(
            self,
            "Off: contacts do not see when you are typing, and you do not see when they are.",
            area="Surface",
            muted=True,
            width=640,
        ).pack(anchor="w", padx=(24, 0))
        row = ttk.Frame(self, style="Surface.TFrame")
        row.pack(anchor="w", pady=(8, 0))
        # The choices stand one under another: in a row they would not fit a window 800 pixels wide.
        ttk.Label(row, text="Notifications show", style="Surface.TLabel").pack(anchor="w")
        self.content = tk.StringVar(self, NotificationContent.NAME_AND_TEXT.value)
        self.content_buttons: dict[NotificationContent, ttk.Radiobutton] = {}
        for value, label in CONTENT_LABELS:
            button = ttk.Radiobutton(
                row,
                text=label,
                value=value.value,
                variable=self.content,
                style="Surface.TRadiobutton",
                command=self._changed,
            )
            button.pack(anchor="w", padx=(24, 0), pady=(2, 0))
            self.content_buttons[value] = button
        #: Beside the choice: why this computer shows no notifications, when it cannot ("" when it can).
        self.unavailable = paragraph(self, "", area="Surface", width=640)
        self.unavailable.pack(anchor="w", padx=(24, 0), pady=(2, 0))

    def show_unavailable(self, text: str) -> None:
        self.unavailable.configure(text=text)

    def show(self, settings: PrivacySettings) -> None:
        self.read_receipts.set(settings.read_receipts)
        self.typing_notices.set(settings.typing_notices)
        self.content.set(settings.notifications.value)

    @property
    def settings(self) -> PrivacySettings:
        return PrivacySettings(
            read_receipts=self.read_receipts.get(),
            typing_notices=self.typing_notices.get(),
            notifications=NotificationContent(self.content.get()),
        )

    def _changed(self) -> None:
        self.on_change(self.settings)
